package ai.lort.heal;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.decompose.AlsDecomposer;
import ai.lort.decompose.LayerEncoding;
import ai.lort.engine.cpu.CpuBackend;
import ai.lort.format.CompressedLayer;
import ai.lort.format.Packing;
import ai.lort.format.Rotation;
import ai.lort.format.ScaleEncoding;
import ai.lort.load.LocalModel;
import ai.lort.load.SourceModel;
import ai.lort.load.Tensor;
import ai.lort.model.LlamaModel;
import ai.lort.model.ModelConfig;
import ai.lort.model.Site;
import ai.lort.testing.SharedData;
import ai.lort.weights.SafetensorsWeights;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole student model on the tiny transformers-made models: without compressed layers it is
 * the teacher (KL zero), and its gradients agree with finite differences of its loss, for every
 * kind of parameter the architectures have (row scales, low-rank factors, norms, q/k norms, biases).
 */
class StudentTest {
    static final int LENGTH = 24;

    /** Every projection of the model fitted by the weight-only method (rank 4, Hadamard rotation, f16 scales). */
    static Map<String, CompressedLayer> compressed(SourceModel model, ModelConfig config) {
        LayerEncoding enc = new LayerEncoding(Packing.T3_B5, ScaleEncoding.ROW_F16, Rotation.HADAMARD, 2.2, 4, 7);
        Map<String, CompressedLayer> out = new LinkedHashMap<>();
        for (int l = 0; l < config.layers(); l++)
            for (Site site : Site.values())
                for (String name : site.weights(l)) {
                    Tensor t = model.tensor(name);
                    out.put(name, AlsDecomposer.fit(name, t.toFloats(), t.rows(), t.cols(), enc, 2).layer());
                }
        return out;
    }

    static List<TeacherTargets> targets(SafetensorsWeights w, int count, long seed) {
        try (LlamaModel teacher = LlamaModel.load(w, new CpuBackend(1), LENGTH, 16)) {
            return HealData.sample(teacher, 1, count, LENGTH, seed, 1, 16);
        }
    }

    @org.junit.jupiter.api.Test
    void rowScalesTrainAtARateRelativeToTheirSize() {
        // RMS 0.03: a tenth of the rate; four times larger scales, four times the rate; all zero: the full rate.
        assertThat(Student.scaleRate(new float[] {0.03f, -0.03f})).isCloseTo(0.1f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(Student.scaleRate(new float[] {0.12f, 0.12f})).isCloseTo(0.4f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(Student.scaleRate(new float[] {0f, 0f})).isEqualTo(1f);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama3", "tiny-qwen2", "tiny-qwen3", "tiny-mistral"})
    void withoutCompressedLayersTheStudentIsTheTeacher(String name) {
        try (SourceModel model = SourceModel.open(LocalModel.resolve(SharedData.require("models/" + name)))) {
            SafetensorsWeights w = new SafetensorsWeights(model);
            ModelConfig config = ModelConfig.load(w);
            Student student = new Student(config, w, Map.of(), LENGTH, 3 * LENGTH, 1);
            List<TeacherTargets> three = targets(w, 3, 5);
            assertThat(student.step(three, false)).isBetween(-3e-5, 3e-5);
            for (TeacherTargets t : three) assertThat(student.step(List.of(t), false)).isBetween(-1e-5, 1e-5);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-qwen2", "tiny-qwen3"})
    void gradientsMatchFiniteDifferences(String name) {
        try (SourceModel model = SourceModel.open(LocalModel.resolve(SharedData.require("models/" + name)))) {
            SafetensorsWeights w = new SafetensorsWeights(model);
            ModelConfig config = ModelConfig.load(w);
            Student student = new Student(config, w, compressed(model, config), LENGTH, 2 * LENGTH, 2);
            List<TeacherTargets> target = targets(w, 2, 9); // two sequences stacked in one pass
            for (Adam.Param p : student.params) java.util.Arrays.fill(p.grad(), 0f);
            double base = student.step(target, true);
            assertThat(base).isGreaterThan(0.01); // compressed: the student differs from the teacher
            SplittableRandom rnd = new SplittableRandom(3);
            int checked = 0;
            for (Adam.Param p : student.params) {
                assertThat(p.rate()).as(p.name()).isEqualTo(p.name().endsWith("#scales") ? Student.scaleRate(p.value()) : 1f);
                // The largest gradient of each array, and a random element: each must agree.
                int largest = 0;
                for (int i = 1; i < p.grad().length; i++) if (Math.abs(p.grad()[i]) > Math.abs(p.grad()[largest])) largest = i;
                for (int i : new int[] {largest, rnd.nextInt(p.grad().length)}) {
                    double analytic = p.grad()[i];
                    float keep = p.value()[i];
                    float h = Math.max(1e-3f, Math.abs(keep) * 1e-2f);
                    p.value()[i] = keep + h;
                    double up = student.step(target, false);
                    p.value()[i] = keep - h;
                    double down = student.step(target, false);
                    p.value()[i] = keep;
                    double numeric = (up - down) / (2.0 * (double) ((keep + h) - keep));
                    assertThat(analytic).as("%s[%d]", p.name(), i)
                            .isCloseTo(numeric, org.assertj.core.data.Offset.offset(2e-2 * Math.abs(numeric) + 2e-4));
                    checked++;
                }
            }
            assertThat(checked).isGreaterThan(40);
        }
    }
}
