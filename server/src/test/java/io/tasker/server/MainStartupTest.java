package io.tasker.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** {@code ./tasker} as a real process: how it starts, and how it refuses to. */
class MainStartupTest {
  private static final Path LOGS = Path.of("target", "main-startup");
  // a node's start on a busy machine plus its actor system's shutdown
  private static final Duration PATIENCE = Duration.ofSeconds(90);

  @Test
  void exitsWithAClearMessageWhenItsHttpPortIsInUse() throws Exception {
    try (ServerSocket occupant = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        NodeProcess node = NodeProcess.start("busy-port", freePort(), occupant.getLocalPort(),
            List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"), Map.of(),
            LOGS)) {
      OptionalInt exit = node.awaitExit(PATIENCE);

      assertTrue(exit.isPresent(), () -> "still running after " + PATIENCE + ":\n" + node.tail(40));
      assertNotEquals(0, exit.getAsInt(), () -> node.tail(40));
      String log = Files.readString(node.log, StandardCharsets.UTF_8);
      assertTrue(log.contains("port " + occupant.getLocalPort() + " is in use: set TASKER_HTTP_PORT"),
          () -> node.tail(40));
      assertFalse(log.contains("Tasker HTTP API listening"), () -> node.tail(40));
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
