package ai.lort.cli;

import ai.lort.heal.HealOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The healing options of compress and heal. */
final class HealOption {
    @Spec(Spec.Target.MIXEE) CommandSpec mixee;

    private int steps = -1;
    private int batch = HealOptions.DEFAULT_BATCH, length = HealOptions.DEFAULT_LENGTH, topK = HealOptions.DEFAULT_TOP_K;
    private float rate = HealOptions.DEFAULT_RATE;
    private double codeBudget = HealOptions.DEFAULT_CODE_BUDGET;
    private HealOptions.Trains trains = HealOptions.Trains.ALL;
    private Path data;

    @Option(names = "--heal-steps", paramLabel = "<N>",
            description = "Healing steps, 0 or more: distil the compressed model toward the original end to end; 0 turns healing off "
                    + "[default: what a fixed compute budget buys for the model's size, 4 to 400]")
    void steps(int n) {
        if (n < 0) throw new BadOptionValue(mixee, "--heal-steps must be 0 or more");
        steps = n;
    }

    @Option(names = "--heal-rate", paramLabel = "<LR>", description = "Peak learning rate of healing, above 0 up to 1 (Adam; warm-up, then cosine to a tenth; the row scales at it times 10/3 of their RMS) [default: "
            + HealOptions.DEFAULT_RATE + "]")
    void rate(float lr) {
        if (!(lr > 0 && lr <= 1)) throw new BadOptionValue(mixee, "--heal-rate must be in (0, 1]");
        rate = lr;
    }

    @Option(names = "--heal-batch", paramLabel = "<N>", description = "Sequences per healing step, 1 to 4096 [default: " + HealOptions.DEFAULT_BATCH + "]")
    void batch(int n) {
        if (n < 1 || n > 4096) throw new BadOptionValue(mixee, "--heal-batch must be between 1 and 4096");
        batch = n;
    }

    @Option(names = "--heal-length", paramLabel = "<TOKENS>", description = "Tokens per healing sequence at most, 2 to 8192 [default: "
            + HealOptions.DEFAULT_LENGTH + "]")
    void length(int n) {
        if (n < 2 || n > 8192) throw new BadOptionValue(mixee, "--heal-length must be between 2 and 8192");
        length = n;
    }

    @Option(names = "--heal-top-k", paramLabel = "<K>", hidden = true, description = "Teacher tokens kept per position [default: "
            + HealOptions.DEFAULT_TOP_K + "]")
    void topK(int k) {
        if (k < 1 || k > 4096) throw new BadOptionValue(mixee, "--heal-top-k must be between 1 and 4096");
        topK = k;
    }

    @Option(names = "--heal-codes", paramLabel = "<SHARE>",
            description = "Ternary code moves per healing step: at most one per row, the most promising first, while their predicted "
                    + "loss decrease stays within this share of the step's loss, 0 to 1 (decaying to none at the last step); "
                    + "0 keeps the codes as fitted [default: " + HealOptions.DEFAULT_CODE_BUDGET + "]")
    void codes(double share) {
        if (!(share >= 0 && share <= 1)) throw new BadOptionValue(mixee, "--heal-codes must be between 0 and 1");
        codeBudget = share;
    }

    @Option(names = "--heal-train", paramLabel = "<PARTS>", hidden = true,
            description = "What healing trains: scales, low-rank (and the scales) or all (and the norms and biases) [default: all]")
    void train(String parts) {
        trains = HealOptions.Trains.byId(parts).orElseThrow(() -> new BadOptionValue(mixee, "--heal-train " + parts + " is not known; use scales, low-rank or all"));
    }

    @Option(names = "--heal-data", paramLabel = "<FILE>",
            description = "Distil on this text (documents separated by <|endoftext|> lines; a tenth held out) instead of text the original samples")
    void data(Path file) {
        if (!Files.isRegularFile(file)) throw new BadOptionValue(mixee, "--heal-data " + file + ": no such file");
        data = file;
    }

    HealOptions options() {
        return new HealOptions(steps, batch, length, rate, topK, HealOptions.DEFAULT_EVAL_EVERY, HealOptions.DEFAULT_HELD_OUT,
                HealOptions.DEFAULT_PATIENCE, data, codeBudget, trains);
    }
}
