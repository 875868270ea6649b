package io.tasker.bench;

import java.util.List;
import java.util.Map;

/**
 * The ratios as a hand-written SVG bar chart (no charting dependency): one group per metric, one
 * bar per peer and run, on a log scale centred on 1× (as fast as the peer). Rates are
 * Tasker/peer, latencies and costs peer/Tasker, so a bar right of 1× always means Tasker is
 * ahead.
 */
final class RatioChart {
  private RatioChart() {}

  private record Bar(String key, String label, boolean invert) {}

  private static final List<Bar> BARS = List.of(
      new Bar("drain.cpu_us_per_task", "CPU per task (inverse)", true),
      new Bar("drain.sql_statements_per_task", "SQL statements/task (inv.)", true),
      new Bar("drain.enqueue_per_s", "enqueue rate", false),
      new Bar("drain.per_s", "drain rate", false),
      new Bar("drain.durable_per_s", "drain until stored", false),
      new Bar("steady.per_s", "completion, 10 % retried", false),
      new Bar("lateness.p50_ms", "lateness p50 (inverse)", true),
      new Bar("lateness.p99_ms", "lateness p99 (inverse)", true),
      new Bar("burst.p99_ms", "burst lateness p99 (inverse)", true));

  private static final String[] COLOURS = {"#4e79a7", "#f28e2b", "#59a14f"};

  /** @param runs per run, the results by system */
  static String svg(List<Map<String, Map<String, Object>>> runs, List<String> peers,
      Map<String, Object> run) {
    int bars = Math.max(1, peers.size() * runs.size());
    int labelWidth = 190;
    int plotWidth = 520;
    int barHeight = 14;
    int groupGap = 12;
    double minLog = Math.log10(1 / 1000.0);
    double maxLog = Math.log10(1000.0);
    int groupHeight = bars * barHeight + groupGap;
    int top = 60;
    int height = top + BARS.size() * groupHeight + 60;
    int width = labelWidth + plotWidth + 90;
    StringBuilder s = new StringBuilder();
    s.append(String.format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
        + " font-family=\"sans-serif\" font-size=\"12\">%n", width, height));
    s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    s.append(String.format("<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">Tasker"
        + " vs peers (log scale; right of 1× = Tasker ahead)</text>%n"));
    s.append(String.format("<text x=\"10\" y=\"38\" fill=\"#555\">%s</text>%n",
        escape("options " + run.get("options") + "; " + run.get("machine"))));
    for (int e = -3; e <= 3; e++) {
      double x = labelWidth + (e - minLog) / (maxLog - minLog) * plotWidth;
      s.append(String.format("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>%n",
          x, top - 5, x, height - 45, e == 0 ? "#000" : "#ddd"));
      s.append(String.format("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s×</text>%n",
          x, height - 30, e >= 0 ? String.valueOf((long) Math.pow(10, e)) : "1/" + (long) Math.pow(10, -e)));
    }
    double zero = labelWidth + (0 - minLog) / (maxLog - minLog) * plotWidth;
    int y = top;
    for (Bar bar : BARS) {
      s.append(String.format("<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
          labelWidth - 8, y + barHeight, escape(bar.label())));
      for (int b = 0; b < peers.size() * runs.size(); b++) {
        int i = b / runs.size();
        Double r = PeersReport.ratio(runs.get(b % runs.size()), bar.key(), peers.get(i));
        int by = y + b * barHeight;
        if (r != null && r > 0) {
          double ratio = bar.invert() ? 1 / r : r;
          double lg = Math.max(minLog, Math.min(maxLog, Math.log10(ratio)));
          double x = labelWidth + (lg - minLog) / (maxLog - minLog) * plotWidth;
          s.append(String.format("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\""
              + " fill=\"%s\" fill-opacity=\"%.1f\"/>%n", Math.min(x, zero), by + 1,
              Math.abs(x - zero), barHeight - 2, COLOURS[i % COLOURS.length],
              b % runs.size() == 0 ? 1.0 : 0.6));
          s.append(String.format("<text x=\"%.1f\" y=\"%d\" font-size=\"10\">%s</text>%n",
              Math.max(x, zero) + 4, by + barHeight - 3,
              ratio >= 10 ? String.format("%.0f×", ratio) : String.format("%.2f×", ratio)));
        }
      }
      y += groupHeight;
    }
    int lx = labelWidth;
    for (int i = 0; i < peers.size(); i++) {
      s.append(String.format("<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
          + "<text x=\"%d\" y=\"%d\">vs %s%s</text>%n", lx, height - 18,
          COLOURS[i % COLOURS.length], lx + 16, height - 8, escape(peers.get(i)),
          runs.size() > 1 ? " (runs 1.." + runs.size() + ", top to bottom)" : ""));
      lx += runs.size() > 1 ? 260 : 140;
    }
    return s.append("</svg>\n").toString();
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
