package ai.lort.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --threads}: the worker threads of compress, infer and eval; all cores unless given. */
final class ThreadsOption {
    @Spec(Spec.Target.MIXEE) CommandSpec mixee;

    private Integer requested;

    @Option(names = "--threads", paramLabel = "<N>", description = "Worker threads [default: all cores]")
    void set(int n) {
        if (n < 1) throw new BadOptionValue(mixee, "--threads must be at least 1");
        requested = n;
    }

    /** The --threads given, or the number of cores. */
    int count() {
        return requested != null ? requested : Runtime.getRuntime().availableProcessors();
    }
}
