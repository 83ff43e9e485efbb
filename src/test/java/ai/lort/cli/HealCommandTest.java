package ai.lort.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.format.LortFile;
import ai.lort.testing.Cli;
import ai.lort.testing.SharedData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lort heal} on a real compressed model: a new file, healed, the input untouched; clear refusals. */
class HealCommandTest {
    @TempDir Path tmp;

    @Test
    void healsAFileIntoANewOneAndLeavesTheInputAlone() throws Exception {
        Path model = SharedData.require("models/stories260K");
        Path in = tmp.resolve("in.lort"), out = tmp.resolve("out.lort");
        assertThat(Cli.run("compress", "-m", model.toString(), "--min-dim", "32", "--calibration-samples", "8", "--heal-steps", "0",
                "-o", in.toString(), "-q").exitCode()).isZero();
        byte[] before = Files.readAllBytes(in);
        Cli.Result r = Cli.run("heal", in.toString(), "--model", model.toString(), "-o", out.toString(), "--heal-steps", "8",
                "--heal-batch", "2", "--heal-length", "64", "--json", "-q");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode s = new ObjectMapper().readTree(r.out());
        assertThat(s.at("/healing/kept").asBoolean()).isTrue();
        assertThat(s.at("/healing/loss_after").asDouble()).isLessThan(s.at("/healing/loss_before").asDouble());
        assertThat(Files.readAllBytes(in)).isEqualTo(before);
        try (LortFile a = LortFile.open(in); LortFile b = LortFile.open(out)) {
            assertThat(b.layers().keySet()).isEqualTo(a.layers().keySet());
            assertThat(b.fileNames()).isEqualTo(a.fileNames());
            assertThat(b.metadata().at("/healing/steps").asInt()).isEqualTo(8);
            assertThat(b.metadata().at("/options/heal/batch").asInt()).isEqualTo(2);
            String name = "model.layers.2.mlp.down_proj.weight";
            assertThat(b.layers().get(name).codes().mismatch(a.layers().get(name).codes())).isEqualTo(-1); // codes stay by default
            assertThat(b.layers().get(name).scales().mismatch(a.layers().get(name).scales())).isNotEqualTo(-1);
            assertThat(b.verify()).isEmpty();
        }
        // The healed file runs.
        Cli.Result run = Cli.run("infer", "--model", out.toString(), "--prompt", "Once upon a time", "--max-tokens", "8", "--temperature", "0");
        assertThat(run.exitCode()).as(run.err()).isZero();
    }

    @Test
    void refusesTheInputAsOutputAndAModelOfAnotherShape() throws Exception {
        Path in = tmp.resolve("in.lort");
        assertThat(Cli.run("compress", "-m", SharedData.require("models/stories260K").toString(), "--min-dim", "32", "--method", "als",
                "--heal-steps", "0", "-o", in.toString(), "-q").exitCode()).isZero();
        Cli.Result same = Cli.run("heal", in.toString(), "--model", SharedData.require("models/stories260K").toString(), "-o", in.toString());
        assertThat(same.exitCode()).isEqualTo(1);
        assertThat(same.err()).contains("is the input file").hasLineCount(1);
        Cli.Result other = Cli.run("heal", in.toString(), "--model", SharedData.require("models/tiny-llama3").toString(),
                "-o", tmp.resolve("x.lort").toString());
        assertThat(other.exitCode()).isEqualTo(1);
        assertThat(other.err()).contains("was not compressed from this model").hasLineCount(1);
        assertThat(tmp.resolve("x.lort")).doesNotExist();
    }
}
