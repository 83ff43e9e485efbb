package ai.lort.api;

import ai.lort.LortException;
import java.io.OutputStream;
import java.io.PrintStream;

/**
 * How to open a model: threads, device, context length, how many generations are decoded
 * together, hub revision. Immutable; made by {@link #builder()}.
 */
public final class ModelOptions {
    private final int threads, context, parallel, queue;
    private final Device device;
    private final String revision;
    private final PrintStream messages;

    private ModelOptions(Builder b) {
        threads = b.threads;
        context = b.context;
        parallel = b.parallel;
        queue = b.queue;
        device = b.device;
        revision = b.revision;
        messages = b.messages;
    }

    public static Builder builder() { return new Builder(); }

    public static ModelOptions defaults() { return builder().build(); }

    /** CPU worker threads. */
    public int threads() { return threads; }

    /** Context length in tokens; 0: the model's max_position_embeddings, at most 4096. */
    public int context() { return context; }

    /** Generations decoded together (each holds a KV cache of the whole context). */
    public int parallel() { return parallel; }

    /** Generations that may wait for a free slot; more are refused. */
    public int queue() { return queue; }

    public Device device() { return device; }

    /** Hub revision of a hub id, or null. */
    public String revision() { return revision; }

    /** Where notes go (which device was chosen, download progress). */
    public PrintStream messages() { return messages; }

    /** Builds {@link ModelOptions}; {@link #build} checks the values. */
    public static final class Builder {
        private int threads = Runtime.getRuntime().availableProcessors(), context, parallel = 1, queue = 64;
        private Device device = Device.AUTO;
        private String revision;
        private PrintStream messages = System.err;

        private Builder() {}

        /** CPU worker threads [default: all cores]. */
        public Builder threads(int n) { threads = n; return this; }

        /** Context length in tokens, at least 2 [default: the model's, at most 4096]. */
        public Builder context(int n) { context = n; return this; }

        /** Generations decoded together, 1 to 32 [default: 1]. */
        public Builder parallel(int n) { parallel = n; return this; }

        /** Generations that may wait for a slot [default: 64]. */
        public Builder queue(int n) { queue = n; return this; }

        /** [default: {@link Device#AUTO}] */
        public Builder device(Device d) { device = d; return this; }

        /** Hub revision (branch, tag or commit) when the model is a hub id. */
        public Builder revision(String r) { revision = r; return this; }

        /** Where notes go [default: System.err]; null for nowhere. */
        public Builder messages(PrintStream out) { messages = out != null ? out : new PrintStream(OutputStream.nullOutputStream()); return this; }

        /** @throws LortException when a value is out of range */
        public ModelOptions build() {
            if (threads < 1) throw new LortException("threads must be at least 1: " + threads);
            if (context != 0 && context < 2) throw new LortException("the context must be at least 2 tokens: " + context);
            if (parallel < 1 || parallel > 32) throw new LortException("parallel must be between 1 and 32: " + parallel);
            if (queue < 0) throw new LortException("the queue must be 0 or more: " + queue);
            if (device == null) throw new LortException("no device given");
            return new ModelOptions(this);
        }
    }
}
