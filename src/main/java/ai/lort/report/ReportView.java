package ai.lort.report;

import ai.lort.Version;
import ai.lort.util.ProgressBar;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@link ReportData} as the HTML template shows it: every number formatted, every chart laid out,
 * nothing left to compute in the template.
 *
 * @param eval    null when the run did not evaluate
 * @param sample  null when no sample was generated
 * @param healing null when no healing stage ran
 */
public record ReportView(String title, String generatedBy, List<Fact> model, List<Fact> options, List<Fact> totals,
                         List<KindRow> kinds, List<BarChart> charts, List<LayerView> layers, Eval eval, Sample sample,
                         List<StageView> stages, String runNote, Healing healing) {
    public record Fact(String name, String value) {}

    /** Means over the layers of one projection kind. */
    public record KindRow(String kind, String color, int layers, String weights, String bitsPerWeight, String rank,
                          String weightError, String outputError, String zeroShare) {}

    /** One table row; {@code minusWidth} etc. are the widths of the code histogram's three bars. */
    public record LayerView(String name, String kind, String color, String shape, int rank, String bitsPerWeight, String weightError,
                            String outputError, String minus, String zero, String plus, String minusWidth, String zeroWidth, String plusWidth,
                            String zeroX, String plusX) {}

    public record Eval(String file, int documents, String tokens, String original, String compressed, String ratio) {}

    public record Sample(String prompt, int tokens, String original, String compressed) {}

    /** A stage's time and its share of the whole run ({@code width}: the share as a bar, in percent). */
    public record StageView(String name, String seconds, String share, String width, boolean part) {
        public String css() { return part ? "part" : "stage"; }
    }

    public record Healing(String before, String after, String steps, String seconds, String outcome) {}

    /** Width of the per-layer code histogram, in SVG units. */
    static final double HISTOGRAM = 120;

    public static ReportView of(ReportData d) {
        ReportData.Totals t = d.totals();
        List<Fact> model = new ArrayList<>();
        model.add(new Fact("file", d.file().path() + " (" + ProgressBar.formatBytes(d.file().bytes()) + ", format " + d.file().version() + ")"));
        if (!d.file().source().isEmpty()) model.add(new Fact("source", d.file().source()));
        if (!d.model().architecture().isEmpty())
            model.add(new Fact("architecture", d.model().architecture() + " (" + d.model().modelType() + ")"));
        if (d.model().blocks() > 0)
            model.add(new Fact("shape", String.format(Locale.ROOT, "%d blocks, hidden %d, MLP %d, %d heads (%d key/value), vocabulary %,d",
                    d.model().blocks(), d.model().hidden(), d.model().intermediate(), d.model().heads(), d.model().kvHeads(), d.model().vocab())));
        model.add(new Fact("method", d.file().method()));
        model.add(new Fact("created", d.file().created() + " by " + d.file().createdBy()));
        model.add(new Fact("tokenizer", d.model().tokenizer() ? "embedded" : "none"));

        List<Fact> options = new ArrayList<>();
        flatten("", d.file().options(), options);

        List<Fact> totals = new ArrayList<>();
        totals.add(new Fact("compressed layers", String.format(Locale.ROOT, "%d layers, %,d weights, %s stored: %.3f bits per weight",
                t.compressedLayers(), t.compressedParams(), ProgressBar.formatBytes(t.compressedBytes()), t.bitsPerWeightCompressed())));
        totals.add(new Fact("kept tensors", String.format(Locale.ROOT, "%d tensors, %,d weights, %s (embeddings, norms, head: as they were)",
                t.keptTensors(), t.keptParams(), ProgressBar.formatBytes(t.keptBytes()))));
        totals.add(new Fact("whole file", String.format(Locale.ROOT, "%s: %.3f bits per weight over all %,d weights",
                ProgressBar.formatBytes(t.fileBytes()), t.bitsPerWeightFile(), t.compressedParams() + t.keptParams())));
        totals.add(new Fact("vs FP16", String.format(Locale.ROOT, "%s as FP16: %.2fx smaller", ProgressBar.formatBytes(t.fp16Bytes()), t.ratioFp16())));
        if (t.sourceBytes() >= 0)
            totals.add(new Fact("vs source", String.format(Locale.ROOT, "%s%s: %.2fx smaller", ProgressBar.formatBytes(t.sourceBytes()),
                    t.sourceBytesEstimated() ? " (estimated from config.json's torch_dtype " + d.model().torchDtype() + ")" : "", t.ratioSource())));

        List<LayerRow> rows = d.layers();
        boolean calibrated = rows.stream().anyMatch(l -> !Double.isNaN(l.outputError()));
        List<BarChart> charts = new ArrayList<>();
        charts.add(BarChart.grouped("weight-error", "Weight error", "‖W − Ŵ‖ / ‖W‖ of each layer, by decoder block",
                rows, LayerRow::weightError, v -> fixed(v, 4)));
        if (calibrated)
            charts.add(BarChart.grouped("output-error", "Output error (calibration)", "‖(W − Ŵ)X‖ / ‖WX‖ on the calibration inputs X, by decoder block",
                    rows, LayerRow::outputError, v -> fixed(v, 4)));
        charts.add(BarChart.grouped("rank", "Rank", "rank of the low-rank term B·A", rows, l -> l.rank(), v -> String.valueOf((int) v)));
        charts.add(BarChart.grouped("bits", "Bits per weight", "stored bits (codes, scales, factors) per weight of each layer",
                rows, LayerRow::bitsPerWeight, v -> fixed(v, 3)));
        charts.add(BarChart.grouped("zeros", "Share of zero codes", "the share of T's codes that are 0 (the rest are ±1)",
                rows, LayerRow::zeroShare, v -> percent(v)));

        List<KindRow> kinds = new ArrayList<>();
        for (String k : LayerRow.KINDS) {
            List<LayerRow> of = rows.stream().filter(l -> l.kind().equals(k)).toList();
            if (of.isEmpty()) continue;
            long weights = of.stream().mapToLong(LayerRow::weights).sum();
            kinds.add(new KindRow(k, BarChart.color(k), of.size(), percent((double) weights / Math.max(1, t.compressedParams())),
                    fixed(mean(of, LayerRow::bitsPerWeight), 3), fixed(mean(of, l -> l.rank()), 1), fixed(mean(of, LayerRow::weightError), 4),
                    fixed(mean(of, LayerRow::outputError), 4), percent(mean(of, LayerRow::zeroShare))));
        }

        List<LayerView> layers = new ArrayList<>();
        for (LayerRow l : rows) {
            double m = l.share(-1) * HISTOGRAM, z = l.share(0) * HISTOGRAM, p = l.share(1) * HISTOGRAM;
            layers.add(new LayerView(l.name(), l.kind(), BarChart.color(l.kind()), l.rows() + " × " + l.cols(), l.rank(), fixed(l.bitsPerWeight(), 3),
                    fixed(l.weightError(), 4), fixed(l.outputError(), 4), percent(l.share(-1)), percent(l.share(0)), percent(l.share(1)),
                    fixed(m, 1), fixed(z, 1), fixed(p, 1), fixed(m, 1), fixed(m + z, 1)));
        }

        RunRecord run = d.run();
        RunRecord.Evaluation e = run.evaluation();
        Eval eval = e == null ? null : new Eval(e.file(), e.documents(), String.format(Locale.ROOT, "%,d", e.tokens()), fixed(e.original(), 4),
                fixed(e.compressed(), 4), String.format(Locale.ROOT, "%.2fx", e.compressed() / e.original()));
        RunRecord.Sample s = run.sample();
        Sample sample = s == null ? null : new Sample(s.prompt(), s.tokens(), s.original(), s.compressed());
        List<StageView> stages = new ArrayList<>();
        double total = Double.isFinite(run.seconds()) && run.seconds() > 0 ? run.seconds()
                : run.stages().stream().mapToDouble(RunRecord.Stage::seconds).filter(Double::isFinite).sum();
        for (RunRecord.Stage st : run.stages()) {
            stages.add(stage(st, total, false));
            for (RunRecord.Stage p : st.parts()) stages.add(stage(p, total, true));
        }
        String note = run.stages().isEmpty() && e == null && s == null
                ? "This report was made from the .lort file alone. Stage timings, perplexity and samples are known only to the compression run: "
                        + "they are in the report that 'lort compress --report' writes, and in 'lort compress --json' (give that to 'lort report --run')."
                : null;
        RunRecord.Healing h = d.healing();
        Healing healing = h == null ? null : new Healing(fixed(h.lossBefore(), 4), fixed(h.lossAfter(), 4), String.valueOf(h.steps()), fixed(h.seconds(), 1),
                h.kept() ? "healed model kept" : "no better: the fitted layers were kept");
        String name = d.file().path().replaceAll(".*/", "");
        return new ReportView("LoRT report: " + name, "lort " + Version.current(), model, options, totals, kinds, charts, layers, eval,
                sample, stages, note, healing);
    }

    private static StageView stage(RunRecord.Stage s, double total, boolean part) {
        double share = total > 0 && Double.isFinite(s.seconds()) ? s.seconds() / total : 0;
        return new StageView(s.name(), fixed(s.seconds(), 1) + " s", percent(share), fixed(Math.min(100, share * 100), 1), part);
    }

    private static void flatten(String prefix, JsonNode n, List<Fact> out) {
        if (n == null || n.isMissingNode()) return;
        if (n.isObject()) {
            for (Map.Entry<String, JsonNode> e : n.properties()) flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
        } else {
            out.add(new Fact(prefix, n.isTextual() ? n.asText() : n.toString()));
        }
    }

    private static double mean(List<LayerRow> rows, java.util.function.ToDoubleFunction<LayerRow> f) {
        return rows.stream().mapToDouble(f).filter(Double::isFinite).average().orElse(Double.NaN);
    }

    static String fixed(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "–";
    }

    static String percent(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.1f %%", 100 * v) : "–";
    }
}
