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
 */
public record HealOptions(int steps, int batch, int length, float rate, int topK, int evalEvery, int heldOut,
                          int patience, Path data) {
    public static final int DEFAULT_BATCH = 8, DEFAULT_LENGTH = 256, DEFAULT_TOP_K = 64, DEFAULT_EVAL_EVERY = 25,
            DEFAULT_HELD_OUT = 16, DEFAULT_PATIENCE = 4;
    public static final float DEFAULT_RATE = 1e-3f;
    /**
     * The default compute budget, in floating-point operations: a step costs about 8 multiply-adds
     * per parameter and token (the student's forward, its forward again inside the backward, and
     * the backward, with the head's share).
     */
    static final double DEFAULT_BUDGET = 4e13;
    static final int MIN_STEPS = 20, MAX_STEPS = 400;

    public static HealOptions defaults() {
        return new HealOptions(-1, DEFAULT_BATCH, DEFAULT_LENGTH, DEFAULT_RATE, DEFAULT_TOP_K, DEFAULT_EVAL_EVERY, DEFAULT_HELD_OUT,
                DEFAULT_PATIENCE, null);
    }

    public boolean enabled() { return steps != 0; }

    /** Steps that spend {@link #DEFAULT_BUDGET} on a model of {@code parameters} weights (clamped to 20..400). */
    public int defaultSteps(long parameters) {
        double perStep = 8.0 * parameters * batch * length;
        return (int) Math.max(MIN_STEPS, Math.min(MAX_STEPS, Math.round(DEFAULT_BUDGET / perStep)));
    }

    public int stepsFor(long parameters) { return steps < 0 ? defaultSteps(parameters) : steps; }
}
