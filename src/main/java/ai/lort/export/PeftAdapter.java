package ai.lort.export;

import ai.lort.LortException;
import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFile;
import ai.lort.load.DType;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The low-rank part of every compressed layer as one LoRA adapter in PEFT's layout
 * ({@code adapter_config.json}, {@code adapter_model.safetensors}), over a base model that holds the
 * ternary part: {@code W = diag(s)·T·R + B·(A·R)} with {@code lora_A = A·R} (rank × in) and
 * {@code lora_B = B} (out × rank), in float32 (A·R is no longer float16).
 *
 * <p>Ranks differ between layers: the config's {@code r} and {@code lora_alpha} are the most common
 * rank, the others are named in {@code rank_pattern}, and each such layer's {@code lora_B} is
 * multiplied by {@code rank / lora_alpha}, so a loader's scaling {@code lora_alpha / rank} (PEFT's,
 * and llama.cpp's per tensor) gives back exactly {@code B·A·R}. Layers of rank 0 have no adapter.
 */
final class PeftAdapter {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private final List<CompressedLayer> layers;
    private final int alpha;

    private PeftAdapter(List<CompressedLayer> layers, int alpha) {
        this.layers = layers;
        this.alpha = alpha;
    }

    static PeftAdapter of(LortFile file) {
        List<CompressedLayer> ranked = file.layers().values().stream().filter(l -> l.rank() > 0)
                .sorted(Comparator.comparing(CompressedLayer::name, Exporter.NATURAL)).toList();
        if (ranked.isEmpty()) throw new LortException(file.path() + " has no layer with a low-rank part (every rank is 0); export --to safetensors instead");
        for (CompressedLayer l : ranked)
            if (!l.name().endsWith(".weight")) throw new LortException("layer " + l.name() + " is not a module's weight; it cannot carry a LoRA adapter");
        Map<Integer, Long> counts = ranked.stream().collect(Collectors.groupingBy(CompressedLayer::rank, TreeMap::new, Collectors.counting()));
        int common = counts.entrySet().stream().max(Map.Entry.<Integer, Long>comparingByValue()
                .thenComparing(Map.Entry.comparingByKey())).orElseThrow().getKey();
        return new PeftAdapter(ranked, common);
    }

    int layers() { return layers.size(); }

    long bytes() { return layers.stream().mapToLong(l -> 4L * l.rank() * (l.rows() + l.cols())).sum(); }

    static String module(CompressedLayer l) { return l.name().substring(0, l.name().length() - ".weight".length()); }

    /** lora_A and lora_B of every layer, each computed when it is written. */
    List<TensorEntry> entries() {
        List<TensorEntry> out = new ArrayList<>();
        for (CompressedLayer l : layers) {
            String key = "base_model.model." + module(l);
            out.add(factor(key + ".lora_A.weight", new long[] {l.rank(), l.cols()}, l, PeftAdapter::loraA));
            out.add(factor(key + ".lora_B.weight", new long[] {l.rows(), l.rank()}, l, this::loraB));
        }
        return out;
    }

    private static TensorEntry factor(String name, long[] shape, CompressedLayer l, Function<CompressedLayer, float[]> values) {
        return new TensorEntry(name, DType.F32, shape, (dt, out) -> TensorEntry.floats(name, dt, shape, values.apply(l)).body().write(dt, out));
    }

    /** {@code A·R}: each row of A rotated back into the input basis. */
    static float[] loraA(CompressedLayer l) {
        int r = l.rank(), n = l.cols();
        float[] a = new float[r * n];
        for (int i = 0; i < a.length; i++) a[i] = Float.float16ToFloat(l.a().getAtIndex(SHORT_LE, i));
        if (l.rotation() != null) {
            float[] signs = l.rotation().signVector();
            for (int k = 0; k < r; k++) l.rotation().rotateBack(a, k * n, signs);
        }
        return a;
    }

    /** {@code B·rank/lora_alpha}, undoing the loader's scaling. */
    float[] loraB(CompressedLayer l) {
        float[] b = new float[l.rows() * l.rank()];
        float scale = (float) l.rank() / alpha;
        for (int i = 0; i < b.length; i++) b[i] = Float.float16ToFloat(l.b().getAtIndex(SHORT_LE, i)) * scale;
        return b;
    }

    /** adapter_config.json; {@code base} is the base model's folder (what AutoPeftModel loads it on). */
    ObjectNode config(Path base) {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        c.put("base_model_name_or_path", base.toString());
        c.put("r", alpha);
        c.put("lora_alpha", alpha);
        c.put("lora_dropout", 0.0);
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.put("use_rslora", false);
        c.put("use_dora", false);
        c.put("inference_mode", true);
        c.put("init_lora_weights", true);
        var targets = c.putArray("target_modules");
        ObjectNode ranks = c.putObject("rank_pattern");
        for (CompressedLayer l : layers) {
            targets.add(module(l));
            if (l.rank() != alpha) ranks.put(module(l), l.rank());
        }
        c.putObject("alpha_pattern");
        c.putNull("modules_to_save");
        return c;
    }
}
