package io.tasker.gateway;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who changed what, and when: every call that may change something, as one line on the logger
 * {@code io.tasker.audit} (route it to its own file to keep it) and in a bounded list of the most
 * recent calls, which the dashboard shows.
 */
final class AuditLog {
  /** One write call: who made it, what it asked, and how it was answered. */
  record Entry(Instant at, String who, String method, String path, int status) {}

  private static final Logger log = LoggerFactory.getLogger("io.tasker.audit");
  static final int KEPT = 1_000;

  private final Deque<Entry> recent = new ArrayDeque<>();

  void record(Entry entry) {
    log.info("audit who={} method={} path={} status={}",
        entry.who(), entry.method(), entry.path(), entry.status());
    synchronized (recent) {
      if (recent.size() == KEPT) {
        recent.removeLast();
      }
      recent.addFirst(entry);
    }
  }

  /** @return the most recent calls, newest first */
  List<Entry> recent(int limit) {
    synchronized (recent) {
      return new ArrayList<>(recent).subList(0, Math.min(limit, recent.size()));
    }
  }
}
