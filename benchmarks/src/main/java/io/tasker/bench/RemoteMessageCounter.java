package io.tasker.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.remote.artery.RemoteInstrument;

/**
 * Counts every message a node sends to and receives from other nodes over Artery (count, and
 * serialized bytes; sent messages by class), and writes the totals every 200 ms to
 * {@code $TASKER_DATA_DIR/remote-messages.properties}. Only {@link ClusterBenchmark}'s node
 * processes run it: it puts this jar on their class path ({@code TASKER_CLASSPATH}) and sets
 * {@code pekko.remote.artery.advanced.instruments} to this class; shipped nodes have no
 * instruments.
 */
public final class RemoteMessageCounter extends RemoteInstrument {
  /** The file the counts go to, in the node's data directory. */
  public static final String FILE = "remote-messages.properties";

  private static final LongAdder SENT = new LongAdder();
  private static final LongAdder SENT_BYTES = new LongAdder();
  private static final LongAdder RECEIVED = new LongAdder();
  private static final LongAdder RECEIVED_BYTES = new LongAdder();
  private static final Map<String, LongAdder> SENT_BY_CLASS = new ConcurrentHashMap<>();

  static {
    // Artery creates one instance per encoder and decoder: the counters and the writer are shared
    Path file = Path.of(System.getenv().getOrDefault("TASKER_DATA_DIR", ".")).resolve(FILE);
    Thread writer = new Thread(() -> {
      while (true) {
        try {
          Thread.sleep(200);
          write(file);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "remote-message-counter");
    writer.setDaemon(true);
    writer.start();
  }

  @Override
  public byte identifier() {
    return 7;
  }

  @Override
  public void remoteWriteMetadata(ActorRef recipient, Object message, ActorRef sender,
      ByteBuffer buffer) {
    // no metadata: counting only
  }

  @Override
  public void remoteMessageSent(ActorRef recipient, Object message, ActorRef sender, int size,
      long time) {
    SENT.increment();
    SENT_BYTES.add(size);
    SENT_BY_CLASS.computeIfAbsent(message.getClass().getName(), k -> new LongAdder()).increment();
  }

  @Override
  public void remoteReadMetadata(ActorRef recipient, Object message, ActorRef sender,
      ByteBuffer buffer) {
    // no metadata
  }

  @Override
  public void remoteMessageReceived(ActorRef recipient, Object message, ActorRef sender,
      int size, long time) {
    RECEIVED.increment();
    RECEIVED_BYTES.add(size);
  }

  private static void write(Path file) {
    StringBuilder out = new StringBuilder()
        .append("sent=").append(SENT.sum()).append('\n')
        .append("sent_bytes=").append(SENT_BYTES.sum()).append('\n')
        .append("received=").append(RECEIVED.sum()).append('\n')
        .append("received_bytes=").append(RECEIVED_BYTES.sum()).append('\n');
    SENT_BY_CLASS.entrySet().stream()
        .sorted(Comparator.comparing(e -> e.getKey()))
        .forEach(e -> out.append("class.").append(e.getKey()).append('=')
            .append(e.getValue().sum()).append('\n'));
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(FILE + ".tmp");
      Files.writeString(tmp, out);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      System.err.println("remote-message-counter: " + e); // the benchmark then reports no counts
    }
  }
}
