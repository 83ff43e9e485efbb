package ai.lort.report;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFile;
import ai.lort.format.LortWriter;
import ai.lort.format.Packing;
import ai.lort.format.ScaleEncoding;
import ai.lort.testing.Cli;
import ai.lort.testing.SharedData;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTML report, read back with a real HTML parser: structure, every layer, the run's numbers, nothing external. */
class HtmlReportTest {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final String PROMPT = "<b>Once</b> upon a time";
    @TempDir static Path shared;
    @TempDir Path tmp;
    private static Path lort, html, runJson;
    private static JsonNode summary;

    /** stories260K, calibrated on a little text, with --eval and --report. */
    @BeforeAll
    static void compress() throws IOException {
        Path model = SharedData.require("models/stories260K");
        // Four documents of real text, for both calibration and evaluation (a test of the report, not of the method).
        String[] docs = Files.readString(SharedData.require("data/tinystories-valid-excerpt.txt")).split("<\\|endoftext\\|>\n");
        Path text = Files.writeString(shared.resolve("four.txt"), String.join("<|endoftext|>\n", List.of(docs).subList(0, 4)));
        lort = shared.resolve("s.lort");
        html = shared.resolve("s-report.html");
        Cli.Result r = Cli.run("compress", "-m", model.toString(), "--min-dim", "64", "--calibration", text.toString(), "--calibration-length", "64",
                "--sweeps", "1", "--heal-steps", "4", "--heal-batch", "2", "--heal-length", "32", "--eval", text.toString(), "--report", html.toString(), "--sample-prompt", PROMPT, "-o", lort.toString(), "--json", "-q");
        assertThat(r.exitCode()).as(r.err()).isZero();
        summary = JSON.readTree(r.out()); // one document, nothing after it
        runJson = shared.resolve("run.json");
        Files.writeString(runJson, r.out());
    }

    private static Document parse(Path p) throws IOException {
        return Jsoup.parse(p.toFile(), "UTF-8");
    }

    @Test
    void compressReportHasEverySectionEveryLayerAndTheRunsNumbers() throws IOException {
        Document d = parse(html);
        assertThat(d.title()).isEqualTo("LoRT report: s.lort");
        for (String id : List.of("model", "totals", "quality", "healing", "timings", "layers", "codes")) assertThat(d.getElementById(id)).as(id).isNotNull();
        List<String> names;
        try (LortFile f = LortFile.open(lort)) {
            names = new ArrayList<>(f.layers().keySet());
        }
        assertThat(names).hasSize(summary.get("compressed_layers").asInt());
        // Every layer: one table row, and one bar in each chart (all of them have a rank and a calibration error).
        assertThat(d.select("tr.layer").eachAttr("data-layer")).containsExactlyElementsOf(names);
        assertThat(d.select("figure.chart").eachAttr("id")).containsExactly("weight-error", "output-error", "rank", "bits", "zeros");
        for (String chart : List.of("weight-error", "output-error", "bits", "zeros")) {
            List<String> tips = d.select("figure#" + chart + " rect.bar > title").eachText();
            assertThat(tips).hasSize(names.size());
            for (String n : names) assertThat(tips).anyMatch(t -> t.startsWith(n + ": "));
        }
        // The per-layer numbers are the JSON summary's.
        for (JsonNode l : summary.get("layers")) {
            Element row = d.selectFirst("tr.layer[data-layer=" + l.get("name").asText() + "]");
            assertThat(row.select("td").get(5).text()).isEqualTo(String.format(Locale.ROOT, "%.4f", l.get("relative_error").asDouble()));
            assertThat(row.select("td").get(6).text()).isEqualTo(String.format(Locale.ROOT, "%.4f", l.get("output_error").asDouble()));
            assertThat(row.select("td").get(3).text()).isEqualTo(l.get("rank").asText());
        }
        // Perplexity before and after, as --eval measured it.
        assertThat(d.select("table.eval td").get(0).text()).isEqualTo(String.format(Locale.ROOT, "%.4f", summary.at("/eval/original_perplexity").asDouble()));
        assertThat(d.select("table.eval td").get(1).text()).startsWith(String.format(Locale.ROOT, "%.4f", summary.at("/eval/compressed_perplexity").asDouble()));
        // A sample from each model, the prompt shown as text (escaped, not markup).
        assertThat(d.select("div.sample.original").text()).startsWith(PROMPT).isEqualTo(normalized(PROMPT + summary.at("/sample/original").asText()));
        assertThat(d.select("div.sample.compressed").text()).isEqualTo(normalized(PROMPT + summary.at("/sample/compressed").asText()));
        assertThat(d.select("div.sample b")).isEmpty();
        // Every stage that ran before the report, with the parts of calibration and of healing.
        assertThat(d.select("table.stages tr.stage td:first-child").eachText()).containsExactly("select", "plan", "calibrate", "heal", "write", "evaluate", "sample");
        assertThat(d.select("table.stages tr.part td:first-child").eachText()).containsExactly("data", "forward", "statistics", "decompositions", "data", "training");
        List<String> stages = new ArrayList<>();
        summary.get("stages").forEach(s -> stages.add(s.get("name").asText()));
        assertThat(stages).containsExactly("select", "plan", "calibrate", "heal", "write", "evaluate", "sample", "report");
        assertThat(d.select("table.healing td").get(0).text()).isEqualTo(String.format(Locale.ROOT, "%.4f", summary.at("/healing/loss_before").asDouble()));
        assertThat(d.select("table.healing td").get(1).text()).isEqualTo(String.format(Locale.ROOT, "%.4f", summary.at("/healing/loss_after").asDouble()));
        selfContained(d);
    }

    /** Text as an HTML parser gives an element's text: runs of white space as one space, none at the ends. */
    private static String normalized(String s) { return s.replaceAll("\\s+", " ").strip(); }

    /** Nothing to fetch: no scripts, styles, images or frames from anywhere, no links out. */
    private static void selfContained(Document d) {
        assertThat(d.select("script, link, img, iframe, object, embed")).isEmpty();
        assertThat(d.select("[src], [href]")).isEmpty();
        assertThat(d.select("style").html()).doesNotContain("@import").doesNotContain("url(");
    }

    @Test
    void codeHistogramCountsEveryCodeOfEveryLayer() throws IOException {
        Cli.Result r = Cli.run("report", lort.toString(), "-o", tmp.resolve("r.html").toString(), "--json", "--threads", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode data = JSON.readTree(r.out());
        assertThat(data.get("output").asText()).isEqualTo(tmp.resolve("r.html").toString());
        try (LortFile f = LortFile.open(lort)) {
            assertThat(data.get("layers")).hasSize(f.layers().size());
            for (JsonNode l : data.get("layers")) {
                CompressedLayer layer = f.layers().get(l.get("name").asText());
                long[] counts = new long[3];
                for (int i = 0; i < layer.rows(); i++) for (int j = 0; j < layer.cols(); j++) counts[layer.ternary(i, j) + 1]++;
                assertThat(new long[] {l.at("/codes/minus").asLong(), l.at("/codes/zero").asLong(), l.at("/codes/plus").asLong()}).containsExactly(counts);
                assertThat(l.get("zero_share").asDouble()).isEqualTo((double) counts[1] / (layer.rows() * (long) layer.cols()));
            }
            // Totals: the stored bits per weight is the summary's; the whole file's counts every byte.
            assertThat(data.at("/totals/bits_per_weight_compressed").asDouble()).isCloseTo(summary.get("bits_per_weight").asDouble(), org.assertj.core.data.Offset.offset(1e-4));
            long weights = data.at("/totals/compressed_params").asLong() + data.at("/totals/kept_params").asLong();
            assertThat(data.at("/totals/bits_per_weight_file").asDouble()).isEqualTo(8.0 * Files.size(lort) / weights);
            assertThat(data.at("/totals/ratio_vs_fp16").asDouble()).isCloseTo(summary.get("ratio_vs_fp16").asDouble(), org.assertj.core.data.Offset.offset(1e-9));
        }
        Document d = parse(tmp.resolve("r.html"));
        for (Element row : d.select("tr.layer")) {
            double sum = 0;
            for (int c = 7; c <= 9; c++) sum += Double.parseDouble(row.select("td").get(c).text().replace(" %", ""));
            assertThat(sum).isCloseTo(100, org.assertj.core.data.Offset.offset(0.2));
            assertThat(row.select("td svg rect")).hasSize(3);
        }
    }

    @Test
    void aFileAloneGivesAReportWithoutRunDataAndTheRunSummaryBringsItBack() throws IOException {
        Path copy = Files.copy(lort, tmp.resolve("alone.lort"));
        Cli.Result r = Cli.run("report", copy.toString(), "-q");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).isEmpty();
        Document alone = parse(tmp.resolve("alone.html")); // the default name
        assertThat(alone.select("tr.layer")).hasSize(summary.get("compressed_layers").asInt());
        assertThat(alone.select("table.stages, table.eval, div.sample")).isEmpty();
        assertThat(alone.select("#timings + p.note").text()).contains("--run");

        assertThat(Cli.run("report", copy.toString(), "--run", runJson.toString(), "-o", tmp.resolve("again.html").toString()).exitCode()).isZero();
        Document again = parse(tmp.resolve("again.html")), original = parse(html);
        for (String part : List.of("table.eval", "div.sample", "table.totals", "table.layers"))
            assertThat(again.select(part).outerHtml()).as(part).isEqualTo(original.select(part).outerHtml());
        // The summary also timed the report itself, after it was written.
        assertThat(again.select("table.stages tr.stage td:first-child").eachText()).containsExactly("select", "plan", "calibrate", "heal", "write", "evaluate", "sample", "report");
    }

    @Test
    void promptGivesSamplesFromTheFileAndTheOriginal() throws IOException {
        Path model = SharedData.require("models/stories260K");
        Cli.Result r = Cli.run("report", lort.toString(), "-o", tmp.resolve("p.html").toString(), "--prompt", "Once upon a time",
                "--original", model.toString(), "--sample-tokens", "12", "--json", "-q");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode sample = JSON.readTree(r.out()).at("/run/sample");
        assertThat(sample.get("original").asText()).isEqualTo(summary.at("/sample/original").asText().substring(0, sample.get("original").asText().length()));
        Document d = parse(tmp.resolve("p.html"));
        assertThat(d.select("div.sample.compressed").text()).startsWith("Once upon a time").hasSizeGreaterThan(20);
        assertThat(Cli.run("report", lort.toString(), "--original", model.toString()).err()).contains("--original goes with --prompt");
    }

    @Test
    void healingLossesInTheFilesMetadataAreShown() throws IOException {
        Path file = tmp.resolve("healed.lort");
        try (LortWriter w = LortWriter.create(file)) {
            w.addLayer(CompressedLayer.encode("model.layers.0.mlp.up_proj.weight", 4, 8, 0, Packing.T2_G64, ScaleEncoding.ROW_F32,
                    new float[] {1, 2, 3, 4}, new byte[32], new float[0], new float[0], null), null);
            ObjectNode meta = JsonNodeFactory.instance.objectNode();
            ObjectNode h = meta.putObject("healing");
            h.put("loss_before", 0.75);
            h.put("loss_after", 0.25);
            h.put("steps", 100);
            h.put("kept", true);
            h.put("tokens", 204800);
            w.finish(meta);
        }
        Cli.Result r = Cli.run("report", file.toString(), "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(JSON.readTree(r.out()).at("/run/healing/loss_after").asDouble()).isEqualTo(0.25);
        Document d = parse(tmp.resolve("healed.html"));
        // The file holds no timings: the seconds are unknown from it alone.
        assertThat(d.select("table.healing td").eachText()).containsExactly("0.7500", "0.2500", "100 in – s", "healed model kept");
        assertThat(d.select("tr.layer")).hasSize(1);
        assertThat(d.select("tr.layer td").get(8).text()).isEqualTo("100.0 %"); // every code is 0
    }
}
