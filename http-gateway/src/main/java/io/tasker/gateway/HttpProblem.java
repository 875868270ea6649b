package io.tasker.gateway;

import java.time.Duration;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** A request the gateway refuses before it reaches the cluster: status, code and message. */
final class HttpProblem extends RuntimeException {
  final StatusCode status;
  final String code;
  final String field;
  final Duration retryAfter;

  HttpProblem(StatusCode status, String code, String message, String field, Duration retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }

  static HttpProblem unauthorized(String message) {
    return new HttpProblem(StatusCodes.UNAUTHORIZED, "UNAUTHORIZED", message, null, null);
  }

  static HttpProblem forbidden(String message) {
    return new HttpProblem(StatusCodes.FORBIDDEN, "FORBIDDEN", message, null, null);
  }

  static HttpProblem rateLimited(Duration retryAfter) {
    return new HttpProblem(StatusCodes.TOO_MANY_REQUESTS, "RATE_LIMITED",
        "too many requests for this API key", null, retryAfter);
  }

  static HttpProblem tooLarge(long limit) {
    return new HttpProblem(StatusCodes.PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE",
        "the request body is larger than " + limit + " bytes", null, null);
  }

  static HttpProblem unsupportedMediaType() {
    return new HttpProblem(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE",
        "send the body as application/json", null, null);
  }

  static HttpProblem malformed(String message) {
    return new HttpProblem(StatusCodes.BAD_REQUEST, "MALFORMED_JSON", message, null, null);
  }
}
