package io.tasker.gateway;

import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The web dashboard at {@code /ui/}: static files from the jar, no build step and nothing fetched
 * at run time. The pages hold no data: they call the HTTP API with the key the operator logs in
 * with, so the dashboard has exactly the key's scopes.
 */
final class Dashboard extends AllDirectives {
  private static final String ROOT = "io/tasker/gateway/ui";
  private static final List<org.apache.pekko.http.javadsl.model.HttpHeader> HEADERS = List.of(
      RawHeader.create("Content-Security-Policy",
          "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"),
      RawHeader.create("X-Content-Type-Options", "nosniff"),
      RawHeader.create("Referrer-Policy", "no-referrer"),
      // a new version of the node serves new pages at once
      RawHeader.create("Cache-Control", "no-cache"));

  Route routes() {
    return get(() -> concat(
        pathEnd(() -> redirect(Uri.create("/ui/"), StatusCodes.PERMANENT_REDIRECT)),
        respondWithHeaders(HEADERS, () -> concat(
            pathSingleSlash(() ->
                getFromResource(ROOT + "/index.html", ContentTypes.TEXT_HTML_UTF8)),
            getFromResourceDirectory(ROOT)))));
  }
}
