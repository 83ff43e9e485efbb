package ai.lort.util;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on stderr: done/total, a rate, and an ETA. On a terminal it redraws in
 * place at most ten times a second; when stderr is not a terminal (logs, CI) it prints a line every
 * ten percent so logs stay short. Silent when {@code quiet}.
 */
public final class ProgressBar {
    private final PrintStream out;
    private final String label;
    private final long total;
    private final boolean bytes;
    private final boolean quiet;
    private final boolean tty;
    private final long start = System.nanoTime();
    private long lastDraw;
    private int lastDecile = -1;
    private String suffix = "";

    public ProgressBar(String label, long total, boolean bytes, boolean quiet) {
        this(System.err, label, total, bytes, quiet, System.console() != null && System.console().isTerminal());
    }

    public ProgressBar(PrintStream out, String label, long total, boolean bytes, boolean quiet, boolean tty) {
        this.out = out;
        this.label = label;
        this.total = Math.max(total, 0);
        this.bytes = bytes;
        this.quiet = quiet;
        this.tty = tty;
    }

    /** Text shown after the numbers (e.g. the tensor being processed). */
    public void suffix(String s) { this.suffix = s == null ? "" : s; }

    public synchronized void update(long done) {
        if (quiet) return;
        long now = System.nanoTime();
        if (tty) {
            if (now - lastDraw < 100_000_000L && done < total) return;
            lastDraw = now;
            out.print("\r" + line(done, now) + "\033[K");
            out.flush();
        } else {
            int decile = total == 0 ? 10 : (int) Math.min(10, done * 10 / total);
            if (decile == lastDecile) return;
            lastDecile = decile;
            out.println(line(done, now));
        }
    }

    /** Erases the bar on a terminal so that a report line can be printed in its place. */
    public synchronized void clearLine() {
        if (quiet || !tty) return;
        out.print("\r\033[K");
        out.flush();
        lastDraw = 0;
    }

    /** Final state; ends the line on a terminal. */
    public synchronized void finish(long done) {
        if (quiet) return;
        lastDraw = 0;
        if (tty) { update(done); out.println(); }
        else if (lastDecile != 10) { lastDecile = -1; update(total); }
    }

    String line(long done, long now) {
        double secs = (now - start) / 1e9;
        double frac = total == 0 ? 1 : Math.min(1.0, (double) done / total);
        int width = 24;
        int filled = (int) Math.round(frac * width);
        String bar = "#".repeat(filled) + "-".repeat(width - filled);
        double rate = secs > 0 ? done / secs : 0;
        String eta = frac > 0 && frac < 1 ? formatSeconds(secs / frac - secs) : "--";
        String amount = bytes ? formatBytes(done) + "/" + formatBytes(total) + " " + formatBytes((long) rate) + "/s"
                : done + "/" + total;
        return String.format(Locale.ROOT, "%s [%s] %3.0f%% %s ETA %s %s", label, bar, frac * 100, amount, eta, suffix).stripTrailing();
    }

    public static String formatBytes(long b) {
        if (b < 1024) return b + " B";
        if (b < 1024L * 1024) return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        if (b < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
        return String.format(Locale.ROOT, "%.2f GiB", b / 1073741824.0);
    }

    public static String formatSeconds(double s) {
        if (s < 60) return String.format(Locale.ROOT, "%.0fs", s);
        if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", (int) s / 60, (int) s % 60);
        return String.format(Locale.ROOT, "%dh%02dm", (int) s / 3600, ((int) s % 3600) / 60);
    }
}
