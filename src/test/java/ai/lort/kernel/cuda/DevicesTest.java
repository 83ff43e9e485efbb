package ai.lort.kernel.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.lort.LortException;
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
