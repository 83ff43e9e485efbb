package ai.lort.heal;

import ai.lort.LortException;
import ai.lort.calibrate.CalibrationData;
import ai.lort.engine.cpu.CpuBackend;
import ai.lort.format.CompressedLayer;
import ai.lort.model.LlamaModel;
import ai.lort.model.ModelConfig;
import ai.lort.tokenizer.Tokenizer;
import ai.lort.util.ProgressBar;
import ai.lort.weights.WeightSource;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Healing: distils the compressed model (the student) toward the original (the teacher) end to
 * end. The loss is KL(teacher ‖ student) of the next-token distributions at every position,
 * the teacher's distribution kept as its top k and the tail's mass ({@link TeacherTargets}).
 * Data: fresh sequences the teacher samples from BOS (so nothing is seen twice), or a text's
 * documents. A held-out set decides: the parameters with the lowest held-out loss are kept, and
 * if none beat the starting point the model comes back unchanged.
 */
public final class Healer {
    /** Sequences the teacher samples at once (one lockstep group). */
    static final int CHUNK = 64;
    /** Seeds of the held-out and the training samples start this far from the run's seed (calibration uses seed + i). */
    static final long HELD_OUT_SEEDS = 1L << 40, TRAIN_SEEDS = 2L << 40;

    /** Where healing is at, for a progress line. */
    public interface Progress {
        void step(int step, int steps, double trainLoss, double heldOutLoss);
    }

    /**
     * What healing did.
     *
     * @param layers  the compressed layers, healed (or as they came when healing did not help)
     * @param vectors the trained norm weights and biases by tensor name (empty when not kept)
     * @param before  held-out loss before healing, {@code after} the kept one
     * @param kept    whether the healed parameters were kept
     */
    public record Result(Map<String, CompressedLayer> layers, Map<String, float[]> vectors, double before, double after,
                         int steps, int plannedSteps, long tokens, long codesMoved, double seconds, double sampleSeconds, boolean kept,
                         String codeUpdatesOff) {}

    private Healer() {}

    /**
     * Heals {@code layers}, the compressed projections of the model whose original weights are
     * {@code source}.
     */
    public static Result run(WeightSource source, Map<String, CompressedLayer> layers, HealOptions o, long seed, int threads,
                             Progress progress) {
        return run(source, layers, Map.of(), o, seed, threads, progress);
    }

    /**
     * Why healing {@code layers} of this model would not fit the JVM's heap, or null when it does:
     * an estimate of what it holds at once (the codes as bytes, the embedding as floats, the step's
     * workspace, the teacher's caches for a chunk of samples, the logits), against the heap.
     */
    public static String heapShortfall(ModelConfig c, boolean untiedHead, Map<String, CompressedLayer> layers, HealOptions o) {
        int length = Math.min(o.length(), c.maxPositions());
        long vocab = c.vocabSize(), hidden = c.hiddenSize();
        long codes = 0, floats = 0;
        for (CompressedLayer l : layers.values()) codes += (long) l.rows() * l.cols();
        floats += vocab * hidden * (untiedHead ? 2 : 1);
        int rows = maxRows(c, o.batch(), length);
        floats += rows * (floatsPerRow(c, length) + 2L * (c.qDim() + 3L * c.intermediateSize())); // workspace and saved activations
        floats += 3L * length * vocab;                                                                           // the student's logits and loss
        floats += (long) CHUNK * (2L * length * c.layers() * c.kvDim() + vocab);                                  // the teacher's caches and logits
        long need = codes + 4 * floats + (256L << 20);
        long have = Runtime.getRuntime().maxMemory();
        if (need <= have) return null;
        long gb = (need + (1L << 30) - 1) >> 30;
        return String.format(java.util.Locale.ROOT, "healing this model needs about %.1f GB of heap and the JVM has %.1f GB; run with LORT_HEAP=%dg (or --heal-steps 0)",
                need / 1e9, have / 1e9, gb + 1);
    }

    /**
     * As above, with the embedding and head as the file will store them ({@code stored}, floats by
     * tensor name; a name not in it is the source's): the student runs them, the teacher the originals.
     */
    public static Result run(WeightSource source, Map<String, CompressedLayer> layers, Map<String, float[]> stored, HealOptions o,
                             long seed, int threads, Progress progress) {
        long t0 = System.nanoTime();
        ModelConfig config = ModelConfig.load(source);
        int length = Math.min(o.length(), config.maxPositions());
        try (LlamaModel teacher = LlamaModel.load(source, new CpuBackend(threads), length, CHUNK)) {
            Student student = new Student(config, source, layers, stored, length, maxRows(config, o.batch(), length), threads);
            int k = Math.min(o.topK(), student.vocab());
            int steps = o.stepsFor(config.parameters());
            Data data = o.data() != null ? Data.text(teacher, source, o, k, length, seed, threads)
                    : Data.sampled(teacher, source, config, o, k, length, seed, threads);
            List<TeacherTargets> held = data.heldOut;
            Adam adam = Adam.defaults();
            for (Adam.Param p : student.params) if (o.trains().trains(p.name())) adam.add(p);
            // Code updates need a gradient of every compressed weight; past a quarter of the heap they stay off.
            boolean codes = o.codeBudget() > 0 && student.codeUpdateBytes() <= Runtime.getRuntime().maxMemory() / 4;
            if (codes) student.enableCodeUpdates();
            double before = meanLoss(student, held), best = before;
            Snapshot bestValues = snapshot(student);
            long moved = 0;
            int sinceBest = 0, done = 0, warmup = Math.max(1, Math.min(50, steps / 10));
            long tokens = 0;
            double trainLoss = Double.NaN, heldLoss = before;
            for (int s = 0; s < steps; s++) {
                adam.zeroGrad();
                double sum = 0;
                List<TeacherTargets> micro = new ArrayList<>();
                int rows = 0;
                for (int b = 0; b < o.batch(); b++) {
                    TeacherTargets seq = data.next();
                    if (rows + seq.positions() > student.maxRows()) {
                        sum += student.step(micro, true);
                        micro.clear();
                        rows = 0;
                    }
                    micro.add(seq);
                    rows += seq.positions();
                    tokens += seq.positions();
                }
                sum += student.step(micro, true);
                adam.scaleGrad(1f / o.batch());
                adam.step(Adam.rate(o.rate(), s, steps, warmup));
                // The moves may take a share of the step's loss, most at first and none at the end, where the scales settle.
                if (codes) moved += student.moveCodes(o.codeBudget() * sum * (1 - (double) s / steps));
                trainLoss = sum / o.batch();
                done = s + 1;
                if (done % o.evalEvery() == 0 || done == steps) {
                    heldLoss = meanLoss(student, held);
                    if (heldLoss < best) {
                        best = heldLoss;
                        bestValues = snapshot(student);
                        sinceBest = 0;
                    } else if (++sinceBest >= o.patience()) {
                        if (progress != null) progress.step(done, steps, trainLoss, heldLoss);
                        break;
                    }
                }
                if (progress != null) progress.step(done, steps, trainLoss, heldLoss);
            }
            boolean kept = best < before;
            String off = o.codeBudget() > 0 && !codes ? String.format("their gradients (%.1f GB) would pass a quarter of the %.1f GB heap; raise LORT_HEAP to have them",
                    student.codeUpdateBytes() / 1e9, Runtime.getRuntime().maxMemory() / 1e9) : null;
            if (!kept) return new Result(layers, Map.of(), before, before, done, steps, tokens, 0, seconds(t0), data.sampleSeconds, false, off);
            restore(student, bestValues);
            return new Result(student.layers(), student.vectors(), before, best, done, steps, tokens, moved, seconds(t0), data.sampleSeconds, true, off);
        }
    }

    private static double seconds(long t0) { return (System.nanoTime() - t0) / 1e9; }

    /** The mean over {@code set}'s sequences of each one's loss (the mean over its positions). */
    static double meanLoss(Student student, List<TeacherTargets> set) {
        double sum = 0;
        List<TeacherTargets> micro = new ArrayList<>();
        int rows = 0;
        for (TeacherTargets t : set) {
            if (rows + t.positions() > student.maxRows()) {
                sum += student.step(micro, false);
                micro.clear();
                rows = 0;
            }
            micro.add(t);
            rows += t.positions();
        }
        if (!micro.isEmpty()) sum += student.step(micro, false);
        return set.isEmpty() ? Double.NaN : sum / set.size();
    }

    /** Floats of a step's workspace per stacked token (the residual stream per layer, the block's intermediates, attention scores). */
    private static long floatsPerRow(ModelConfig c, int length) {
        return (long) c.hiddenSize() * (16 + c.layers()) + 8L * (c.qDim() + c.kvDim()) + 8L * c.intermediateSize()
                + 4L * c.hiddenSize() + 3L * c.intermediateSize() + (long) c.heads() * length;
    }

    /**
     * The most tokens the student takes in one pass: a whole batch, unless its activations would
     * take more than a quarter of the heap (then fewer, never less than one sequence).
     */
    static int maxRows(ModelConfig c, int batch, int length) {
        long fit = Runtime.getRuntime().maxMemory() / 4 / (4 * floatsPerRow(c, length));
        return (int) Math.max(length, Math.min((long) batch * length, fit));
    }

    /** A copy of what training changes: the parameters and the moving codes. */
    private record Snapshot(float[][] values, byte[][] codes) {}

    private static Snapshot snapshot(Student student) {
        return new Snapshot(student.state().stream().map(float[]::clone).toArray(float[][]::new),
                student.movingCodes().stream().map(byte[]::clone).toArray(byte[][]::new));
    }

    private static void restore(Student student, Snapshot snapshot) {
        List<float[]> state = student.state();
        for (int i = 0; i < snapshot.values.length; i++) System.arraycopy(snapshot.values[i], 0, state.get(i), 0, snapshot.values[i].length);
        List<byte[]> codes = student.movingCodes();
        for (int i = 0; i < snapshot.codes.length; i++) System.arraycopy(snapshot.codes[i], 0, codes.get(i), 0, snapshot.codes[i].length);
    }

    /** The training stream and the held-out set. */
    private static final class Data {
        final List<TeacherTargets> heldOut;
        private final Deque<TeacherTargets> queue = new ArrayDeque<>();
        private final List<TeacherTargets> documents; // text: cycled; sampled: null
        private final LlamaModel teacher;
        private final int bos, k, length, threads;
        private final long seed;
        private long next;
        private int epoch;
        double sampleSeconds;

        private Data(List<TeacherTargets> heldOut, List<TeacherTargets> documents, LlamaModel teacher, int bos, int k, int length,
                     long seed, int threads) {
            this.heldOut = heldOut;
            this.documents = documents;
            this.teacher = teacher;
            this.bos = bos;
            this.k = k;
            this.length = length;
            this.seed = seed;
            this.threads = threads;
        }

        static Data sampled(LlamaModel teacher, WeightSource source, ModelConfig config, HealOptions o, int k, int length, long seed, int threads) {
            int bos = Tokenizer.load(source::file).bosId().orElse(config.bosId());
            if (bos < 0) throw new LortException("healing samples its data from BOS, and neither the tokenizer nor config.json has one; give --heal-data FILE");
            long t0 = System.nanoTime();
            List<TeacherTargets> held = HealData.sample(teacher, bos, o.heldOut(), length, seed + HELD_OUT_SEEDS, threads, k);
            Data d = new Data(held, null, teacher, bos, k, length, seed + TRAIN_SEEDS, threads);
            d.sampleSeconds += (System.nanoTime() - t0) / 1e9;
            return d;
        }

        static Data text(LlamaModel teacher, WeightSource source, HealOptions o, int k, int length, long seed, int threads) {
            String text;
            try {
                text = Files.readString(o.data());
            } catch (IOException e) {
                throw new LortException("--heal-data " + o.data() + ": cannot read (" + e.getMessage() + ")");
            }
            List<int[]> docs = CalibrationData.fromText(Tokenizer.load(source::file), text, 0, length);
            if (docs.size() < 2) throw new LortException("--heal-data " + o.data() + ": needs 2 documents or more (separated by <|endoftext|> lines)");
            long t0 = System.nanoTime();
            List<TeacherTargets> all = HealData.of(teacher, docs, k, threads);
            int held = Math.max(1, all.size() / 10);
            Data d = new Data(all.subList(all.size() - held, all.size()), new ArrayList<>(all.subList(0, all.size() - held)),
                    teacher, -1, k, length, seed, threads);
            d.sampleSeconds += (System.nanoTime() - t0) / 1e9;
            return d;
        }

        TeacherTargets next() {
            if (queue.isEmpty()) refill();
            return queue.poll();
        }

        private void refill() {
            if (documents != null) { // a new epoch, in a seeded order
                List<TeacherTargets> order = new ArrayList<>(documents);
                java.util.Collections.shuffle(order, new java.util.Random(seed + epoch++));
                queue.addAll(order);
                return;
            }
            long t0 = System.nanoTime();
            queue.addAll(HealData.sample(teacher, bos, CHUNK, length, seed + next, threads, k));
            next += CHUNK;
            sampleSeconds += (System.nanoTime() - t0) / 1e9;
        }
    }

    /** A one-line summary of a result. */
    public static String describe(Result r) {
        return String.format(Locale.ROOT, "heal        held-out KL %.4f -> %.4f (%s), %d of %d steps, %,d tokens, %.1f s (sampling %.1f s)",
                r.before(), r.after(), r.kept() ? "kept" : "not better: the calibrated layers are kept", r.steps(), r.plannedSteps(),
                r.tokens(), r.seconds(), r.sampleSeconds());
    }
}
