package io.tasker.cli;

/** A failure the command line reports in one line and an exit code (see {@link ExitCode}). */
final class CliException extends RuntimeException {
  final int exitCode;

  CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  /** The exit codes, documented in the README's "Command line" section. */
  static final class ExitCode {
    static final int OK = 0;
    static final int OTHER = 1;
    static final int USAGE = 2;
    static final int NOT_FOUND = 3;
    static final int CONFLICT = 4;
    static final int UNAUTHORIZED = 5;
    static final int UNAVAILABLE = 6;

    private ExitCode() {}

    /** @return the exit code for an HTTP error status of the API */
    static int ofStatus(int status) {
      return switch (status) {
        case 400, 413, 415 -> USAGE;
        case 401, 403 -> UNAUTHORIZED;
        case 404 -> NOT_FOUND;
        case 409 -> CONFLICT;
        case 429, 502, 503, 504 -> UNAVAILABLE;
        default -> OTHER;
      };
    }
  }
}
