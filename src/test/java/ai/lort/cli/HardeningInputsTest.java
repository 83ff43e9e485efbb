package ai.lort.cli;

import static ai.lort.testing.Refusals.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.format.LortFile;
import ai.lort.load.LocalModel;
import ai.lort.load.SafetensorsWriter;
import ai.lort.load.SourceModel;
import ai.lort.load.Tensor;
import ai.lort.testing.Cli;
import ai.lort.testing.Refusals;
import ai.lort.testing.SharedData;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Hostile models, .lort files and configs (issue "Hardening", items 4-9 and 12): each is refused
 * with exit 1 and one line that names the problem, before it can run as garbage, and the inputs
 * are left as they were.
 */
@Timeout(60)
class HardeningInputsTest {
    @TempDir static Path shared;
    @TempDir Path tmp;
    static Path stories, t2, t3;

    @BeforeAll
    static void compressOnce() {
        stories = SharedData.require("models/stories260K");
        t2 = shared.resolve("t2.lort");
        t3 = shared.resolve("t3.lort");
        for (var f : List.of(Map.entry(t2, "t2-g64"), Map.entry(t3, "t3-b5")))
            assertThat(Cli.run("compress", "-m", stories.toString(), "-o", f.getKey().toString(), "--min-dim", "64", "--method", "als",
                    "--packing", f.getValue(), "--iters", "1", "--heal-steps", "0", "-q").exitCode()).isZero();
    }

    private Path copy(Path lort) throws IOException {
        return Files.copy(lort, tmp.resolve(lort.getFileName()));
    }

    private static long offset(Path lort, String pointer) {
        try (LortFile f = LortFile.open(lort)) {
            return f.index().at(pointer).asLong();
        }
    }

    /** Runs infer and eval on {@code model}: both refused with {@code expected}, and the file unchanged. */
    private void runsAreRefused(Path model, String... expected) throws IOException {
        TreeMap<String, String> before = Refusals.hashes(model);
        Path text = Files.writeString(tmp.resolve("t.txt"), "Once upon a time there was a cat.");
        assertRefused(Cli.run("infer", "--model", model.toString(), "--prompt", "Once", "--max-tokens", "4", "--temperature", "0", "--device", "cpu"), expected);
        assertRefused(Cli.run("eval", "--model", model.toString(), "--text", text.toString(), "--device", "cpu"), expected);
        assertThat(Refusals.hashes(model)).isEqualTo(before);
    }

    @Test
    void aFlippedByteInTheEmbeddingFailsItsCrcAtLoad() throws IOException {
        Path bad = copy(t2);
        long at = offset(bad, "/tensors/0/offset") + 100;
        Refusals.setByte(bad, at, Refusals.getByte(bad, at) ^ 0x40);
        runsAreRefused(bad, "damaged", "model.embed_tokens.weight", "CRC-32C");
        assertRefused(Cli.run("inspect", bad.toString(), "--verify"), "1 of", "damaged");
    }

    @Test
    void invalidTernaryCodesAreRefusedEvenWithAMatchingCrc() throws IOException {
        for (Path lort : List.of(t2, t3)) {
            Path bad = copy(lort);
            long codes = offset(bad, "/layers/0/sections/codes/offset");
            Refusals.setByte(bad, codes, lort == t2 ? 0xFF : 250); // code 3 in t2-g64; a byte above 242 in t3-b5
            fixCodesCrc(bad);
            runsAreRefused(bad, "damaged", "codes", lort == t2 ? "code 3" : "byte 250");
            assertRefused(Cli.run("inspect", bad.toString(), "--verify"), "damaged");
            Files.delete(bad);
        }
    }

    /** Puts the CRC of layer 0's codes right again, so that only the codes themselves are wrong. */
    private static void fixCodesCrc(Path lort) throws IOException {
        long off = offset(lort, "/layers/0/sections/codes/offset"), len = offset(lort, "/layers/0/sections/codes/length");
        byte[] all = Files.readAllBytes(lort);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(all, (int) off, (int) len);
        String hex = String.format("%08x", crc.getValue());
        Refusals.editLortIndex(lort, json -> json.replaceFirst("(\"codes\":\\{\"offset\":" + off + ",\"length\":" + len + ",\"crc32c\":\")[0-9a-f]{8}", "$1" + hex));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "negative layer dimension|\"shape\":\\[64,64\\]|\"shape\":[-64,64]|shape[0] is -64",
            "dimension above 2^31|\"shape\":\\[64,64\\]|\"shape\":[4294967360,64]|shape[0] is 4294967360",
            "offset that overflows|\"scales\":\\{\"offset\":[0-9]+|\"scales\":{\"offset\":9223372036854775807|offset' is 9223372036854775807",
            "length that overflows|(\"a\":\\{\"offset\":[0-9]+,\"length\":)[0-9]+|$19223372036854775800|length' is 9223372036854775800",
            "fractional rank|\"rank\":[0-9]+|\"rank\":1.5|rank' must be an integer",
            "repeated key|\"packing\":|\"packing\":\"t2-g64\",\"packing\":|Duplicate field 'packing'",
            "lower-case dtype|\"dtype\":\"F32\"|\"dtype\":\"f32\"|unknown dtype 'f32'",
            "encoding newer than the file|\"version\":\"1.0\"|\"version\":\"1.0\",\"x\":0|",
    })
    void aLyingIndexIsRefusedNamingTheField(String name, String regex, String replacement, String expected) throws IOException {
        Path bad = copy(t2);
        UnaryOperator<String> edit = json -> json.replaceFirst(regex, java.util.regex.Matcher.quoteReplacement(replacement).replace("\\$1", "$1"));
        Refusals.editLortIndex(bad, edit);
        Cli.Result r = Cli.run("inspect", bad.toString(), "--verify");
        if (expected == null) {
            assertThat(r.exitCode()).as(r.err()).isZero(); // unknown top-level fields are ignored
            return;
        }
        assertRefused(r, "not a valid .lort file", expected);
    }

    @Test
    void preambleFlagsAndReservedBytesMustBeZero() throws IOException {
        Path bad = copy(t2);
        Refusals.setByte(bad, 36, 1);
        assertRefused(Cli.run("inspect", bad.toString()), "flags");
        Refusals.setByte(bad, 36, 0);
        Refusals.setByte(bad, 50, 7);
        assertRefused(Cli.run("inspect", bad.toString()), "reserved preamble byte 50");
    }

    /** stories260K with one tensor replaced (or the config edited): what a shape or config check must catch. */
    private Path storiesWith(String tensor, long[] shape, UnaryOperator<String> config) throws IOException {
        Path dir = Refusals.copyModel(stories, tmp.resolve("m"));
        Files.writeString(dir.resolve("config.json"), config.apply(Files.readString(stories.resolve("config.json"))));
        if (tensor == null) return dir;
        Files.delete(dir.resolve("model.safetensors"));
        try (SourceModel src = SourceModel.open(LocalModel.resolve(stories))) {
            List<SafetensorsWriter.Spec> specs = new ArrayList<>();
            for (Tensor t : src.tensors().values())
                specs.add(new SafetensorsWriter.Spec(t.name(), t.dtype(), t.name().equals(tensor) ? shape : t.shape()));
            try (SafetensorsWriter w = new SafetensorsWriter(dir.resolve("model.safetensors"), specs, Map.of())) {
                for (SafetensorsWriter.Spec s : specs) {
                    byte[] data = src.tensor(s.name()).data().toArray(ValueLayout.JAVA_BYTE);
                    long n = 4;
                    for (long d : s.shape()) n *= d;
                    w.write(java.util.Arrays.copyOf(data, (int) n));
                }
            }
        }
        return dir;
    }

    @Test
    void aShrunkProjectionIsRefusedByInferEvalAndCompress() throws IOException {
        Path dir = storiesWith("model.layers.0.self_attn.k_proj.weight", new long[] {16, 64}, c -> c);
        runsAreRefused(dir, "k_proj.weight has shape [16, 64]", "implies [32, 64]");
        Path out = Files.createDirectories(tmp.resolve("out"));
        assertRefused(Cli.run("compress", "-m", dir.toString(), "-o", out.resolve("x.lort").toString(), "-q"), "k_proj.weight has shape [16, 64]");
        assertThat(Refusals.names(out)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "wrong head_dim|\"head_dim\": 8|\"head_dim\": 16|q_proj.weight has shape [64, 64]",
            "more layers than weights|\"num_hidden_layers\": 5|\"num_hidden_layers\": 6|no model.layers.5.",
            "fewer layers than weights|\"num_hidden_layers\": 5|\"num_hidden_layers\": 4|decoder layer 4",
            "heads not dividing hidden_size|\"num_attention_heads\": 8,;;\"head_dim\": 8;;\"num_key_value_heads\": 4|\"num_attention_heads\": 7,;;\"head_dim\": null;;\"num_key_value_heads\": 7|num_attention_heads 7 does not divide hidden_size 64",
            "negative rms_norm_eps|\"rms_norm_eps\": 1e-05|\"rms_norm_eps\": -1|rms_norm_eps -1.0 must be above 0",
            "fractional hidden_size|\"hidden_size\": 64|\"hidden_size\": 64.5|hidden_size must be an integer",
            "kv heads not dividing heads|\"num_key_value_heads\": 4|\"num_key_value_heads\": 3|not a multiple of num_key_value_heads 3",
            "not JSON|\"architectures\"|architectures\"|config.json is not valid JSON",
            "repeated key|\"hidden_size\": 64|\"hidden_size\": 64, \"hidden_size\": 32|Duplicate field 'hidden_size'",
    })
    void aLyingConfigIsRefusedNamingTheField(String name, String from, String to, String expected) throws IOException {
        Path dir = storiesWith(null, null, c -> {
            String[] f = from.split(";;"), t = to.split(";;"); // several edits
            for (int i = 0; i < f.length; i++) {
                assertThat(c).contains(f[i]);
                c = c.replace(f[i], t[i]);
            }
            return c;
        });
        runsAreRefused(dir, expected);
        // compress refuses it too (an invalid config.json is not a reason to fall back to --method als)
        Path out = Files.createDirectories(tmp.resolve("out"));
        assertRefused(Cli.run("compress", "-m", dir.toString(), "-o", out.resolve("x.lort").toString(), "-q"), expected);
        assertThat(Refusals.names(out)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "size overflows|{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647,4],\"data_offsets\":[0,8]}}|8|size overflows 64 bits",
            "dimension above 2^31|{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,0],\"data_offsets\":[0,0]}}|0|dimension 4294967296",
            "repeated name|{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}|8|Duplicate field 'a'",
            "lower-case dtype|{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}|4|unknown dtype \"f32\"",
            "fractional dimension|{\"a\":{\"dtype\":\"F32\",\"shape\":[512.9],\"data_offsets\":[0,2048]}}|2048|dimension 512.9",
            "empty tensor inside another|{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}|16|'b' starts at byte 8",
            "gap after the tensors|{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}|8|trailing bytes",
            "negative offset|{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}|4|data offset -4",
            "metadata not a string|{\"__metadata__\":{\"format\":1},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}|4|'format' is not a string",
    })
    void anInvalidSafetensorsHeaderIsRefused(String name, String header, int dataBytes, String expected) throws IOException {
        Path file = Refusals.rawSafetensors(tmp.resolve("m/model.safetensors"), header, dataBytes);
        Path out = Files.createDirectories(tmp.resolve("out"));
        assertRefused(Cli.run("compress", "-m", file.toString(), "-o", out.resolve("x.lort").toString(), "-q"), "not a valid safetensors file", expected);
        assertThat(Refusals.names(out)).isEmpty();
    }

    @Test
    void invalidUtf8InATensorNameIsRefused() throws IOException {
        byte[] header = "{\"a?\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}".getBytes(StandardCharsets.US_ASCII);
        header[3] = (byte) 0xC3; // a lead byte followed by '"': not UTF-8
        Path file = Refusals.rawSafetensors(tmp.resolve("m/model.safetensors"), header, 4);
        assertRefused(Cli.run("compress", "-m", file.toString(), "-o", tmp.resolve("x.lort").toString(), "-q"), "not valid UTF-8");
    }

    @Test
    void whatAnInputWasTakenForIsSaid() throws IOException {
        Path bad = copy(t2);
        Refusals.setByte(bad, 0, 'X'); // no LORT magic, but named .lort
        assertRefused(Cli.run("infer", "--model", bad.toString(), "--prompt", "x"), "not a valid .lort file", "no LORT magic");
        Path other = Files.writeString(tmp.resolve("notes.bin"), "hello");
        assertRefused(Cli.run("infer", "--model", other.toString(), "--prompt", "x"), "taken for a model file", "neither a .lort file");
        assertRefused(Cli.run("compress", "--model", t2.toString(), "-o", tmp.resolve("y.lort").toString()), "a .lort file (already compressed)");
        for (String missing : List.of("./nothere.lort", "out/nothere.lort", "/nothere/model"))
            assertRefused(Cli.run("infer", "--model", missing, "--prompt", "x"), "no such file or folder", "taken for a local path");
    }
}
