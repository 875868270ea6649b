package io.tasker.sample;

import com.fasterxml.jackson.databind.JsonNode;
import io.tasker.node.NonRetryableException;
import io.tasker.node.TaskType;
import io.tasker.node.TaskerBuilder;
import io.tasker.node.TaskerPlugin;
import io.tasker.protocol.Backoff;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Handlers the stock server ships with, to try Tasker out and to demonstrate its lifecycle: a
 * plugin (see {@code META-INF/services/io.tasker.node.TaskerPlugin}) that {@code ./tasker} and
 * the Docker image load by default. The order types ({@code validate-order}, {@code charge-card},
 * {@code fulfil-order}, {@code refund-payment}) are the steps of the demo's order workflow
 * ({@link SampleDemo#ORDERS}): pretend work, deterministic, touching nothing outside.
 */
public final class SampleHandlers implements TaskerPlugin {

  /** Returns its payload as the result. */
  public static final TaskType<JsonNode> ECHO = TaskType.of("echo", JsonNode.class);

  /** Sleeps, ending early when cancelled. */
  public static final TaskType<Sleep> SLEEP = TaskType.of("sleep", Sleep.class);

  /** Fails its first {@code failures} attempts, then succeeds. */
  public static final TaskType<Flaky> FLAKY = TaskType.of("flaky", Flaky.class);

  /** Always fails; with {@code retryable = false} it is dead-lettered at once. */
  public static final TaskType<Fail> FAIL = TaskType.of("fail", Fail.class);

  /** Checks an order and prices it: {@code {orderId, amountCents}}. */
  public static final TaskType<Order> VALIDATE_ORDER = TaskType.of("validate-order", Order.class);

  /** Pretends to charge a card: {@code {paymentId, amountCents}}. */
  public static final TaskType<Charge> CHARGE_CARD = TaskType.of("charge-card", Charge.class);

  /** Pretends to ship an order; fails for good when an item is flagged out of stock. */
  public static final TaskType<Order> FULFIL_ORDER = TaskType.of("fulfil-order", Order.class);

  /** Pretends to refund a payment (the compensation of charge-card). */
  public static final TaskType<Refund> REFUND_PAYMENT =
      TaskType.of("refund-payment", Refund.class);

  public record Sleep(long millis) {}

  public record Item(String sku, int quantity, long priceCents, boolean outOfStock) {}

  public record Order(String orderId, List<Item> items) {}

  public record Charge(String orderId, long amountCents) {}

  public record Refund(String paymentId, long amountCents) {}

  public record Flaky(int failures) {}

  public record Fail(String message, boolean retryable) {}

  @Override
  public void register(TaskerBuilder builder) {
    Backoff quick = Backoff.exponential(Duration.ofMillis(500), 2.0, Duration.ofSeconds(10));
    builder
        .handler(ECHO, (payload, ctx) -> payload)
        .handler(SLEEP, (sleep, ctx) -> {
          Thread.sleep(sleep.millis());
          return Map.of("slept", sleep.millis());
        })
        .handler(FLAKY, (flaky, ctx) -> {
          if (ctx.attempt() <= flaky.failures()) {
            throw new IllegalStateException(
                "planned failure " + ctx.attempt() + " of " + flaky.failures());
          }
          return Map.of("succeededOnAttempt", ctx.attempt());
        }, h -> h.backoff(quick).maxAttempts(5))
        .handler(FAIL, (fail, ctx) -> {
          if (!fail.retryable()) {
            throw new NonRetryableException(fail.message());
          }
          throw new IllegalStateException(fail.message());
        }, h -> h.backoff(quick))
        .handler(VALIDATE_ORDER, (order, ctx) -> {
          if (order.items() == null || order.items().isEmpty()) {
            throw new NonRetryableException("order " + order.orderId() + " has no items");
          }
          long amount = order.items().stream().mapToLong(i -> i.quantity() * i.priceCents()).sum();
          return Map.of("orderId", order.orderId(), "amountCents", amount);
        })
        .handler(CHARGE_CARD, (charge, ctx) -> Map.of(
            "paymentId", "pay-" + charge.orderId(), "amountCents", charge.amountCents()))
        .handler(FULFIL_ORDER, (order, ctx) -> {
          for (Item item : order.items()) {
            if (item.outOfStock()) {
              throw new NonRetryableException(item.sku() + " is out of stock");
            }
          }
          return Map.of("shipment", "ship-" + order.orderId());
        })
        .handler(REFUND_PAYMENT, (refund, ctx) -> Map.of(
            "refunded", refund.paymentId(), "amountCents", refund.amountCents()));
  }
}
