package ai.lort.engine.cuda;

import ai.lort.LortException;
import ai.lort.engine.Backend;
import ai.lort.engine.cpu.CpuBackend;
import java.io.PrintStream;

/** Resolves {@code --device} to the backend that will run: {@link DeviceChoice#CPU} or {@link DeviceChoice#CUDA}. */
public final class Devices {
    private Devices() {}

    /**
     * {@code cpu} stays CPU, silently. {@code auto} probes CUDA and prints on {@code stderr} which
     * device runs and, on the CPU, why CUDA was not used. {@code cuda} without a usable GPU throws a
     * {@link LortException} that says why.
     */
    public static DeviceChoice select(DeviceChoice choice, PrintStream stderr) {
        if (choice == DeviceChoice.CPU) return DeviceChoice.CPU;
        String problem = cudaProblem();
        if (problem == null) {
            if (choice == DeviceChoice.AUTO) stderr.println("lort: device cuda (" + describeGpu() + ")");
            return DeviceChoice.CUDA;
        }
        if (choice == DeviceChoice.CUDA)
            throw new LortException("--device cuda: no usable GPU: " + problem + "; use --device cpu or auto");
        stderr.println("lort: device cpu (no usable GPU: " + problem + ")");
        return DeviceChoice.CPU;
    }

    /**
     * The backend {@code --device} asks for, as {@link #select} decides it, except that {@code auto}
     * also falls back to the CPU when the GPU is there but cannot run LoRT's kernels (a driver too
     * old for the PTX, say). What {@code lort infer} and {@code lort eval} call instead of
     * {@code new CpuBackend(threads)}.
     */
    public static Backend backend(DeviceChoice choice, int cpuThreads, PrintStream stderr) {
        if (choice == DeviceChoice.CPU) return new CpuBackend(cpuThreads);
        String problem = cudaProblem();
        if (problem != null) {
            if (choice == DeviceChoice.CUDA) throw new LortException("--device cuda: no usable GPU: " + problem + "; use --device cpu or auto");
            stderr.println("lort: device cpu (no usable GPU: " + problem + ")");
            return new CpuBackend(cpuThreads);
        }
        try {
            CudaBackend b = CudaBackend.open();
            if (choice == DeviceChoice.AUTO) stderr.println("lort: device " + b.name());
            return b;
        } catch (LortException e) {
            // e.g. a driver too old for the PTX: auto still runs, on the CPU
            if (choice == DeviceChoice.CUDA) throw new LortException("--device cuda: " + e.getMessage(), e);
            stderr.println("lort: device cpu (the GPU could not be used: " + e.getMessage() + ")");
            return new CpuBackend(cpuThreads);
        }
    }

    /**
     * As {@link #backend(DeviceChoice, int, PrintStream)} for a model: {@code auto} also stays on the
     * CPU when the model holds layers the CUDA kernels cannot run (and says which), {@code cuda}
     * then fails with that reason before anything is uploaded.
     */
    public static Backend backend(DeviceChoice choice, int cpuThreads, PrintStream stderr, ai.lort.weights.WeightSource weights) {
        String why = choice == DeviceChoice.CPU ? null : unsupportedLayers(weights);
        if (why != null) {
            if (choice == DeviceChoice.CUDA) throw new LortException("--device cuda: " + why + ", which the CUDA kernels do not run; use --device cpu");
            stderr.println("lort: device cpu (" + why + ", which the CUDA kernels do not run)");
            return new CpuBackend(cpuThreads);
        }
        return backend(choice, cpuThreads, stderr);
    }

    /** Why the CUDA kernels cannot run this model's compressed layers ("layer NAME uses ..."), or null when they run them all. */
    public static String unsupportedLayers(ai.lort.weights.WeightSource weights) {
        for (ai.lort.format.CompressedLayer c : weights.compressedLayers()) {
            String why = CudaBackend.unsupported(c);
            if (why != null) return "layer " + c.name() + " uses " + why;
        }
        return null;
    }

    /** Why CUDA cannot be used here, or null when a GPU is usable (driver loads, cuInit works, one device at least). */
    public static String cudaProblem() {
        try {
            CudaDriver.get();
            return null;
        } catch (LortException e) {
            return e.getMessage();
        } catch (UnsatisfiedLinkError | IllegalCallerException e) {
            // e.g. native access not enabled for this module: FFM refuses to load the library
            return "native access refused (" + e.getMessage() + "); run with --enable-native-access=ALL-UNNAMED";
        }
    }

    private static String describeGpu() {
        CudaDriver d = CudaDriver.get();
        int dev = d.device(0);
        return d.deviceName(dev) + ", compute " + d.attribute(CudaDriver.ATTR_CC_MAJOR, dev) + "."
                + d.attribute(CudaDriver.ATTR_CC_MINOR, dev);
    }
}
