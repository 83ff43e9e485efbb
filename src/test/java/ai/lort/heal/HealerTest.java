package ai.lort.heal;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.format.CompressedLayer;
import ai.lort.load.LocalModel;
import ai.lort.load.SourceModel;
import ai.lort.model.ModelConfig;
import ai.lort.testing.SharedData;
import ai.lort.weights.SafetensorsWeights;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Healing on a tiny model: it lowers the held-out loss, keeps only what helped, and repeats exactly. */
class HealerTest {
    static final HealOptions OPTIONS = new HealOptions(16, 2, StudentTest.LENGTH, 3e-3f, 16, 4, 4, 4, null, 0, HealOptions.Trains.ALL);

    @Test
    void healingLowersTheHeldOutLossAndRepeats() {
        try (SourceModel model = SourceModel.open(LocalModel.resolve(SharedData.require("models/tiny-llama3")))) {
            SafetensorsWeights w = new SafetensorsWeights(model);
            Map<String, CompressedLayer> layers = StudentTest.compressed(model, ModelConfig.load(w));
            Healer.Result a = Healer.run(w, layers, OPTIONS, 11, 2, null);
            assertThat(a.kept()).isTrue();
            assertThat(a.after()).isLessThan(a.before() * 0.95);
            assertThat(a.layers().keySet()).isEqualTo(layers.keySet());
            assertThat(a.vectors()).containsKeys("model.norm.weight", "model.layers.0.input_layernorm.weight");
            // The codes stay; scales and factors move.
            CompressedLayer before = layers.get("model.layers.0.mlp.down_proj.weight"), after = a.layers().get("model.layers.0.mlp.down_proj.weight");
            assertThat(after.codes().mismatch(before.codes())).isEqualTo(-1);
            assertThat(after.scales().mismatch(before.scales())).isNotEqualTo(-1);

            Healer.Result b = Healer.run(w, layers, OPTIONS, 11, 1, null);
            assertThat(b.after()).isEqualTo(a.after());
            for (String name : layers.keySet()) {
                assertThat(b.layers().get(name).scales().mismatch(a.layers().get(name).scales())).as(name).isEqualTo(-1);
                assertThat(b.layers().get(name).a().mismatch(a.layers().get(name).a())).as(name).isEqualTo(-1);
            }
        }
    }

    @Test
    void codeUpdatesMoveCodesAndHelp() {
        try (SourceModel model = SourceModel.open(LocalModel.resolve(SharedData.require("models/tiny-llama3")))) {
            SafetensorsWeights w = new SafetensorsWeights(model);
            Map<String, CompressedLayer> layers = StudentTest.compressed(model, ModelConfig.load(w));
            HealOptions withCodes = new HealOptions(16, 2, StudentTest.LENGTH, 3e-3f, 16, 4, 4, 4, null, 0.05, HealOptions.Trains.ALL);
            Healer.Result r = Healer.run(w, layers, withCodes, 11, 2, null);
            assertThat(r.kept()).isTrue();
            assertThat(r.codesMoved()).isPositive();
            assertThat(r.after()).isLessThan(r.before() * 0.95);
            long changed = 0;
            for (String name : layers.keySet())
                if (r.layers().get(name).codes().mismatch(layers.get(name).codes()) != -1) changed++;
            assertThat(changed).isPositive();
            Healer.Result again = Healer.run(w, layers, withCodes, 11, 2, null);
            assertThat(again.after()).isEqualTo(r.after());
            assertThat(again.codesMoved()).isEqualTo(r.codesMoved());
        }
    }

    @Test
    void whenNothingHelpsTheLayersComeBackAsTheyWere() {
        try (SourceModel model = SourceModel.open(LocalModel.resolve(SharedData.require("models/tiny-llama3")))) {
            SafetensorsWeights w = new SafetensorsWeights(model);
            Map<String, CompressedLayer> layers = StudentTest.compressed(model, ModelConfig.load(w));
            // A learning rate this large only makes things worse.
            HealOptions wild = new HealOptions(8, 2, StudentTest.LENGTH, 1f, 16, 4, 4, 1, null, 0, HealOptions.Trains.ALL);
            Healer.Result r = Healer.run(w, layers, wild, 11, 2, null);
            assertThat(r.kept()).isFalse();
            assertThat(r.after()).isEqualTo(r.before());
            assertThat(r.layers()).isSameAs(layers);
            assertThat(r.vectors()).isEmpty();
        }
    }
}
