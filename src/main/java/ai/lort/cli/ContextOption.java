package ai.lort.cli;

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
            description = "Context length in tokens (eval: the window length), 2 to the model's max_position_embeddings [default: max_position_embeddings, at most "
                    + INFER_CAP + " for infer, " + EVAL_CAP + " for eval]")
    void set(int n) {
        if (n < 2) throw new BadOptionValue(mixee, "--ctx " + n + " is out of range; use 2 to the model's max_position_embeddings");
        requested = n;
    }

    /** The --ctx given, or 0. */
    int requested() { return requested != null ? requested : 0; }
}
