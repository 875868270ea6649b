package io.tasker.gateway;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers requests too malformed to route (an illegal request target, a broken header) with
 * the same JSON error body as every other error. Named in {@code reference.conf}.
 */
public final class JsonParsingErrorHandler extends ParsingErrorHandler {

  @Override
  public HttpResponse handle(
      StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    String code = status.intValue() == 413 ? "PAYLOAD_TOO_LARGE" : "MALFORMED_REQUEST";
    return Responses.json(status, JsonViews.error(code, info.formatPretty(), null));
  }
}
