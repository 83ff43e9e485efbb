package ai.lort.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.function.DoubleFunction;
import java.util.function.ToDoubleFunction;

/**
 * The geometry of one grouped bar chart, drawn as inline SVG by the template: one group of bars per
 * decoder block (in depth order, then the layers outside the blocks as "other"), one bar per
 * projection kind, coloured by kind, on a y axis from 0 with round ticks. Coordinates are in SVG
 * user units, formatted once here.
 */
public record BarChart(String id, String title, String description, int width, int height, String plotLeft, String plotRight,
                       String plotTop, String plotBottom, List<Bar> bars, List<Tick> ticks, List<Label> labels, List<Key> keys) {
    public record Bar(String x, String y, String w, String h, String color, String tip) {}

    public record Tick(String y, String label) {}

    public record Label(String x, String text) {}

    public record Key(String x, String swatch, String color, String text) {}

    static final int WIDTH = 960, HEIGHT = 250, LEFT = 60, RIGHT = 12, TOP = 30, BOTTOM = 34;

    /** Colours of the kinds, in {@link LayerRow#KINDS} order (Tableau 10). */
    static final List<String> COLORS = List.of("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f");

    static String color(String kind) { return COLORS.get(LayerRow.KINDS.indexOf(kind)); }

    /** {@code value} of every layer (NaN: no bar), {@code format} for its tooltip. */
    static BarChart grouped(String id, String title, String description, List<LayerRow> layers, ToDoubleFunction<LayerRow> value,
                            DoubleFunction<String> format) {
        TreeSet<Integer> blocks = new TreeSet<>();
        List<String> kinds = new ArrayList<>();
        for (LayerRow l : layers) {
            blocks.add(l.block() < 0 ? Integer.MAX_VALUE : l.block());
        }
        for (String k : LayerRow.KINDS) if (layers.stream().anyMatch(l -> l.kind().equals(k))) kinds.add(k);
        List<Integer> groups = new ArrayList<>(blocks);
        double plotW = WIDTH - LEFT - RIGHT, plotH = HEIGHT - TOP - BOTTOM;
        double max = layers.stream().mapToDouble(value).filter(Double::isFinite).max().orElse(0);
        double step = niceStep(max > 0 ? max / 4 : 0.25), top = Math.max(step, Math.ceil(max / step - 1e-9) * step);
        double groupW = plotW / Math.max(1, groups.size()), barW = groupW * 0.84 / Math.max(1, kinds.size());

        List<Bar> bars = new ArrayList<>();
        for (LayerRow l : layers) {
            double v = value.applyAsDouble(l);
            if (!Double.isFinite(v)) continue;
            int g = groups.indexOf(l.block() < 0 ? Integer.MAX_VALUE : l.block()), k = kinds.indexOf(l.kind());
            double h = Math.max(0, v) / top * plotH, x = LEFT + g * groupW + groupW * 0.08 + k * barW;
            bars.add(new Bar(f(x), f(TOP + plotH - h), f(Math.max(0.5, barW - 0.3)), f(h), color(l.kind()), l.name() + ": " + format.apply(v)));
        }
        List<Tick> ticks = new ArrayList<>();
        for (int i = 0; i * step <= top + step * 1e-6; i++) ticks.add(new Tick(f(TOP + plotH - i * step / top * plotH), number(i * step)));
        List<Label> labels = new ArrayList<>();
        int every = Math.max(1, (int) Math.ceil(groups.size() / 24.0));
        for (int g = 0; g < groups.size(); g++) {
            int block = groups.get(g);
            if (g % every == 0 || block == Integer.MAX_VALUE)
                labels.add(new Label(f(LEFT + (g + 0.5) * groupW), block == Integer.MAX_VALUE ? "other" : String.valueOf(block)));
        }
        List<Key> keys = new ArrayList<>();
        for (int k = 0; k < kinds.size(); k++)
            keys.add(new Key(f(LEFT + 8 + k * 74), f(LEFT + k * 74), color(kinds.get(k)), kinds.get(k)));
        return new BarChart(id, title, description, WIDTH, HEIGHT, f(LEFT), f(WIDTH - RIGHT), f(TOP), f(TOP + plotH), bars, ticks, labels, keys);
    }

    /** 1, 2, 2.5 or 5 times a power of ten, at least {@code raw}. */
    static double niceStep(double raw) {
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double norm = raw / mag;
        return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag;
    }

    static String number(double v) {
        return new BigDecimal(v).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }

    private static String f(double v) { return String.format(Locale.ROOT, "%.1f", v); }
}
