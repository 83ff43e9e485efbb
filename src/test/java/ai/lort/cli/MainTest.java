package ai.lort.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.testing.Cli;
import org.junit.jupiter.api.Test;

class MainTest {
    private static final String NL = System.lineSeparator();

    @Test
    void usageErrorsAreOneLineNamingTheHelpToRead() {
        Cli.Result none = Cli.run();
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.err()).isEqualTo("lort: error: a subcommand is needed (compress, inspect, ...); see lort --help" + NL);

        Cli.Result typo = Cli.run("infer", "--model", "m.lort", "--thread", "2");
        assertThat(typo.exitCode()).isEqualTo(2);
        assertThat(typo.err()).isEqualTo("infer: error: Unknown options: '--thread', '2' (did you mean --threads?); see lort infer --help" + NL);

        Cli.Result missing = Cli.run("eval", "--text", "x.txt");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).isEqualTo("eval: error: Missing required option: '--model=<MODEL>'; see lort eval --help" + NL);

        Cli.Result both = Cli.run("compress", "--bpw", "2", "--rank", "3");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).isEqualTo("compress: error: --bpw=<BITS>, --rank=<R> are mutually exclusive (specify only one); see lort compress --help" + NL);
        assertThat(typo.out() + missing.out() + both.out()).isEmpty();
    }

    @Test
    void helpStillPrintsTheUsage() {
        Cli.Result r = Cli.run("infer", "--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).startsWith("Usage: lort infer");
    }
}
