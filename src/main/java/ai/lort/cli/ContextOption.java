package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.model.ModelConfig;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --ctx}: the context length infer and eval load the model with (eval scores windows of
 * this length); unless given, the model's max_position_embeddings up to each command's cap.
 */
final class ContextOption {
    static final int INFER_CAP = 4096;
    static final int EVAL_CAP = 2048;

    @Spec(Spec.Target.MIXEE) CommandSpec mixee;

    private Integer requested;

    @Option(names = "--ctx", paramLabel = "<N>",
            description = "Context length in tokens (eval: the window length) [default: max_position_embeddings, at most "
                    + INFER_CAP + " for infer, " + EVAL_CAP + " for eval]")
    void set(int n) {
        if (n < 2) throw new BadOptionValue(mixee, "--ctx must be at least 2");
        requested = n;
    }

    /** The --ctx given, or 0. */
    int requested() { return requested != null ? requested : 0; }

    /** The --ctx given, or the model's max_position_embeddings up to {@code cap}. */
    int length(ModelConfig config, int cap) {
        if (requested != null) return requested;
        int n = Math.min(config.maxPositions(), cap);
        if (n < 2) throw new LortException("the model's max_position_embeddings is " + config.maxPositions() + "; give --ctx (at least 2)");
        return n;
    }
}
