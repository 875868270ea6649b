package io.tasker.node;

import java.io.IOException;
import java.net.ServerSocket;

/** A port nothing listens on right now, for nodes started by tests. */
final class FreePort {
  private FreePort() {}

  static int next() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
