package ai.lort.util;

import java.io.PrintStream;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * A one-line progress bar on stderr: done/total, a rate, and an ETA. On a terminal it redraws in
 * place at most ten times a second; when stderr is not a terminal (a pipe, a log file) it prints
 * nothing, so logs and captured output stay clean. Silent when {@code quiet}.
 *
 * <p>{@code LORT_PROGRESS} (or the system property {@code lort.progress}) overrides the terminal
 * test: {@code bar} always redraws, {@code lines} prints a line every ten percent (for logs that
 * should show progress), {@code off} never shows anything, {@code auto} (the default) redraws on a
 * terminal and is silent otherwise.
 */
public final class ProgressBar {
    /** How a bar shows itself. */
    public enum Style { BAR, LINES, OFF }

    private final PrintStream out;
    private final String label;
    private final long total;
    private final boolean bytes;
    private final Style style;
    private final long start = System.nanoTime();
    private long lastDraw;
    private int lastDecile = -1;
    private String suffix = "";

    /** A bar on stderr in the {@link #style() style} of this process. */
    public ProgressBar(String label, long total, boolean bytes, boolean quiet) {
        this(System.err, label, total, bytes, quiet ? Style.OFF : style());
    }

    public ProgressBar(PrintStream out, String label, long total, boolean bytes, Style style) {
        this.out = out;
        this.label = label;
        this.total = Math.max(total, 0);
        this.bytes = bytes;
        this.style = style;
    }

    /** The style {@code LORT_PROGRESS} asks for, or by default a redrawn bar when stderr is a terminal and nothing otherwise. */
    public static Style style() {
        String mode = System.getProperty("lort.progress", System.getenv("LORT_PROGRESS"));
        return switch (mode == null ? "auto" : mode.strip().toLowerCase(Locale.ROOT)) {
            case "bar" -> Style.BAR;
            case "lines" -> Style.LINES;
            case "off", "none", "never" -> Style.OFF;
            default -> Terminal.STDERR ? Style.BAR : Style.OFF;
        };
    }

    /** True when this bar prints anything at all. */
    public boolean visible() { return style != Style.OFF; }

    /** Text shown after the numbers (e.g. the tensor being processed). */
    public void suffix(String s) { this.suffix = s == null ? "" : s; }

    public synchronized void update(long done) {
        if (style == Style.OFF) return;
        long now = System.nanoTime();
        if (style == Style.BAR) {
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
        if (style != Style.BAR) return;
        out.print("\r\033[K");
        out.flush();
        lastDraw = 0;
    }

    /** Final state; ends the line on a terminal. */
    public synchronized void finish(long done) {
        if (style == Style.OFF) return;
        lastDraw = 0;
        if (style == Style.BAR) { update(done); out.println(); }
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

    /**
     * Whether stderr (file descriptor 2) is a terminal, asked of the C library's {@code isatty}:
     * {@link System#console()} only tells whether stdin and stdout are, so it would draw into a
     * redirected stderr and hide the bar of {@code lort compress --json > out.json}. Without
     * native access (or an {@code isatty} to call) it falls back to the console's answer.
     */
    private static final class Terminal {
        static final boolean STDERR = stderrIsTerminal();

        private static boolean stderrIsTerminal() {
            if (Terminal.class.getModule().isNativeAccessEnabled()) {
                try {
                    Linker linker = Linker.nativeLinker();
                    var isatty = linker.defaultLookup().find("isatty");
                    if (isatty.isPresent()) {
                        MethodHandle h = linker.downcallHandle(isatty.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                        return (int) h.invokeExact(2) == 1;
                    }
                } catch (Throwable e) {
                    // no usable C library: the console's answer below
                }
            }
            return System.console() != null && System.console().isTerminal();
        }
    }
}
