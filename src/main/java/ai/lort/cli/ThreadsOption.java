package ai.lort.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --threads}: the worker threads of compress, infer and eval; all cores unless given. */
final class ThreadsOption {
    @Spec(Spec.Target.MIXEE) CommandSpec mixee;

    private Integer requested;

    /** More threads than this only spin against each other (the workers busy-wait between operations). */
    static final int MAX = 4 * Runtime.getRuntime().availableProcessors();

    @Option(names = "--threads", paramLabel = "<N>", description = "Worker threads, 1 to 4 x the cores [default: all cores]")
    void set(int n) {
        if (n < 1 || n > MAX) throw new BadOptionValue(mixee, "--threads " + n + " is out of range; use 1 to " + MAX + " (4 x the " + MAX / 4 + " cores)");
        requested = n;
    }

    /** The --threads given, or the number of cores. */
    int count() {
        return requested != null ? requested : Runtime.getRuntime().availableProcessors();
    }
}
