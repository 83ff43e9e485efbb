package ai.lort.golden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.lort.testing.Cli;
import ai.lort.testing.SharedData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Behaviour pinned byte for byte: the {@code .lort} files written for the real and tiny models with
 * a fixed seed, and greedy generation from them, against digests recorded from a known-good build.
 * A refactoring must leave every digest unchanged; a change that is meant to alter output (a new
 * default, a format change) re-records them with {@code -Dlort.golden.record=true} and says why in
 * its commit.
 *
 * <p>A file's digest covers every byte but what records when and from where it was made: the
 * index's {@code metadata.created} and {@code metadata.source.path} (the checkout's location), and
 * so the preamble's index length and checksum. The arithmetic's
 * summation order follows the vector width, so digests are kept per width; a machine whose width
 * has none recorded skips with a message.
 */
class GoldenOutputTest {
    private static final Path DIGESTS = Path.of("src/test/resources/golden/digests.properties");
    private static final boolean RECORD = Boolean.getBoolean("lort.golden.record");
    private static final String WIDTH = "v" + FloatVector.SPECIES_PREFERRED.vectorBitSize();
    private static final Properties recorded = new Properties();

    @TempDir static Path tmp;

    static {
        try (InputStream in = Files.exists(DIGESTS) ? Files.newInputStream(DIGESTS) : InputStream.nullInputStream()) {
            recorded.load(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<Arguments> compressions() {
        return Stream.of(
                Arguments.of("stories260K-defaults", "models/stories260K", new String[] {"--min-dim", "32", "--heal-steps", "0"}),
                Arguments.of("stories260K-healed", "models/stories260K",
                        new String[] {"--min-dim", "32", "--calibration-samples", "16", "--heal-steps", "6", "--heal-batch", "2", "--heal-length", "64"}),
                Arguments.of("stories260K-als", "models/stories260K", new String[] {"--min-dim", "32", "--method", "als", "--heal-steps", "0"}),
                Arguments.of("stories260K-t2-norot", "models/stories260K",
                        new String[] {"--min-dim", "32", "--packing", "t2-g64", "--rotation", "none", "--bpw", "2.5", "--calibration-samples", "16",
                                "--heal-steps", "0"}),
                Arguments.of("tiny-llama3-als-head", "models/tiny-llama3",
                        new String[] {"--min-dim", "64", "--method", "als", "--rank", "4", "--include-lm-head", "--heal-steps", "0"}),
                Arguments.of("tiny-qwen2-calibrated", "models/tiny-qwen2",
                        new String[] {"--min-dim", "64", "--calibration-samples", "8", "--heal-steps", "0"}),
                Arguments.of("tiny-qwen3-calibrated-head", "models/tiny-qwen3",
                        new String[] {"--min-dim", "64", "--calibration-samples", "8", "--include-lm-head", "--heal-steps", "0"}),
                Arguments.of("tiny-mistral-calibrated", "models/tiny-mistral",
                        new String[] {"--min-dim", "64", "--calibration-samples", "8", "--calibration-length", "96", "--sweeps", "2",
                                "--heal-steps", "0"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("compressions")
    void compressedFileIsUnchanged(String name, String model, String[] options) throws Exception {
        Path out = tmp.resolve(name + ".lort");
        String[] args = Stream.concat(Stream.of("compress", "--model", SharedData.require(model).toString(), "-o", out.toString(),
                "--seed", "42", "--threads", "2", "-q"), Stream.of(options)).toArray(String[]::new);
        Cli.Result r = Cli.run(args);
        assertThat(r.exitCode()).as(r.err()).isZero();
        check(name + ".lort", fileDigest(out));
        if (name.equals("stories260K-defaults")) {
            check("stories260K-defaults.generation", generation(out));
            check("stories260K.generation", generation(SharedData.require(model)));
        }
    }

    /** Greedy continuation of a fixed prompt (the text, which is what a user sees). */
    private static String generation(Path model) {
        Cli.Result r = Cli.run("infer", "--model", model.toString(), "--prompt", "Once upon a time", "--temperature", "0",
                "--max-tokens", "48", "--seed", "1", "--threads", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        return sha256(r.out().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static void check(String key, String digest) {
        String k = WIDTH + "." + key;
        if (RECORD) {
            recorded.setProperty(k, digest);
            return;
        }
        String expected = recorded.getProperty(k);
        assumeTrue(expected != null, "skipped: no digest recorded for " + k + " (vectors of this width); record with -Dlort.golden.record=true");
        assertThat(digest).as(k + ": output changed; if that is intended, re-record the digests and say why").isEqualTo(expected);
    }

    @AfterAll
    static void save() throws IOException {
        if (!RECORD) return;
        TreeMap<Object, Object> sorted = new TreeMap<>(recorded);
        try (OutputStream o = Files.newOutputStream(DIGESTS)) {
            StringBuilder sb = new StringBuilder("# SHA-256 of outputs pinned by GoldenOutputTest, per vector width (see its javadoc).\n");
            sorted.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
            o.write(sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    /** SHA-256 of the file with its creation time left out (see the class comment). */
    static String fileDigest(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer pre = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long indexOffset = pre.getLong(16), indexLength = pre.getLong(24);
        ObjectMapper json = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
        JsonNode index = json.readTree(java.util.Arrays.copyOfRange(bytes, (int) indexOffset, (int) (indexOffset + indexLength)));
        ((ObjectNode) index.path("metadata")).remove("created");
        if (index.path("metadata").path("source") instanceof ObjectNode source) source.remove("path");
        byte[] head = java.util.Arrays.copyOf(bytes, (int) indexOffset);
        java.util.Arrays.fill(head, 24, 36, (byte) 0); // index length and checksum
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(head);
            md.update(json.writeValueAsBytes(index));
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
