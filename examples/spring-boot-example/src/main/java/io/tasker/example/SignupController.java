package io.tasker.example;

import io.tasker.node.Tasker;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskNotFoundException;
import io.tasker.protocol.ValidationException;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** Sign-ups: each one enqueues its welcome email, which Tasker sends (and retries) later. */
@RestController
public class SignupController {
  private final Tasker tasker;

  public SignupController(Tasker tasker) {
    this.tasker = tasker;
  }

  public record Signup(String email) {}

  public record Accepted(String task) {}

  public record EmailStatus(String task, String status) {}

  /** @return 202 with the id of the welcome email's task, once the task is durable */
  @PostMapping("/signups")
  public CompletionStage<ResponseEntity<Accepted>> signUp(@RequestBody Signup signup) {
    if (signup.email() == null || !signup.email().contains("@")) {
      throw new ValidationException("email", "must be an email address");
    }
    return tasker.enqueue(SendWelcomeEmail.TYPE.with(new SendWelcomeEmail.Welcome(signup.email())))
        .thenApply(id -> ResponseEntity.accepted().body(new Accepted(id.value())));
  }

  /** @return the welcome email's task status: SCHEDULED, RUNNING, SUCCEEDED, ... */
  @GetMapping("/signups/{task}")
  public CompletionStage<EmailStatus> status(@PathVariable String task) {
    return tasker.get(new TaskId(task))
        .thenApply(view -> new EmailStatus(task, view.status().name()));
  }

  @ExceptionHandler(ValidationException.class)
  ResponseEntity<Map<String, Object>> invalid(ValidationException e) {
    return error(HttpStatus.BAD_REQUEST, "invalid", e.field(), e.reason());
  }

  @ExceptionHandler({TaskNotFoundException.class, CompletionException.class})
  ResponseEntity<Map<String, Object>> notFound(Exception e) {
    Throwable cause = e instanceof CompletionException ? e.getCause() : e;
    if (!(cause instanceof TaskNotFoundException)) {
      throw new IllegalStateException(cause);
    }
    return error(HttpStatus.NOT_FOUND, "not-found", "task", cause.getMessage());
  }

  private static ResponseEntity<Map<String, Object>> error(
      HttpStatus status, String code, String field, String message) {
    return ResponseEntity.status(status)
        .body(Map.of("error", Map.of("code", code, "field", field, "message", message)));
  }
}
