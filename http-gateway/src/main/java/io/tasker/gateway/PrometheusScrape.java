package io.tasker.gateway;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Optional;

/**
 * The Prometheus registry {@code GET /metrics} renders: the node's registry if it is one, else
 * one inside it if it is a composite (Spring's usually is); the node's own composite, which has
 * none, gets one added. A registry of another kind that the application brought has no
 * Prometheus view here: the application exports it its own way.
 */
final class PrometheusScrape {
  static final PrometheusScrape NONE = new PrometheusScrape(null);

  private final PrometheusMeterRegistry registry;

  private PrometheusScrape(PrometheusMeterRegistry registry) {
    this.registry = registry;
  }

  static PrometheusScrape of(MeterRegistry nodeRegistry) {
    if (nodeRegistry instanceof PrometheusMeterRegistry prometheus) {
      return new PrometheusScrape(prometheus);
    }
    if (nodeRegistry instanceof CompositeMeterRegistry composite) {
      synchronized (composite) {
        for (MeterRegistry child : composite.getRegistries()) {
          if (child instanceof PrometheusMeterRegistry prometheus) {
            return new PrometheusScrape(prometheus);
          }
        }
        PrometheusMeterRegistry added = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        composite.add(added);
        return new PrometheusScrape(added);
      }
    }
    return NONE;
  }

  /** @return the metrics in Prometheus' text format, or empty if there is no registry to read */
  Optional<String> scrape() {
    return registry == null ? Optional.empty() : Optional.of(registry.scrape());
  }
}
