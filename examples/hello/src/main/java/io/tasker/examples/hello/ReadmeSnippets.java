package io.tasker.examples.hello;

import io.tasker.gateway.HttpGateway;
import io.tasker.node.EnqueueResult;
import io.tasker.node.InlineTasker;
import io.tasker.node.SettableClock;
import io.tasker.node.TaskHandler;
import io.tasker.node.TaskType;
import io.tasker.node.Tasker;
import io.tasker.node.TaskerNode;
import io.tasker.node.WorkflowDefinition;
import io.tasker.node.WorkflowExecution;
import io.tasker.node.ScheduleSpec;
import io.tasker.protocol.Backoff;
import io.tasker.protocol.EnqueueRequest;
import io.tasker.protocol.QueueCounts;
import io.tasker.protocol.QueueLimits;
import io.tasker.protocol.QueueUpdate;
import io.tasker.protocol.TaskId;
import io.tasker.protocol.TaskPage;
import io.tasker.protocol.TaskQuery;
import io.tasker.protocol.TaskSpec;
import io.tasker.protocol.TaskStatus;
import io.tasker.protocol.TaskView;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

/**
 * The Java code of the README, compiled here: each region between {@code // tag::name[]} and
 * {@code // end::name[]} is the README's code block marked {@code <!-- snippet: name -->}
 * (ReadmeSnippetsTest holds them equal). Not run: the regions need a mail server and the like.
 */
@SuppressWarnings("unused")
final class ReadmeSnippets {
  private ReadmeSnippets() {}

  interface Mailer {
    void send(Email email, String idempotencyKey);
  }

  static final class InvalidAddressException extends RuntimeException {}

  record Report(String region) {}

  record Ping() {}

  static final TaskType<Report> REPORT = TaskType.of("report", Report.class);
  static final TaskType<Ping> PING = TaskType.of("ping", Ping.class);

  // tag::declare[]
  record Email(String to, String subject) {}

  static final TaskType<Email> SEND_EMAIL = TaskType.of("send-email", Email.class);
  // end::declare[]

  static void javaApi(Mailer mailer, List<EnqueueRequest> requests) {
    // tag::java-api[]
    Tasker tasker = Tasker.builder()
        .handler(SEND_EMAIL, (email, ctx) -> {
              mailer.send(email, /* idempotency */ ctx.taskId().value());
              return Map.of("sent", true);                       // stored as the task's result
            },
            h -> h.queue("emails").maxAttempts(5)
                  .backoff(Backoff.exponential(Duration.ofSeconds(2), 2.0, Duration.ofMinutes(10)))
                  .timeout(Duration.ofSeconds(30))
                  .nonRetryable(InvalidAddressException.class))
        .queue("emails", q -> q.maxConcurrency(5).maxConcurrencyPerKey(1).rate(10, 20))
        .start();                                                // H2 under ./data by default

    TaskId id = tasker.enqueue(SEND_EMAIL.with(new Email("a@example.com", "Hi"))
            .runAt(Instant.parse("2026-12-01T09:00:00+01:00"))
            .priority(5)
            .concurrencyKey("tenant-42")
            .idempotencyKey("welcome-a@example.com"))
        .toCompletableFuture().join();                           // answered once durable

    TaskView task = tasker.get(id).toCompletableFuture().join(); // status, attempts, history, result
    tasker.reschedule(id, Instant.now().plusSeconds(60));        // SCHEDULED tasks only
    tasker.cancel(id);                                           // scheduled or running
    tasker.retry(id);                                            // re-run a DEAD task
    TaskPage page = tasker.list(TaskQuery.all().inQueue("emails")
        .withStatus(TaskStatus.DEAD).orderBy(TaskQuery.Order.NEWEST).limit(50))
        .toCompletableFuture().join();                           // page.nextCursor() → .after(cursor)
    List<QueueCounts> counts = tasker.counts().toCompletableFuture().join(); // per queue and status
    tasker.updateQueue("emails", new QueueUpdate(10, null, null, null, null)); // only maxConcurrency
    tasker.updateQueue("emails", new QueueLimits(10, 2, 20, 40)); // every limit at once
    tasker.pauseQueue("emails");                                 // and resumeQueue; stored, versioned
    tasker.resetQueue("emails");                                 // back to the configured limits
    List<EnqueueResult> many = tasker.enqueueAll(requests)       // List<EnqueueRequest>, in order
        .toCompletableFuture().join();                           // all validated before any is stored
    List<TaskSpec> checked = tasker.validateAll(requests);       // the same check, storing nothing
    tasker.close();
    // end::java-api[]
  }

  static void waiting(Tasker tasker, Email email, TaskId id) {
    // tag::waiting[]
    TaskView done = tasker.enqueueAndWait(SEND_EMAIL.with(email))  // enqueue, then wait: no polling
        .toCompletableFuture().join();
    switch (done.status()) {
      case SUCCEEDED -> System.out.println("sent: " + done.result()); // the handler's result, as JSON
      case DEAD -> System.out.println("gave up: " + done.lastAttempt().errorMessage());
      default -> System.out.println("cancelled");
    }
    TaskView latest = tasker.result(id, Duration.ofSeconds(30))    // at most 30 s, then as it stands
        .toCompletableFuture().join();
    boolean finished = latest.status().isTerminal();
    // end::waiting[]
  }

  static void inlineMode(TaskHandler<Email> handler, Email email) {
    // tag::inline-mode[]
    SettableClock clock = SettableClock.startingNow();
    InlineTasker tasker = Tasker.builder().handler(SEND_EMAIL, handler).clock(clock).startInline();
    tasker.enqueue(SEND_EMAIL.with(email));      // runs now, in this thread
    clock.advance(Duration.ofMinutes(1));
    tasker.runDue();                             // runs retries and delayed tasks that came due
    // end::inline-mode[]
  }

  static void configFile(TaskHandler<Email> handler) {
    // tag::config-file[]
    Tasker tasker = Tasker.builder()
        .configFile(Path.of("tasker.yaml"))   // or .yml; a .conf file is read as HOCON
        .handler(SEND_EMAIL, handler)
        .start();
    // end::config-file[]
  }

  static void schedules(Tasker tasker, Ping ping) {
    // tag::schedules[]
    tasker.schedule("daily-report")
        .cron("0 9 * * MON-FRI", ZoneId.of("Europe/Berlin"))   // 5 fields, or 6 with seconds first
        .task(REPORT, new Report("sales"))                     // + queue/priority/maxAttempts/backoff/timeout
        .jitter(Duration.ofSeconds(30))
        .overlap(ScheduleSpec.Overlap.SKIP)
        .misfire(ScheduleSpec.Misfire.RUN_ONCE)
        .upsert();                                             // CompletionStage<ScheduleView>
    tasker.schedule("heartbeat").every(Duration.ofMinutes(5)).task(PING, ping).upsert();
    tasker.getSchedule("daily-report");   // also schedules(), pauseSchedule, resumeSchedule,
    tasker.triggerSchedule("daily-report");          // triggerSchedule (run now), deleteSchedule
    // end::schedules[]
  }

  static void embeddedApi(Mailer mailer) {
    // tag::embedded-api[]
    TaskerNode node = Tasker.builder()
        .handler(SEND_EMAIL, (email, ctx) -> {
              mailer.send(email, ctx.taskId().value());
              return null;
            })
        .start();
    // the API on tasker.http.port (8080) with the node's tasker.http.* settings: keys, limits
    HttpGateway api = HttpGateway.start(node);
    // ... on shutdown: api.close(); node.close();
    // end::embedded-api[]
  }

  static void workflows(Tasker tasker, List<Map<String, Object>> items) {
    // tag::workflows[]
    WorkflowDefinition orders = WorkflowDefinition.define("order-processing").version(1)
        .timeout(Duration.ofMinutes(30))
        .step("validate-order", s -> s.type("validate-order")
            .input(Map.of("orderId", "{{input.orderId}}")))
        .step("charge", s -> s.type("charge-card").dependsOn("validate-order")
            .input(Map.of("orderId", "{{input.orderId}}",
                "amount", "{{tasks.validate-order.output.amount}}"))
            .retry(3, Backoff.fixed(Duration.ofSeconds(1))).retryOn("TransientError")
            .compensate("refund-payment", Map.of("orderId", "{{input.orderId}}")))
        .step("pack", s -> s.type("pack-item").dependsOn("charge")
            .forEach("{{input.items}}", 4).input(Map.of("sku", "{{item.sku}}")))
        .step("ship", s -> s.type("ship").dependsOn("pack")
            .input(Map.of("parcels", "{{tasks.pack.output}}")))
        .build();
    tasker.defineWorkflow(orders);   // throws WorkflowDefinitionException naming the step

    String id = tasker.startWorkflow("order-processing", Map.of("orderId", 7, "items", items),
        "order-7").toCompletableFuture().join();   // the id once stored; the key deduplicates
    WorkflowExecution done = tasker.awaitWorkflow(id, Duration.ofMinutes(5))
        .toCompletableFuture().join();
    done.status();                       // SUCCEEDED, COMPENSATED, FAILED, TIMED_OUT, CANCELLED
    done.step("charge").output();        // the task's result, as JSON
    // end::workflows[]
  }
}
