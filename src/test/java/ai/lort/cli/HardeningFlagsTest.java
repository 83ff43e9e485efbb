package ai.lort.cli;

import static ai.lort.testing.Refusals.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.load.DType;
import ai.lort.testing.Cli;
import ai.lort.testing.Refusals;
import ai.lort.testing.SharedData;
import ai.lort.testing.TestModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Flags, names and machine output (issue "Hardening", items 10, 11 and 13): every numeric flag
 * is checked against the range its --help states, nothing blocks on a pipe, a prompt is text, the
 * exit codes are what every --help lists, and --json output is one JSON document.
 */
@Timeout(60)
class HardeningFlagsTest {
    @TempDir Path tmp;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "--ctx|2147483647|max_position_embeddings is 512, so use 2 to 512",
            "--temperature|NaN|--temperature NaN is out of range; use 0.0 to 100.0",
            "--temperature|-1|--temperature -1.0 is out of range",
            "--top-p|0|--top-p 0.0 is out of range",
            "--top-k|-1|--top-k -1 is out of range",
            "--max-tokens|-5|--max-tokens -5 is out of range",
            "--threads|100000|--threads 100000 is out of range",
    })
    void inferRefusesAValueOutOfItsRange(String option, String value, String expected) {
        Path m = SharedData.require("models/stories260K");
        assertRefused(Cli.run("infer", "--model", m.toString(), "--prompt", "Once", "--device", "cpu", option, value), expected);
    }

    @Test
    void aHugeTokenLimitStopsAtTheEndOfTheContext() {
        Path m = SharedData.require("models/stories260K");
        Cli.Result r = Cli.run("infer", "--model", m.toString(), "--prompt", "Once", "--device", "cpu", "--ctx", "16", "--temperature", "0",
                "--max-tokens", "2000000000");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).containsAnyOf("stopped: context", "stopped: eos");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "--bpw|NaN", "--bpw|0.5", "--rank|-1", "--min-dim|0", "--iters|1000000", "--beta|2", "--sweeps|-1",
            "--alternations|0", "--calibration-samples|-1", "--calibration-length|1",
    })
    void compressRefusesAValueOutOfItsRangeBeforeAnyWork(String option, String value) throws IOException {
        Path m = TestModels.singleFile(tmp.resolve("m"), DType.BF16);
        Path out = Files.createDirectories(tmp.resolve("out"));
        assertRefused(Cli.run("compress", "-m", m.toString(), "-o", out.resolve("x.lort").toString(), option, value), option + " " + value, "out of range");
        assertThat(Refusals.names(out)).isEmpty();
    }

    @Test
    void everyNumericOptionStatesItsRangeAndEveryHelpListsTheExitCodes() {
        for (var c : Main.commandLine().getSubcommands().entrySet()) {
            if (c.getKey().equals("help")) continue;
            String help = Cli.run(c.getKey(), "--help").out();
            assertThat(help).as(c.getKey()).contains("Exit codes:").containsPattern("\\n  0 +Success\\.").containsPattern("\\n  1 +Refused or failed")
                    .containsPattern("\\n  2 +The command line does not parse").containsPattern("\\n  70 +Internal error");
            for (var o : c.getValue().getCommandSpec().options()) {
                Class<?> type = o.type();
                boolean numeric = type == int.class || type == Integer.class || type == double.class || type == Double.class || type == float.class
                        || type == long.class || type == Long.class;
                if (numeric && !o.hidden())
                    assertThat(String.join(" ", o.description())).as(c.getKey() + " " + o.longestName()).containsPattern("\\d+ to |or more|any 64-bit|above 0 up to 1|1 to 4 x the cores");
            }
        }
    }

    @Test
    void aPromptIsTextEvenWithALeadingAt() throws IOException {
        Path m = SharedData.require("models/stories260K");
        Path secret = Files.writeString(tmp.resolve("secret.txt"), "SECRET CONTENT");
        Cli.Result r = Cli.run("infer", "--model", m.toString(), "--prompt", "@" + secret, "--max-tokens", "0", "--device", "cpu");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("@" + secret).doesNotContain("SECRET");
    }

    @Test
    void pipesAndShardSetsThatCannotExistAreRefusedAtOnce() throws Exception {
        Path m = SharedData.require("models/stories260K");
        Path fifo = tmp.resolve("pipe.txt");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        assertRefused(Cli.run("eval", "--model", m.toString(), "--text", fifo.toString(), "--device", "cpu"), "not a regular file");
        assertRefused(Cli.run("tokenize", "--model", m.toString(), "--file", fifo.toString()), "not a regular file");
        assertRefused(Cli.run("compress", "-m", m.toString(), "-o", tmp.resolve("x.lort").toString(), "--eval", fifo.toString()), "not a regular file");

        Path noIndex = Files.createDirectories(tmp.resolve("a"));
        TestModels.write(noIndex.resolve("model-00001-of-99999.safetensors"), TestModels.llamaSpecs(DType.BF16).subList(0, 2), 1);
        assertRefused(Cli.run("compress", "-m", noIndex.toString(), "-o", tmp.resolve("a.lort").toString()), "99998 of 99999 shards missing");
        Path indexed = Files.createDirectories(tmp.resolve("b"));
        Files.writeString(indexed.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"w\": \"model-99999999999999999999-of-99999999999999999999.safetensors\"}}");
        assertRefused(Cli.run("compress", "-m", indexed.toString(), "-o", tmp.resolve("b.lort").toString()), "missing", "99999999999999999999");
        Files.writeString(indexed.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"w\": \"../../etc/passwd\"}}");
        assertRefused(Cli.run("compress", "-m", indexed.toString(), "-o", tmp.resolve("b.lort").toString()), "points outside the model folder");
    }

    @Test
    void inspectJsonIsOneDocumentAndItsExitCodesAreTheDocumentedOnes() throws IOException {
        Path m = SharedData.require("models/stories260K");
        Path lort = tmp.resolve("s.lort");
        assertThat(Cli.run("compress", "-m", m.toString(), "-o", lort.toString(), "--min-dim", "64", "--method", "als", "--iters", "1", "--heal-steps", "0", "-q").exitCode()).isZero();
        Cli.Result ok = Cli.run("inspect", lort.toString(), "--verify", "--json");
        assertThat(ok.exitCode()).isZero();
        JsonNode doc = new ObjectMapper().readTree(ok.out()); // the whole of stdout: one JSON value
        assertThat(doc.at("/verify/ok").asBoolean()).isTrue();
        assertThat(doc.at("/verify/sections").asInt()).isGreaterThan(100);

        long at;
        try (var f = ai.lort.format.LortFile.open(lort)) {
            at = f.index().at("/tensors/0/offset").asLong();
        }
        Refusals.setByte(lort, at, Refusals.getByte(lort, at) ^ 1);
        Cli.Result bad = Cli.run("inspect", lort.toString(), "--verify", "--json");
        assertRefused(bad, "1 of", "sections are damaged");
        JsonNode badDoc = new ObjectMapper().readTree(bad.out());
        assertThat(badDoc.at("/verify/ok").asBoolean()).isFalse();
        assertThat(badDoc.at("/verify/problems/0/section").asText()).isEqualTo("tensor model.embed_tokens.weight");
        assertRefused(Cli.run("inspect", tmp.resolve("none.lort").toString()), "no such file");
        assertThat(Cli.run("inspect", "--bogus").exitCode()).isEqualTo(2);
        for (String command : List.of("compress", "infer", "eval", "tokenize", "inspect"))
            assertThat(Cli.run(command, "--no-such-option").exitCode()).as(command).isEqualTo(2);
    }
}
