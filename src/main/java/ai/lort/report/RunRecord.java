package ai.lort.report;

import ai.lort.compress.Compressor;
import ai.lort.heal.Healer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What only a compression run knows, as opposed to what the {@code .lort} file records: how long
 * each stage took, the perplexity before and after ({@code --eval}), a generated sample from both
 * models, and healing's held-out loss before and after. None of it is written
 * into the file, so that the same seed still gives the same bytes; it lives in the compress-time
 * report and in {@code lort compress --json}'s summary, whose fields of the same names
 * {@link #fromJson} reads back ({@code lort report FILE --run SUMMARY.json}).
 *
 * @param stages      the pipeline's stages in order (each with its parts, e.g. calibration's)
 * @param seconds     the whole run's wall time, or NaN
 * @param sourceBytes the source's weights in their own dtypes, or -1 when unknown
 * @param evaluation  null without {@code --eval}
 * @param sample      null when no sample was generated
 * @param healing     null when no healing stage ran
 */
public record RunRecord(List<Stage> stages, double seconds, long sourceBytes, long calibrationTokens,
                        Evaluation evaluation, Sample sample, Healing healing) {
    public record Stage(String name, double seconds, List<Stage> parts) {}

    /** Perplexity of the original and the compressed model on the documents of {@code file}. */
    public record Evaluation(String file, int documents, long tokens, double original, double compressed) {}

    /** Greedy continuations of {@code prompt} by both models; {@code original} is null when only the file was run. */
    public record Sample(String prompt, int tokens, String original, String compressed) {}

    /**
     * The healing stage: its held-out distillation loss (KL to the original, nats per token) before
     * and after, whether the healed model was kept, its steps and the tokens it trained on, and time.
     */
    public record Healing(double lossBefore, double lossAfter, int steps, double seconds, boolean kept, long tokens) {
        /** What {@code r} says, or null for no healing. */
        public static Healing of(Healer.Result r) {
            return r == null ? null : new Healing(r.before(), r.after(), r.steps(), r.seconds(), r.kept(), r.tokens());
        }
    }

    public static RunRecord empty() { return new RunRecord(List.of(), Double.NaN, -1, 0, null, null, null); }

    /** The run record of a compression, with what came after it (sample, report) as extra stages. */
    public static RunRecord of(Compressor.Summary s, Sample sample, List<Stage> after) {
        List<Stage> stages = new ArrayList<>();
        for (Map.Entry<String, Double> e : s.stages().entrySet()) {
            List<Stage> parts = List.of();
            if (e.getKey().equals("calibrate") && s.calibration() != null) {
                var c = s.calibration();
                parts = List.of(new Stage("data", c.dataSeconds(), List.of()), new Stage("forward", c.timings().forward(), List.of()),
                        new Stage("statistics", c.timings().statistics(), List.of()), new Stage("decompositions", c.timings().compression(), List.of()));
            } else if (e.getKey().equals("heal") && s.heal() != null) {
                // The teacher's sampling and targets, then the rest: the student's steps and held-out evaluations.
                var h = s.heal();
                parts = List.of(new Stage("data", h.sampleSeconds(), List.of()), new Stage("training", Math.max(0, h.seconds() - h.sampleSeconds()), List.of()));
            }
            stages.add(new Stage(e.getKey(), e.getValue(), parts));
        }
        stages.addAll(after);
        Evaluation eval = s.evaluation() == null ? null : new Evaluation(s.evaluation().file(), s.evaluation().documents(),
                s.evaluation().tokens(), s.evaluation().original(), s.evaluation().compressed());
        Healing healing = Healing.of(s.heal());
        return new RunRecord(stages, s.seconds(), s.sourceBytes(), s.calibration() == null ? 0 : s.calibration().tokens(), eval, sample, healing);
    }

    /** The fields of compress's --json summary that hold this record (docs/JSON.md). */
    public void writeJson(ObjectNode o) {
        if (sourceBytes >= 0) o.put("source_bytes", sourceBytes);
        ArrayNode st = o.putArray("stages");
        for (Stage s : stages) stage(st.addObject(), s);
        if (evaluation != null) {
            ObjectNode e = o.putObject("eval");
            e.put("file", evaluation.file());
            e.put("documents", evaluation.documents());
            e.put("tokens", evaluation.tokens());
            e.put("original_perplexity", evaluation.original());
            e.put("compressed_perplexity", evaluation.compressed());
        }
        if (sample != null) {
            ObjectNode m = o.putObject("sample");
            m.put("prompt", sample.prompt());
            m.put("tokens", sample.tokens());
            if (sample.original() != null) m.put("original", sample.original());
            m.put("compressed", sample.compressed());
        }
        if (healing != null) putHealing(o, healing);
    }

    /** {@code o.healing}: loss_before, loss_after, steps, seconds, kept, tokens. */
    public static void putHealing(ObjectNode o, Healing healing) {
        ObjectNode h = o.putObject("healing");
        h.put("loss_before", healing.lossBefore());
        h.put("loss_after", healing.lossAfter());
        h.put("steps", healing.steps());
        h.put("seconds", healing.seconds());
        h.put("kept", healing.kept());
        h.put("tokens", healing.tokens());
    }

    private static void stage(ObjectNode o, Stage s) {
        o.put("name", s.name());
        o.put("seconds", s.seconds());
        if (!s.parts().isEmpty()) {
            ArrayNode parts = o.putArray("parts");
            for (Stage p : s.parts()) stage(parts.addObject(), p);
        }
    }

    /** Reads a compress --json summary (fields it lacks stay empty). */
    public static RunRecord fromJson(JsonNode o) {
        List<Stage> stages = new ArrayList<>();
        for (JsonNode s : o.path("stages")) stages.add(stage(s));
        JsonNode e = o.path("eval"), m = o.path("sample"), h = o.path("healing");
        Evaluation eval = e.isObject() ? new Evaluation(e.path("file").asText(""), e.path("documents").asInt(), e.path("tokens").asLong(),
                e.path("original_perplexity").asDouble(Double.NaN), e.path("compressed_perplexity").asDouble(Double.NaN)) : null;
        Sample sample = m.isObject() ? new Sample(m.path("prompt").asText(""), m.path("tokens").asInt(),
                m.hasNonNull("original") ? m.get("original").asText() : null, m.path("compressed").asText("")) : null;
        Healing healing = healing(h);
        return new RunRecord(stages, o.path("seconds").asDouble(Double.NaN), o.path("source_bytes").asLong(-1),
                o.path("calibration_tokens").asLong(0), eval, sample, healing);
    }

    /** A healing object ({@code loss_before}, {@code loss_after}, {@code steps}, {@code seconds}), or null when absent. */
    static Healing healing(JsonNode h) {
        if (!h.isObject()) return null;
        return new Healing(h.path("loss_before").asDouble(Double.NaN), h.path("loss_after").asDouble(Double.NaN),
                h.path("steps").asInt(0), h.path("seconds").asDouble(Double.NaN), h.path("kept").asBoolean(true), h.path("tokens").asLong(0));
    }

    private static Stage stage(JsonNode s) {
        List<Stage> parts = new ArrayList<>();
        for (JsonNode p : s.path("parts")) parts.add(stage(p));
        return new Stage(s.path("name").asText("?"), s.path("seconds").asDouble(Double.NaN), parts);
    }

    /** The same record with {@code sample} (a report run on the file alone) and nothing else changed. */
    public RunRecord withSample(Sample s) { return new RunRecord(stages, seconds, sourceBytes, calibrationTokens, evaluation, s, healing); }
}
