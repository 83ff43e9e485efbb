package ai.lort.api;

/** Where a model runs. */
public enum Device {
    /** CUDA when a usable NVIDIA GPU is present, else the CPU. */
    AUTO,
    /** The CPU (Vector API kernels). */
    CPU,
    /** An NVIDIA GPU through the CUDA driver; it decodes one sequence at a time. */
    CUDA
}
