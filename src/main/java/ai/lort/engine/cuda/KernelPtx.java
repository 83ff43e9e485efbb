package ai.lort.engine.cuda;

import ai.lort.LortException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The PTX of {@code kernels/lort_kernel.cu}. It travels inside the jar as the resource
 * {@value #RESOURCE} (pom.xml copies the committed {@code kernels/lort_kernel.ptx} there, or
 * {@code kernels/build-ptx.sh} compiles a fresh one where nvcc exists). For kernel work, the
 * environment variable {@code LORT_CUDA_PTX} (or the property {@code lort.cuda.ptx}) names a file
 * to load instead, with no rebuild.
 */
public final class KernelPtx {
    public static final String RESOURCE = "/ai/lort/engine/cuda/lort_kernel.ptx";

    private KernelPtx() {}

    public static String load() {
        String override = System.getProperty("lort.cuda.ptx", System.getenv("LORT_CUDA_PTX"));
        try {
            if (override != null && !override.isBlank()) return Files.readString(Path.of(override), StandardCharsets.US_ASCII);
            try (InputStream in = KernelPtx.class.getResourceAsStream(RESOURCE)) {
                if (in == null) throw new LortException("the CUDA kernels " + RESOURCE + " are missing from the jar; rebuild with 'mvn package'");
                return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            }
        } catch (IOException e) {
            throw new LortException("cannot read the CUDA kernels' PTX: " + e.getMessage(), e);
        }
    }
}
