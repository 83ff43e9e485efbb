package ai.lort;

/**
 * An error caused by the user's input or environment (a missing file, a corrupt header, a full
 * disk). Its message is one line that says what is wrong and what to do; the command line prints
 * it without a stack trace and exits non-zero.
 */
public class LortException extends RuntimeException {
    public LortException(String message) { super(message); }

    public LortException(String message, Throwable cause) { super(message, cause); }
}
