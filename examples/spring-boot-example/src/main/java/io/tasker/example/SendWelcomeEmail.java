package io.tasker.example;

import io.tasker.node.HandlerOptions;
import io.tasker.node.TaskContext;
import io.tasker.node.TaskType;
import io.tasker.spring.TaskerHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Sends the welcome email of a sign-up (here: logs it). A bean, so Tasker registers it. */
// tag::spring-handler-bean[]
@Component
public class SendWelcomeEmail implements TaskerHandler<SendWelcomeEmail.Welcome> {
  private static final Logger log = LoggerFactory.getLogger(SendWelcomeEmail.class);

  public record Welcome(String email) {}

  public static final TaskType<Welcome> TYPE = TaskType.of("send-welcome-email", Welcome.class);

  @Override
  public TaskType<Welcome> type() {
    return TYPE;
  }

  @Override
  public void options(HandlerOptions options) {
    options.queue("emails"); // its limits are in application.yml
  }

  @Override
  public Object handle(Welcome welcome, TaskContext context) {
    log.info("welcome email to {} (task {}, attempt {})",
        welcome.email(), context.taskId(), context.attempt());
    return "sent";
  }
}
// end::spring-handler-bean[]
