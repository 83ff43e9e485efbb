package ai.lort.engine.cuda;

import ai.lort.LortException;

/** A CUDA driver call failed; the message names the call and the driver's error name. */
public final class CudaException extends LortException {
    private final int code;

    public CudaException(String message, int code) {
        super(message);
        this.code = code;
    }

    /** The driver's {@code CUresult} (0 is success; 100 no device; 999 unknown). */
    public int code() { return code; }
}
