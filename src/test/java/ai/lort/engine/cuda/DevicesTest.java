package ai.lort.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.lort.LortException;
import ai.lort.format.Packing;
import ai.lort.format.ScaleEncoding;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DevicesTest {
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final PrintStream stderr = new PrintStream(err, true, StandardCharsets.UTF_8);

    @Test
    void parsesTheThreeChoices() {
        assertThat(DeviceChoice.parse("AUTO")).isEqualTo(DeviceChoice.AUTO);
        assertThat(DeviceChoice.parse("cuda")).isEqualTo(DeviceChoice.CUDA);
        assertThat(DeviceChoice.parse(" cpu ")).isEqualTo(DeviceChoice.CPU);
        assertThatThrownBy(() -> DeviceChoice.parse("gpu")).isInstanceOf(LortException.class).hasMessageContaining("auto, cpu or cuda");
    }

    /** A model whose one compressed layer has a Hadamard block of 16384 inputs, more than the CUDA kernel holds. */
    private static ai.lort.weights.WeightSource modelWithAWideRotation() {
        java.lang.foreign.MemorySegment none = java.lang.foreign.MemorySegment.ofArray(new byte[0]);
        ai.lort.format.CompressedLayer layer = new ai.lort.format.CompressedLayer("model.layers.0.mlp.up_proj.weight", 1, 16384, 0,
                Packing.T3_B5, none, none, none, none, ScaleEncoding.ROW_F16, ai.lort.pack.Hadamard.of(16384, 1));
        return (ai.lort.weights.WeightSource) java.lang.reflect.Proxy.newProxyInstance(DevicesTest.class.getClassLoader(),
                new Class<?>[] {ai.lort.weights.WeightSource.class}, (proxy, method, args) -> {
                    if (method.getName().equals("compressedLayers")) return java.util.List.of(layer);
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void autoStaysOnTheCpuForLayersTheGpuKernelsDoNotRun() throws Exception {
        try (ai.lort.engine.Backend b = Devices.backend(DeviceChoice.AUTO, 1, stderr, modelWithAWideRotation())) {
            assertThat(b).isInstanceOf(ai.lort.engine.cpu.CpuBackend.class);
        }
        assertThat(err.toString(StandardCharsets.UTF_8))
                .startsWith("lort: device cpu (layer model.layers.0.mlp.up_proj.weight uses a Hadamard rotation block of 16384 inputs");
        assertThatThrownBy(() -> Devices.backend(DeviceChoice.CUDA, 1, stderr, modelWithAWideRotation()))
                .isInstanceOf(LortException.class).hasMessageContaining("model.layers.0.mlp.up_proj.weight uses a Hadamard rotation block of 16384");
    }

    @Test
    void cpuIsTakenAsAskedAndSilently() {
        assertThat(Devices.select(DeviceChoice.CPU, stderr)).isEqualTo(DeviceChoice.CPU);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void autoSaysWhichDeviceRuns() {
        DeviceChoice picked = Devices.select(DeviceChoice.AUTO, stderr);
        String said = err.toString(StandardCharsets.UTF_8);
        if (Devices.cudaProblem() == null) {
            assertThat(picked).isEqualTo(DeviceChoice.CUDA);
            assertThat(said).startsWith("lort: device cuda (");
        } else {
            System.err.println("no usable GPU here (" + Devices.cudaProblem() + "): checking the CPU fallback");
            assertThat(picked).isEqualTo(DeviceChoice.CPU);
            assertThat(said).startsWith("lort: device cpu (no usable GPU: ");
        }
    }

    @Test
    void autoBackendRunsOnTheCpuWithoutAGpu() {
        if (Devices.cudaProblem() != null) {
            try (var b = Devices.backend(DeviceChoice.AUTO, 1, stderr)) {
                assertThat(b.name()).startsWith("cpu");
            }
            assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("lort: device cpu (no usable GPU: ");
            assertThatThrownBy(() -> Devices.backend(DeviceChoice.CUDA, 1, stderr)).isInstanceOf(LortException.class)
                    .hasMessageStartingWith("--device cuda: no usable GPU: ");
        } else {
            try (var b = Devices.backend(DeviceChoice.AUTO, 1, stderr)) {
                assertThat(b.name()).startsWith("cuda");
            }
        }
    }

    @Test
    void cudaWithoutAGpuIsAClearError() {
        if (Devices.cudaProblem() == null) {
            assertThat(Devices.select(DeviceChoice.CUDA, stderr)).isEqualTo(DeviceChoice.CUDA);
            return;
        }
        assertThatThrownBy(() -> Devices.select(DeviceChoice.CUDA, stderr))
                .isInstanceOf(LortException.class)
                .hasMessageStartingWith("--device cuda: no usable GPU: ")
                .hasMessageNotContaining("\n");
    }
}
