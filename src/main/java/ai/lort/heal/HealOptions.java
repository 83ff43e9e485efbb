package ai.lort.heal;

import java.nio.file.Path;

/**
 * How healing runs.
 *
 * @param steps     optimizer steps (0: no healing; negative: {@link #defaultSteps} for the model)
 * @param batch     sequences per step (their gradients averaged)
 * @param length    tokens per sequence at most
 * @param rate      peak learning rate (Adam), reached after the warm-up, then a cosine to a tenth
 * @param topK      teacher tokens kept per position; the rest of its distribution is one tail mass
 * @param evalEvery steps between evaluations of the held-out loss
 * @param heldOut   held-out sequences (sampled from the teacher, never trained on)
 * @param patience  evaluations without a better held-out loss before stopping early
 * @param data      a text to distil on instead of sequences the teacher samples, or null
 * @param codeBudget the ternary code moves of a step may together promise to lower the step's loss
 *                  by at most this share of it (decaying to none at the last step; 0: the codes stay
 *                  as fitted). Off, whatever it says, where their gradients would take over a
 *                  quarter of the heap
 * @param trains    which parameters train (all of them by default; fewer to measure what each adds)
 */
public record HealOptions(int steps, int batch, int length, float rate, int topK, int evalEvery, int heldOut,
                          int patience, Path data, double codeBudget, Trains trains) {
    /** Which of the student's parameters train, each level adding to the one before. */
    public enum Trains {
        /** The compressed layers' row scales. */
        SCALES("scales"),
        /** ... and their low-rank factors. */
        LOW_RANK("low-rank"),
        /** ... and every norm weight and bias. */
        ALL("all");

        private final String id;

        Trains(String id) { this.id = id; }

        public String id() { return id; }

        public static java.util.Optional<Trains> byId(String id) {
            return java.util.Arrays.stream(values()).filter(t -> t.id.equals(id)).findFirst();
        }

        /** Whether the student's parameter of this name ({@code layer#scales}, {@code layer#a}, a norm...) trains. */
        boolean trains(String param) {
            if (param.endsWith("#scales")) return true;
            if (param.endsWith("#a") || param.endsWith("#b")) return this != SCALES;
            return this == ALL;
        }
    }

    public static final int DEFAULT_BATCH = 8, DEFAULT_LENGTH = 256, DEFAULT_TOP_K = 64, DEFAULT_EVAL_EVERY = 25,
            DEFAULT_HELD_OUT = 16, DEFAULT_PATIENCE = 4;
    public static final float DEFAULT_RATE = 3e-3f;
    /**
     * A layer's row scales train at the rate times this times their RMS (at the default rate, an
     * Adam step then moves a scale by about 1 % of the layer's typical scale). A row scale is the
     * mean magnitude of its row's weights, a few hundredths in a trained model, so at the full rate
     * a step would change it by a tenth and more; the low-rank factors and the norms train at the
     * full rate.
     */
    public static final float SCALE_RATE = 10f / 3;
    public static final double DEFAULT_CODE_BUDGET = 0.05;
    /**
     * The default compute budget, in floating-point operations: a step costs about 8 multiply-adds
     * per parameter and token (the student's forward, its forward again inside the backward, and
     * the backward, with the head's share).
     */
    static final double DEFAULT_BUDGET = 4e13;
    static final int MIN_STEPS = 4, MAX_STEPS = 400;

    public static HealOptions defaults() {
        return new HealOptions(-1, DEFAULT_BATCH, DEFAULT_LENGTH, DEFAULT_RATE, DEFAULT_TOP_K, DEFAULT_EVAL_EVERY, DEFAULT_HELD_OUT,
                DEFAULT_PATIENCE, null, DEFAULT_CODE_BUDGET, Trains.ALL);
    }

    public boolean enabled() { return steps != 0; }

    /** Steps that spend {@link #DEFAULT_BUDGET} on a model of {@code parameters} weights (clamped to 4..400). */
    public int defaultSteps(long parameters) {
        double perStep = 8.0 * parameters * batch * length;
        return (int) Math.max(MIN_STEPS, Math.min(MAX_STEPS, Math.round(DEFAULT_BUDGET / perStep)));
    }

    public int stepsFor(long parameters) { return steps < 0 ? defaultSteps(parameters) : steps; }
}
