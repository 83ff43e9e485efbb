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

/** {@code lort compress --method calibrated} end to end on the real stories260K model. */
class CompressCalibratedTest {
    @TempDir Path tmp;

    @Test
    void calibratedAndHealedFileIsDeterministicWithinBudgetAndReportsErrorsAndPerplexity() throws Exception {
        Path model = SharedData.require("models/stories260K");
        String text = Files.readString(SharedData.require("data/tinystories-valid-excerpt.txt"));
        String[] stories = text.split("\n<\\|endoftext\\|>\n");
        Path calib = tmp.resolve("calib.txt"), held = tmp.resolve("held.txt");
        Files.writeString(calib, String.join("\n<|endoftext|>\n", java.util.Arrays.copyOfRange(stories, 0, 3)));
        Files.writeString(held, String.join("\n<|endoftext|>\n", java.util.Arrays.copyOfRange(stories, 40, 46)));
        Path a = tmp.resolve("a.lort"), b = tmp.resolve("b.lort");
        String[] common = {"compress", "--model", model.toString(), "--min-dim", "32", "--calibration", calib.toString(),
                "--sweeps", "2", "--heal-steps", "12", "--heal-batch", "2", "--heal-length", "96", "--json", "-q"};
        Cli.Result r = Cli.run(concat(common, "-o", a.toString(), "--eval", held.toString(), "--threads", "2"));
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode s = new ObjectMapper().readTree(r.out());
        assertThat(s.get("method").asText()).isEqualTo("calibrated");
        assertThat(s.get("compressed_layers").asInt()).isEqualTo(35);
        assertThat(s.get("bits_per_weight").asDouble()).isLessThanOrEqualTo(2.3);
        for (JsonNode l : s.get("layers")) assertThat(l.get("output_error").asDouble()).isBetween(0.0, 1.0);
        double original = s.get("eval").get("original_perplexity").asDouble(), compressed = s.get("eval").get("compressed_perplexity").asDouble();
        assertThat(original).isBetween(2.0, 5.0);
        assertThat(compressed).isGreaterThan(original).isLessThan(20 * original); // 3 calibration stories only
        JsonNode heal = s.get("healing");
        assertThat(heal.get("steps").asInt()).isEqualTo(12);
        assertThat(heal.get("kept").asBoolean()).isTrue();
        assertThat(heal.get("loss_after").asDouble()).isLessThan(heal.get("loss_before").asDouble());
        // The heal stage's parts: the teacher's data, then the training; together at most the stage.
        JsonNode stage = null;
        for (JsonNode st : s.get("stages")) if (st.get("name").asText().equals("heal")) stage = st;
        assertThat(stage).isNotNull();
        assertThat(stage.get("parts")).extracting(p -> p.get("name").asText()).containsExactly("data", "training");
        double parts = stage.get("parts").get(0).get("seconds").asDouble() + stage.get("parts").get(1).get("seconds").asDouble();
        assertThat(stage.get("parts").get(0).get("seconds").asDouble()).isPositive();
        assertThat(parts).isLessThanOrEqualTo(stage.get("seconds").asDouble() + 1e-6);

        // Same seed, same file (threads 1 this time: neither the fits nor healing depend on the split).
        Cli.Result again = Cli.run(concat(common, "-o", b.toString(), "--threads", "1"));
        assertThat(again.exitCode()).as(again.err()).isZero();
        try (LortFile fa = LortFile.open(a); LortFile fb = LortFile.open(b)) {
            assertThat(fa.version()).isEqualTo("1.2"); // t3-b5 codes (1.1), the q4 embedding (1.2)
            for (String name : fa.layers().keySet()) {
                var la = fa.layers().get(name);
                var lb = fb.layers().get(name);
                assertThat(la.scales().mismatch(lb.scales())).as(name).isEqualTo(-1);
                assertThat(la.codes().mismatch(lb.codes())).as(name).isEqualTo(-1);
                assertThat(la.a().mismatch(lb.a())).as(name).isEqualTo(-1);
            }
        }
    }

    /**
     * Qwen's tokenizers have no BOS token (tokenizer_config.json: {@code "bos_token": null}): self
     * calibration then starts from config.json's bos_token_id instead of failing, which is what
     * the default command on Qwen/Qwen2.5-0.5B needs.
     */
    @Test
    void selfCalibrationStartsFromTheConfigsBosWhenTheTokenizerHasNone() throws Exception {
        Path tiny = SharedData.require("models/tiny-qwen3"), qwenTokenizer = SharedData.require("tokenizers/qwen3");
        Path model = Files.createDirectory(tmp.resolve("model"));
        for (String f : new String[] {"config.json", "generation_config.json", "model.safetensors"})
            Files.copy(tiny.resolve(f), model.resolve(f));
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"})
            Files.copy(qwenTokenizer.resolve(f), model.resolve(f));
        Cli.Result r = Cli.run("compress", "--model", model.toString(), "--min-dim", "16", "--calibration-samples", "2",
                "--calibration-length", "12", "--heal-steps", "2", "--heal-batch", "1", "--heal-length", "12",
                "-o", tmp.resolve("q.lort").toString(), "--json", "-q");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode s = new ObjectMapper().readTree(r.out());
        assertThat(s.get("method").asText()).isEqualTo("calibrated");
        assertThat(s.get("calibration_tokens").asInt()).isGreaterThanOrEqualTo(4);
        assertThat(s.get("healing").get("steps").asInt()).isEqualTo(2); // healing samples from that BOS too
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
