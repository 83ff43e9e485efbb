package ai.lort.format;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.load.DType;
import ai.lort.testing.Cli;
import ai.lort.testing.TestModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads a .lort file following docs/FORMAT.md only (plain byte buffers, no LoRT reader code) and
 * checks that it reconstructs the same layers as the reference reader.
 */
class IndependentReaderTest {
    @TempDir Path tmp;

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"--packing t2-g64 --scales row-f32 --rotation none",
            "--packing t3-b5 --scales row-f16 --rotation hadamard"})
    void documentedLayoutMatchesTheReferenceReader(String encoding) throws Exception {
        Path model = TestModels.singleFile(tmp.resolve("m"), DType.BF16);
        Path out = tmp.resolve("m.lort");
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("compress", "-m", model.toString(), "-o", out.toString(), "-q", "--rank", "3", "--method", "als"));
        args.addAll(java.util.List.of(encoding.split(" ")));
        assertThat(Cli.run(args.toArray(String[]::new)).exitCode()).isZero();

        ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(new String(file.array(), 0, 4, "US-ASCII")).isEqualTo("LORT");
        assertThat(file.getShort(4)).isEqualTo((short) 1);
        int minor = file.getShort(6);
        assertThat(file.getInt(36)).as("flags").isZero();
        for (int i = 40; i < 64; i++) assertThat(file.get(i)).as("reserved byte " + i).isZero();
        int layerCount = file.getInt(8), tensorCount = file.getInt(12);
        long indexOffset = file.getLong(16), indexLength = file.getLong(24);
        assertThat(indexOffset % 64).isZero();
        assertThat(indexOffset + indexLength).isEqualTo(file.capacity());
        CRC32C crc = new CRC32C();
        crc.update(file.array(), (int) indexOffset, (int) indexLength);
        assertThat((int) crc.getValue()).isEqualTo(file.getInt(32));
        JsonNode index = new ObjectMapper().readTree(new String(file.array(), (int) indexOffset, (int) indexLength, "UTF-8"));
        assertThat(index.get("layers").size()).isEqualTo(layerCount);
        assertThat(index.get("tensors").size()).isEqualTo(tensorCount);
        assertThat(index.get("version").asText()).isEqualTo("1." + minor);

        try (LortFile reference = LortFile.open(out)) {
            for (JsonNode l : index.get("layers")) {
                int rows = l.get("shape").get(0).asInt(), cols = l.get("shape").get(1).asInt(), r = l.get("rank").asInt();
                JsonNode s = l.get("sections");
                int scales = s.get("scales").get("offset").asInt(), a = s.get("a").get("offset").asInt();
                int b = s.get("b").get("offset").asInt(), codes = s.get("codes").get("offset").asInt();
                boolean base3 = l.get("packing").asText().equals("t3-b5");
                if (!base3) assertThat(l.get("packing").asText()).isEqualTo("t2-g64");
                int rowBytes = base3 ? (cols + 4) / 5 : (cols + 63) / 64 * 16;
                float[] mine = new float[rows * cols];
                for (int i = 0; i < rows; i++)
                    for (int j = 0; j < cols; j++) {
                        int code;
                        if (base3) { // digit j % 5 of byte j / 5
                            int v = file.get(codes + i * rowBytes + j / 5) & 0xFF;
                            assertThat(v).isLessThan(243);
                            for (int k = 0; k < j % 5; k++) v /= 3;
                            code = v % 3;
                        } else {
                            int g = j / 64, k = (j % 64) / 16, lane = j % 16;
                            code = (file.get(codes + i * rowBytes + 16 * g + lane) >> (2 * k)) & 3;
                        }
                        assertThat(code).isNotEqualTo(3);
                        float scale = switch (l.get("scales").asText()) {
                            case "row-f32" -> file.getFloat(scales + 4 * i);
                            case "row-f16" -> Float.float16ToFloat(file.getShort(scales + 2 * i));
                            default -> throw new AssertionError("unknown scales " + l.get("scales"));
                        };
                        float v = scale * (code - 1);
                        for (int q = 0; q < r; q++)
                            v += Float.float16ToFloat(file.getShort(b + 2 * (i * r + q))) * Float.float16ToFloat(file.getShort(a + 2 * (q * cols + j)));
                        mine[i * cols + j] = v;
                    }
                JsonNode seed = l.get("rotation_seed"); // a decimal string (an integer in files written before it was one)
                if (l.get("rotation").asText().equals("hadamard"))
                    mine = unrotate(mine, rows, cols, seed.isTextual() ? Long.parseLong(seed.asText()) : seed.asLong(), l.get("rotation_block").asInt());
                else assertThat(l.get("rotation").asText()).isEqualTo("none");
                float[] expected = LortFile.reconstruct(reference.layers().get(l.get("name").asText()));
                for (int i = 0; i < mine.length; i++) assertThat(mine[i]).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }

    /** docs/FORMAT.md's sign generator: the state advances by GAMMA, each draw is mix32 of it, true when negative. */
    private static final long GAMMA = 0x9e3779b97f4a7c15L;

    private static int mix32(long z) {
        z = (z ^ (z >>> 33)) * 0x62a9d9ed799705f5L;
        return (int) (((z ^ (z >>> 28)) * 0xcb24d0a5c88c35b3L) >>> 32);
    }

    @Test
    void theDocumentedSignGeneratorIsSplittableRandom() {
        for (long seed : new long[] {0, 42, -1, Long.MIN_VALUE, 0x123456789abcdefL}) {
            java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
            long state = seed;
            for (int j = 0; j < 1000; j++) {
                state += GAMMA;
                assertThat(mix32(state) < 0).as("seed " + seed + ", draw " + j).isEqualTo(rnd.nextBoolean());
            }
        }
    }

    /** Group-quantized kept matrices (format 1.2) decoded from docs/FORMAT.md alone. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"q4", "q8"})
    void quantizedTensorsFollowTheDocumentedLayout(String embeddings) throws Exception {
        Path model = TestModels.singleFile(tmp.resolve("m"), DType.BF16);
        Path out = tmp.resolve("m-" + embeddings + ".lort");
        Cli.Result r = Cli.run("compress", "-m", model.toString(), "-o", out.toString(), "-q", "--rank", "3", "--embeddings", embeddings);
        assertThat(r.exitCode()).as(r.err()).isZero();
        ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(file.getShort(6)).isEqualTo((short) 2);
        long indexOffset = file.getLong(16), indexLength = file.getLong(24);
        JsonNode index = new ObjectMapper().readTree(new String(file.array(), (int) indexOffset, (int) indexLength, "UTF-8"));
        assertThat(index.get("version").asText()).isEqualTo("1.2");
        int seen = 0;
        try (LortFile reference = LortFile.open(out)) {
            for (JsonNode t : index.get("tensors")) {
                String dtype = t.get("dtype").asText();
                if (!dtype.startsWith("q")) continue;
                seen++;
                assertThat(dtype).isEqualTo(embeddings + "-g32");
                assertThat(t.get("source_dtype").asText()).isEqualTo("BF16");
                int rows = t.get("shape").get(0).asInt(), cols = t.get("shape").get(1).asInt(), bits = embeddings.equals("q4") ? 4 : 8;
                int groups = (cols + 31) / 32, rowBytes = groups * 32 * bits / 8, at = t.get("offset").asInt();
                assertThat(t.get("length").asLong()).isEqualTo((long) rows * rowBytes + 2L * rows * groups);
                float[] expected = reference.quantized().get(t.get("name").asText()).dequantize();
                for (int i = 0; i < rows; i++)
                    for (int j = 0; j < cols; j++) {
                        float d = Float.float16ToFloat(file.getShort(at + rows * rowBytes + 2 * (i * groups + j / 32)));
                        int code;
                        if (bits == 8) code = file.get(at + i * rowBytes + j);
                        else {
                            int k = j % 32, b = file.get(at + i * rowBytes + 16 * (j / 32) + k % 16) & 0xFF;
                            code = (k < 16 ? b & 15 : b >> 4) - 8;
                        }
                        assertThat(d * code).isEqualTo(expected[i * cols + j]);
                    }
            }
        }
        assertThat(seen).isEqualTo(2); // the embedding and the untied head
    }

    /**
     * The layer in the input basis, {@code Ŵ·R} with {@code R = H·D}, straight from docs/FORMAT.md:
     * Sylvester entries {@code H[a][b] = (−1)^popcount(a & b) / √block} per block, signs from the
     * generator FORMAT.md writes out (not java.util's class).
     */
    private static float[] unrotate(float[] w, int rows, int cols, long seed, int block) {
        double[] d = new double[cols];
        long state = seed;
        for (int j = 0; j < cols; j++) {
            state += GAMMA;
            d[j] = mix32(state) < 0 ? -1 : 1;
        }
        float[] out = new float[w.length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                int b0 = j / block * block;
                double v = 0;
                for (int k = b0; k < b0 + block; k++)
                    v += w[i * cols + k] * ((Integer.bitCount((k - b0) & (j - b0)) % 2 == 0) ? 1 : -1) / Math.sqrt(block);
                out[i * cols + j] = (float) (v * d[j]);
            }
        return out;
    }
}
