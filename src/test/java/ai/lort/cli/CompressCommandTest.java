package ai.lort.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFile;
import ai.lort.load.DType;
import ai.lort.load.LocalModel;
import ai.lort.load.SafetensorsWriter.Spec;
import ai.lort.load.SourceModel;
import ai.lort.load.Tensor;
import ai.lort.testing.Cli;
import ai.lort.testing.SharedData;
import ai.lort.testing.TestModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CompressCommandTest {
    @TempDir Path tmp;

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"})
    void compressesEveryFloatDtypeAndReportsTheErrorOfWhatWasWritten(DType dtype) throws IOException {
        Path model = TestModels.singleFile(tmp.resolve("m"), dtype);
        Path out = tmp.resolve("m.lort");
        Cli.Result r = Cli.run("compress", "--model", model.resolve("model.safetensors").toString(), "-o", out.toString(), "--json", "--quiet", "--bpw", "2.6",
                "--embeddings", "source");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode summary = new ObjectMapper().readTree(r.out());
        // 2 layers x (q, o, gate, up, down); k/v are 64 rows (< min-dim 128); embedding and head are skipped.
        assertThat(summary.get("compressed_layers").asInt()).isEqualTo(10);
        try (LortFile f = LortFile.open(out); SourceModel src = SourceModel.open(LocalModel.resolve(model))) {
            assertThat(f.verify()).isEmpty();
            assertThat(f.file("config.json")).isPresent();
            for (JsonNode l : summary.get("layers")) {
                CompressedLayer layer = f.layers().get(l.get("name").asText());
                float[] w = src.tensor(layer.name()).toFloats();
                float[] hat = LortFile.reconstruct(layer);
                double num = 0, den = 0;
                for (int i = 0; i < w.length; i++) { num += Math.pow(w[i] - hat[i], 2); den += (double) w[i] * w[i]; }
                assertThat(Math.sqrt(num / den)).isCloseTo(l.get("relative_error").asDouble(), org.assertj.core.data.Offset.offset(1e-5));
            }
            // The ranks are planned over the model: the whole stays within the budget and spends it.
            assertThat(summary.get("bits_per_weight").asDouble()).isBetween(2.6 - 0.05, 2.6);
            assertThat(summary.get("layers").findValues("rank")).anyMatch(rank -> rank.asInt() > 0);
            // Carried-over tensors are byte-identical and keep their dtype.
            Tensor emb = f.tensors().get("model.embed_tokens.weight");
            assertThat(emb.dtype()).isEqualTo(dtype);
            assertThat(emb.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                    .isEqualTo(src.tensor("model.embed_tokens.weight").data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            assertThat(f.tensors()).containsKey("lm_head.weight");
        }
    }

    @Test
    void shardedFoldersWithAndWithoutIndexGiveTheSameLayers() throws IOException {
        Path withIndex = TestModels.sharded(tmp.resolve("a"), DType.BF16, 3, true);
        Path noIndex = TestModels.sharded(tmp.resolve("b"), DType.BF16, 3, false);
        assertThat(LocalModel.resolve(withIndex).weightFiles()).hasSize(3);
        assertThat(LocalModel.resolve(noIndex).weightFiles()).extracting(p -> p.getFileName().toString())
                .containsExactly("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors");
        for (Path m : List.of(withIndex, noIndex)) {
            Path out = tmp.resolve(m.getFileName() + ".lort");
            Cli.Result r = Cli.run("compress", "--model", m.toString(), "-o", out.toString(), "--quiet", "--rank", "2");
            assertThat(r.exitCode()).as(r.err()).isZero();
            try (LortFile f = LortFile.open(out)) {
                assertThat(f.layers()).hasSize(10);
                assertThat(f.layers().values()).allMatch(l -> l.rank() == 2);
            }
        }
    }

    @Test
    void sameSeedGivesIdenticalLayers() throws IOException {
        Path m = TestModels.singleFile(tmp.resolve("m"), DType.F32);
        for (String name : List.of("x.lort", "y.lort"))
            assertThat(Cli.run("compress", "-m", m.toString(), "-o", tmp.resolve(name).toString(), "-q", "--seed", "7").exitCode()).isZero();
        try (LortFile x = LortFile.open(tmp.resolve("x.lort")); LortFile y = LortFile.open(tmp.resolve("y.lort"))) {
            for (String n : x.layers().keySet()) {
                CompressedLayer a = x.layers().get(n), b = y.layers().get(n);
                assertThat(a.codes().mismatch(b.codes())).isEqualTo(-1);
                assertThat(a.a().mismatch(b.a())).isEqualTo(-1);
                assertThat(a.scales().mismatch(b.scales())).isEqualTo(-1);
            }
        }
    }

    @Test
    void stories260KCompressesInspectsAndVerifies() {
        Path model = SharedData.require("models/stories260K");
        Path out = tmp.resolve("stories.lort");
        Cli.Result r = Cli.run("compress", "--model", model.toString(), "--min-dim", "64", "--method", "als", "--heal-steps", "0", "-o", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("model.layers.4.mlp.down_proj.weight").contains("bits per weight").contains("smaller");
        Cli.Result ins = Cli.run("inspect", out.toString(), "--verify");
        assertThat(ins.exitCode()).as(ins.err()).isZero();
        assertThat(ins.out()).contains("compressed 25 layers").contains("verify: all").contains("tokenizer.json");
    }

    /** --embeddings: quantized embedding and head (one copy when tied), run and inspected; bf16 never widens. */
    @Test
    void embeddingsAreStoredAsAskedAndRun() throws IOException {
        Path model = SharedData.require("models/tiny-llama3"); // F32, an untied head
        for (String format : new String[] {"q4", "q8", "bf16"}) {
            Path out = tmp.resolve(format + ".lort");
            Cli.Result r = Cli.run("compress", "-m", model.toString(), "-o", out.toString(), "-q", "--rank", "2", "--method", "als",
                    "--min-dim", "64", "--heal-steps", "0", "--embeddings", format);
            assertThat(r.exitCode()).as(r.err()).isZero();
            try (LortFile f = LortFile.open(out)) {
                assertThat(f.verify()).isEmpty();
                if (format.equals("bf16")) {
                    assertThat(f.quantized()).isEmpty();
                    assertThat(f.tensors().get("model.embed_tokens.weight").dtype()).isEqualTo(DType.BF16);
                    assertThat(f.tensors().get("lm_head.weight").dtype()).isEqualTo(DType.BF16);
                    assertThat(f.tensors().get("model.norm.weight").dtype()).isEqualTo(DType.F32); // norms stay
                } else {
                    assertThat(f.version()).isEqualTo("1.2");
                    assertThat(f.quantized()).containsOnlyKeys("model.embed_tokens.weight", "lm_head.weight");
                    assertThat(f.quantized().get("lm_head.weight").encoding().id()).isEqualTo(format + "-g32");
                    assertThat(f.tensors()).doesNotContainKeys("model.embed_tokens.weight", "lm_head.weight");
                    assertThat(f.metadata().path("options").path("embeddings").asText()).isEqualTo(format);
                }
            }
            Cli.Result inf = Cli.run("infer", "--model", out.toString(), "--prompt", "hi", "--max-tokens", "4", "--temperature", "0");
            assertThat(inf.exitCode()).as(inf.err()).isZero();
            Cli.Result ins = Cli.run("inspect", out.toString(), "--verify");
            assertThat(ins.exitCode()).as(ins.err()).isZero();
            assertThat(ins.out()).contains("bits per weight over all");
        }
        Path bf16 = TestModels.singleFile(tmp.resolve("b"), DType.BF16), same = tmp.resolve("same.lort");
        assertThat(Cli.run("compress", "-m", bf16.toString(), "-o", same.toString(), "-q", "--rank", "2", "--method", "als", "--heal-steps", "0",
                "--embeddings", "bf16").exitCode()).isZero();
        try (LortFile f = LortFile.open(same); SourceModel src = SourceModel.open(LocalModel.resolve(bf16))) {
            assertThat(f.tensors().get("lm_head.weight").data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                    .isEqualTo(src.tensor("lm_head.weight").data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
        Cli.Result bad = Cli.run("compress", "-m", model.toString(), "-o", tmp.resolve("x.lort").toString(), "--embeddings", "q3");
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.err().strip()).contains("--embeddings q3 is not known").doesNotContain("\n");
    }

    @Test
    void tiedQuantizedEmbeddingIsOneCopyForLookupAndHead() {
        Path model = SharedData.require("models/stories260K"); // tie_word_embeddings: no lm_head.weight
        Path out = tmp.resolve("tied.lort");
        Cli.Result r = Cli.run("compress", "-m", model.toString(), "--min-dim", "64", "--method", "als", "--heal-steps", "0",
                "--embeddings", "q8", "-q", "-o", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        try (LortFile f = LortFile.open(out)) {
            assertThat(f.quantized()).containsOnlyKeys("model.embed_tokens.weight");
            assertThat(f.tensors()).doesNotContainKey("lm_head.weight");
        }
        Cli.Result inf = Cli.run("infer", "--model", out.toString(), "--prompt", "Once upon a time", "--max-tokens", "8", "--temperature", "0");
        assertThat(inf.exitCode()).as(inf.err()).isZero();
    }

    @Test
    void includeLmHeadOnATiedModelCompressesACopyOfTheEmbedding() {
        Path model = SharedData.require("models/stories260K"); // tie_word_embeddings: no lm_head.weight
        Path out = tmp.resolve("head.lort");
        Cli.Result r = Cli.run("compress", "-m", model.toString(), "--min-dim", "64", "--method", "als", "--include-lm-head", "--heal-steps", "0", "-o", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        try (LortFile f = LortFile.open(out)) {
            assertThat(f.layers()).containsKey("lm_head.weight");
            assertThat(f.layers().get("lm_head.weight").rows()).isEqualTo(512);
            assertThat(f.quantized()).containsKey("model.embed_tokens.weight"); // lookups from the stored table, not the compressed copy
        }
        Path plain = tmp.resolve("plain.lort");
        assertThat(Cli.run("compress", "-m", model.toString(), "--min-dim", "64", "--method", "als", "--heal-steps", "0", "-o", plain.toString(), "-q").exitCode()).isZero();
        try (LortFile f = LortFile.open(plain)) {
            assertThat(f.layers()).doesNotContainKey("lm_head.weight");
        }
    }

    @Test
    void verifyCatchesACorruptedSection() throws IOException {
        Path m = TestModels.singleFile(tmp.resolve("m"), DType.F16);
        Path out = tmp.resolve("c.lort");
        assertThat(Cli.run("compress", "-m", m.toString(), "-o", out.toString(), "-q").exitCode()).isZero();
        long codesAt;
        try (LortFile f = LortFile.open(out)) {
            codesAt = f.index().path("layers").get(0).path("sections").path("codes").path("offset").asLong();
        }
        try (RandomAccessFile raf = new RandomAccessFile(out.toFile(), "rw")) {
            raf.seek(codesAt + 3);
            int b = raf.read();
            raf.seek(codesAt + 3);
            raf.write(b ^ 0x10);
        }
        Cli.Result r = Cli.run("inspect", out.toString(), "--verify");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("CRC-32C is").contains("codes").contains("1 of 52 sections are damaged");
    }

    // ---- bad input: one line, non-zero exit, nothing left behind ----

    private void assertCleanFailure(Cli.Result r, Path outDir, String expected) throws IOException {
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.err()).contains(expected);
        assertThat(r.err().strip().lines().filter(l -> !l.startsWith("WARNING")).count()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
        try (Stream<Path> s = Files.list(outDir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".lort") || n.contains(".tmp-"));
        }
    }

    private Cli.Result compress(Path model, Path outDir) {
        return Cli.run("compress", "-m", model.toString(), "-o", outDir.resolve("o.lort").toString(), "-q");
    }

    @Test
    void missingPath() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out"));
        assertCleanFailure(compress(tmp.resolve("nope"), out), out, "no such file");
    }

    @Test
    void folderWithoutSafetensors() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Files.writeString(empty.resolve("config.json"), "{}");
        assertCleanFailure(compress(empty, out), out, "no .safetensors files");
    }

    @Test
    void indexNamingMissingShards() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Path m = TestModels.sharded(tmp.resolve("m"), DType.F32, 3, true);
        Files.delete(m.resolve("model-00002-of-00003.safetensors"));
        assertCleanFailure(compress(m, out), out, "model-00002-of-00003.safetensors");
    }

    @Test
    void incompleteShardSetWithoutIndex() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Path m = TestModels.sharded(tmp.resolve("m"), DType.F32, 3, false);
        Files.delete(m.resolve("model-00003-of-00003.safetensors"));
        assertCleanFailure(compress(m, out), out, "1 of 3 shards missing: model-00003-of-00003.safetensors");
    }

    @Test
    void truncatedFile() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Path m = TestModels.singleFile(tmp.resolve("m"), DType.F32);
        Path f = m.resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) { raf.setLength(raf.length() - 1000); }
        assertCleanFailure(compress(f, out), out, "truncated");
    }

    @Test
    void headerThatLies() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Path m = TestModels.singleFile(tmp.resolve("m"), DType.F32);
        Path f = m.resolve("model.safetensors");
        byte[] all = Files.readAllBytes(f);
        String header = new String(all, 8, 200, java.nio.charset.StandardCharsets.US_ASCII);
        // Claim a bigger shape for the first tensor than its byte range holds.
        String lied = header.replaceFirst("\\[300,128\\]", "[300,129]");
        assertThat(lied).isNotEqualTo(header);
        System.arraycopy(lied.getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, all, 8, 200);
        Files.write(f, all);
        assertCleanFailure(compress(f, out), out, "needs");
    }

    @Test
    void headerLengthPastTheEnd() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Path f = tmp.resolve("bad.safetensors");
        Files.write(f, new byte[] {(byte) 0xff, 0x10, 0, 0, 0, 0, 0, 0, '{', '}'});
        assertCleanFailure(compress(f, out), out, "not a valid safetensors file");
    }

    @Test
    void notJson() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Path f = tmp.resolve("bad.safetensors");
        Files.write(f, new byte[] {4, 0, 0, 0, 0, 0, 0, 0, '{', 'x', 'y', '}'});
        assertCleanFailure(compress(f, out), out, "not valid JSON");
    }

    @Test
    void overlappingTensors() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Path f = tmp.resolve("overlap.safetensors");
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        byte[] hb = h.getBytes();
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(8 + hb.length + 12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        bb.putLong(hb.length).put(hb);
        Files.write(f, bb.array());
        assertCleanFailure(compress(f, out), out, "overlap");
    }

    @Test
    void unsupportedDtypeInACompressedTensor() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Path f = tmp.resolve("int.safetensors");
        TestModels.write(f, List.of(new Spec("model.layers.0.mlp.up_proj.weight", DType.I8, 256, 128)), 1);
        assertCleanFailure(compress(f, out), out, "model.layers.0.mlp.up_proj.weight' has dtype I8");
    }

    @Test
    void nanWeights() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Path f = tmp.resolve("nan.safetensors");
        float[] v = new float[128 * 128];
        v[777] = Float.NaN;
        try (var w = new ai.lort.load.SafetensorsWriter(f, List.of(new Spec("model.layers.0.self_attn.q_proj.weight", DType.F32, 128, 128)), null)) {
            w.writeFloats(v);
        }
        assertCleanFailure(compress(f, out), out, "NaN at row 6, column 9");
    }

    @Test
    void unwritableOrMissingOutputFolder() throws IOException {
        Path m = TestModels.singleFile(tmp.resolve("m"), DType.F32);
        Cli.Result r = Cli.run("compress", "-m", m.toString(), "-o", tmp.resolve("no/such/dir/o.lort").toString(), "-q");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.err()).contains("does not exist");
        Path ro = Files.createDirectories(tmp.resolve("ro"));
        ro.toFile().setWritable(false);
        try {
            if (!Files.isWritable(ro)) { // root can write anywhere; then this case cannot be staged
                Cli.Result r2 = Cli.run("compress", "-m", m.toString(), "-o", ro.resolve("o.lort").toString(), "-q");
                assertThat(r2.exitCode()).isNotZero();
                assertThat(r2.err()).contains("permission denied");
            }
        } finally {
            ro.toFile().setWritable(true);
        }
    }

    @Test
    void fullDisk() throws Exception {
        Path model = TestModels.singleFile(tmp.resolve("m"), DType.F32);
        Path small = Files.createDirectories(tmp.resolve("small"));
        // A 64 KiB tmpfs stands in for a full disk; it needs root and mount rights.
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", small.toString()).redirectErrorStream(true).start();
        org.junit.jupiter.api.Assumptions.assumeTrue(p.waitFor() == 0, "skipped: cannot mount a small tmpfs here (needs root)");
        try {
            Cli.Result r = Cli.run("compress", "-m", model.toString(), "-o", small.resolve("o.lort").toString(), "-q");
            assertCleanFailure(r, small, "disk full");
        } finally {
            new ProcessBuilder("umount", small.toString()).start().waitFor();
        }
    }

    @Test
    void unreachableHubIsAClearError() {
        Cli.Result r = Cli.run("compress", "-m", "no-such-dir/also-missing@x/y", "-o", tmp.resolve("o.lort").toString(), "-q");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.err().strip().lines().filter(l -> !l.startsWith("WARNING")).count()).isEqualTo(1);
    }
}
