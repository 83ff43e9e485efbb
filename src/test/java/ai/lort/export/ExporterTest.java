package ai.lort.export;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFile;
import ai.lort.load.DType;
import ai.lort.load.SafetensorsFile;
import ai.lort.load.Tensor;
import ai.lort.testing.Cli;
import ai.lort.testing.SharedData;
import ai.lort.testing.TestModels;
import ai.lort.util.Half;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lort export}: the folder holds exactly the dequantized model, LoRT runs it to the same
 * perplexity as the .lort file (up to the rounding of the exported type), and the PEFT split adds
 * back up to each layer.
 */
class ExporterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir static Path shared;
    @TempDir Path tmp;
    /** stories260K, weight-only fit with rotation and base-3 codes, and a compressed copy of its tied head. */
    private static Path lort;

    @BeforeAll
    static void compress() {
        Path model = SharedData.require("models/stories260K");
        lort = shared.resolve("s.lort");
        Cli.Result r = Cli.run("compress", "-m", model.toString(), "--min-dim", "64", "--method", "als", "--rotation", "hadamard",
                "--packing", "t3-b5", "--scales", "row-f16", "--include-lm-head", "--heal-steps", "0", "-o", lort.toString(), "-q");
        assertThat(r.exitCode()).as(r.err()).isZero();
    }

    private static JsonNode run(String... args) throws IOException {
        Cli.Result r = Cli.run(args);
        assertThat(r.exitCode()).as(r.err()).isZero();
        return JSON.readTree(r.out());
    }

    @Test
    void safetensorsFolderHoldsTheDequantizedModelBitForBit() throws IOException {
        Path dir = tmp.resolve("hf");
        JsonNode summary = run("export", lort.toString(), "-o", dir.toString(), "--json", "--threads", "2");
        assertThat(summary.get("format").asText()).isEqualTo("safetensors");
        assertThat(summary.get("dtype").asText()).isEqualTo("bf16");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("model.safetensors", "config.json",
                    "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json");
        }
        JsonNode config = JSON.readTree(dir.resolve("config.json").toFile());
        assertThat(config.get("torch_dtype").asText()).isEqualTo("bfloat16");
        assertThat(config.get("tie_word_embeddings").asBoolean()).as("the head is its own tensor now").isFalse();
        assertThat(config.get("hidden_size").asInt()).isEqualTo(64);
        try (LortFile f = LortFile.open(lort); SafetensorsFile out = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            assertThat(out.metadata()).containsEntry("format", "pt");
            assertThat(out.tensors()).hasSize(f.layers().size() + f.tensors().size() + f.quantized().size()).hasSize(summary.get("tensors").asInt());
            assertThat(f.layers()).containsKey("lm_head.weight");
            for (CompressedLayer l : f.layers().values()) {
                Tensor t = out.tensors().get(l.name());
                assertThat(t.dtype()).isEqualTo(DType.BF16);
                assertThat(t.shape()).containsExactly(l.rows(), l.cols());
                float[] w = LortFile.reconstruct(l);
                for (int i = 0; i < w.length; i++)
                    assertThat(t.getFloat(i)).as(l.name() + " [" + i + "]").isEqualTo(Half.bf16ToFloat(Half.floatToBf16(w[i])));
            }
            for (Tensor k : f.tensors().values()) {
                Tensor t = out.tensors().get(k.name());
                assertThat(t.shape()).isEqualTo(k.shape());
                for (long i = 0; i < k.elementCount(); i++) assertThat(t.getFloat(i)).isEqualTo(Half.bf16ToFloat(Half.floatToBf16(k.getFloat(i))));
            }
        }
    }

    /**
     * The exported folder's perplexity against the .lort file's, on real text: float32 differs only
     * by summation order; F16 and BF16 by their rounding of every weight (measured on this file:
     * about 0.01 % and 0.1 %; the bounds leave room).
     */
    @Test
    void evalOfTheExportedFolderGivesThePerplexityOfTheLortFile() throws IOException {
        String[] docs = Files.readString(SharedData.require("data/tinystories-valid-excerpt.txt")).split("<\\|endoftext\\|>\n");
        Path text = Files.writeString(tmp.resolve("eight.txt"), String.join("<|endoftext|>\n", List.of(docs).subList(0, 8)));
        double expected = run("eval", "--model", lort.toString(), "--text", text.toString(), "--ctx", "256", "--json").get("perplexity").asDouble();
        for (String[] c : new String[][] {{"f32", "1e-5"}, {"f16", "2e-3"}, {"bf16", "1e-2"}}) {
            Path dir = tmp.resolve(c[0]);
            run("export", lort.toString(), "-o", dir.toString(), "--dtype", c[0], "--json");
            double got = run("eval", "--model", dir.toString(), "--text", text.toString(), "--ctx", "256", "--json").get("perplexity").asDouble();
            assertThat(Math.abs(got / expected - 1)).as(c[0] + ": " + got + " vs " + expected).isLessThanOrEqualTo(Double.parseDouble(c[1]));
        }
    }

    @Test
    void peftBaseAndAdapterAddUpToEveryLayer() throws IOException {
        Path model = TestModels.singleFile(tmp.resolve("m"), DType.F32);
        Path file = tmp.resolve("m.lort");
        // --bpw 3 gives the 128 x 128, 192 x 128 and 128 x 192 layers different ranks.
        assertThat(Cli.run("compress", "-m", model.toString(), "--method", "als", "--rotation", "hadamard", "--bpw", "3", "--heal-steps", "0", "-o", file.toString(), "-q").exitCode()).isZero();
        Path dir = tmp.resolve("peft");
        JsonNode summary = run("export", file.toString(), "--to", "peft", "--dtype", "f32", "-o", dir.toString(), "--json");
        JsonNode config = JSON.readTree(dir.resolve("adapter/adapter_config.json").toFile());
        assertThat(config.get("peft_type").asText()).isEqualTo("LORA");
        assertThat(config.get("base_model_name_or_path").asText()).isEqualTo(dir.resolve("base").toAbsolutePath().toString());
        int alpha = config.get("lora_alpha").asInt();
        assertThat(config.get("r").asInt()).isEqualTo(alpha);
        assertThat(config.get("rank_pattern").size()).as("layers whose rank is not the common one").isPositive();
        Set<String> targets = new HashSet<>();
        config.get("target_modules").forEach(t -> targets.add(t.asText()));
        assertThat(targets).hasSize(summary.get("adapter_layers").asInt());
        try (LortFile f = LortFile.open(file); SafetensorsFile base = SafetensorsFile.open(dir.resolve("base/model.safetensors"));
             SafetensorsFile adapter = SafetensorsFile.open(dir.resolve("adapter/adapter_model.safetensors"))) {
            assertThat(adapter.tensors()).hasSize(2 * targets.size());
            for (CompressedLayer l : f.layers().values()) {
                String module = l.name().replace(".weight", "");
                assertThat(targets.contains(module)).isEqualTo(l.rank() > 0);
                float[] w = LortFile.reconstruct(l), t = base.tensors().get(l.name()).toFloats();
                int rank = config.get("rank_pattern").path(module).asInt(config.get("r").asInt());
                if (l.rank() > 0) assertThat(rank).isEqualTo(l.rank());
                float[] a = l.rank() > 0 ? adapter.tensors().get("base_model.model." + module + ".lora_A.weight").toFloats() : new float[0];
                float[] b = l.rank() > 0 ? adapter.tensors().get("base_model.model." + module + ".lora_B.weight").toFloats() : new float[0];
                double scaling = (double) alpha / Math.max(1, l.rank()), worst = 0;
                for (int i = 0; i < l.rows(); i++)
                    for (int j = 0; j < l.cols(); j++) {
                        double v = t[i * l.cols() + j];
                        for (int k = 0; k < l.rank(); k++) v += scaling * b[i * l.rank() + k] * a[k * l.cols() + j];
                        worst = Math.max(worst, Math.abs(v - w[i * l.cols() + j]));
                    }
                assertThat(worst).as(l.name()).isLessThan(1e-5);
            }
        }
    }

    @Test
    void refusesAFolderThatHoldsFilesAndLeavesNothingBehind() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("busy"));
        Files.writeString(dir.resolve("keep.txt"), "mine");
        Cli.Result r = Cli.run("export", lort.toString(), "-o", dir.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("not an empty folder").doesNotContain("\n\n");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("busy");
        }
        assertThat(dir.resolve("keep.txt")).hasContent("mine");
        // An empty folder is filled.
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThat(Cli.run("export", lort.toString(), "-o", empty.toString(), "-q").exitCode()).isZero();
        assertThat(empty.resolve("model.safetensors")).exists();
        assertThat(Cli.run("export", lort.toString(), "-o", tmp.resolve("x").toString(), "--dtype", "int8").err()).contains("--dtype int8 is not known");
        assertThat(Cli.run("export", lort.toString(), "-o", tmp.resolve("x").toString(), "--to", "gguf").err()).contains("--to gguf is not known");
    }
}
