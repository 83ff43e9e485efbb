package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.engine.Backend;
import ai.lort.engine.cuda.DeviceChoice;
import ai.lort.engine.cuda.Devices;
import ai.lort.weights.WeightSource;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --device}: where infer and eval run the model. */
final class DeviceOption {
    @Spec(Spec.Target.MIXEE) CommandSpec mixee;

    private DeviceChoice choice;

    @Option(names = "--device", paramLabel = "auto|cpu|cuda", defaultValue = "auto",
            description = "Where to run: auto (CUDA when a GPU is usable, else CPU; says which on stderr), cpu or cuda [default: ${DEFAULT-VALUE}]")
    void set(String device) {
        try {
            choice = DeviceChoice.parse(device);
        } catch (LortException e) {
            throw new BadOptionValue(mixee, e.getMessage());
        }
    }

    DeviceChoice choice() {
        return choice;
    }

    /** The backend for {@code weights} on the chosen device; auto says on stderr which it took. */
    Backend backend(int cpuThreads, WeightSource weights) {
        return Devices.backend(choice, cpuThreads, System.err, weights);
    }
}
