package ai.lort.generate;

import ai.lort.LortException;
import ai.lort.model.LlamaModel;
import ai.lort.model.Sequences;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Continuous batching: up to {@code parallel} generations share every decode step of one model
 * (one pass over the weights for all of them, {@link Sequences}), each in its own slot with its
 * own KV cache and {@link Sampler}. Requests are admitted into free slots and retired between
 * steps; a prompt is prefilled in batches of {@link LlamaModel#batch()} tokens, one batch per
 * step, so a long prompt does not stall the others for its whole length. Everything runs on one
 * thread ({@code lort-decoder}); callers submit and get tokens through a {@link Sink}.
 *
 * <p>A slot keeps the tokens its cache holds after a generation: a request whose prompt starts
 * with them (the next turn of a chat) prefills only the rest, from a multiple of the batch size,
 * so a repeated prompt is cut into the same batches as the first time. At temperature 0 a
 * sequence gets the tokens of {@link Generator} on a fresh model whatever runs beside it.
 */
public final class BatchDecoder implements AutoCloseable {
    /** Where a request's tokens go. Runs on the decoder's thread: it must be quick and never block. */
    public interface Sink {
        /** The next token (an end-of-sequence id is not passed); false stops the generation here. */
        boolean token(int id);

        /** The end, called once (also after {@link Request#cancel}): the tokens, why it stopped, timings. */
        void finished(Generator.Result result);

        /** The generation failed (the model threw); called instead of {@link #finished}. */
        void failed(RuntimeException error);
    }

    /** Thrown by {@link #submit} when every slot is busy and the queue is full. */
    public static final class QueueFullException extends LortException {
        QueueFullException(String message) { super(message); }
    }

    /** Counts at one moment: slots decoding, requests waiting for one. */
    public record Status(int parallel, int active, int queued) {}

    /** A submitted generation: {@link #cancel} ends it at the next step boundary. */
    public static final class Request {
        private final int[] prompt;
        private final int maxTokens;
        private final Sampler sampler;
        private final Sink sink;
        private final long submitted = System.nanoTime();
        private volatile boolean cancelled;

        private Request(int[] prompt, int maxTokens, Sampler sampler, Sink sink) {
            this.prompt = prompt;
            this.maxTokens = maxTokens;
            this.sampler = sampler;
            this.sink = sink;
        }

        /** Stops the generation (its sink's finished says CALLER); harmless after the end. */
        public void cancel() { cancelled = true; }
    }

    /** A slot: one sequence's cache, what it holds, and the request decoding in it, if any. */
    private static final class Slot {
        final int index;
        final int[] cached;
        int cachedCount;
        long lastUsed;
        Request request;
        int fed, reuse, count, pending = -1;
        int[] out;
        long started, promptNanos, firstToken, decode;

        Slot(int index, int context) {
            this.index = index;
            this.cached = new int[context];
        }
    }

    private final LlamaModel model;
    private final Sequences sequences;
    private final Slot[] slots;
    private final int queueLimit;
    private final float[] logits;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<Request> queue = new ArrayDeque<>();
    private final ArrayDeque<Runnable> jobs = new ArrayDeque<>();
    private final Thread thread;
    private volatile boolean closed;
    private long clock;
    // One step's rows, reused.
    private final int[] rowSequence, rowToken, rowPosition;
    private final Slot[] rowSlot;

    /**
     * @param parallel   sequences decoded together (at most the model's batch)
     * @param queueLimit requests that may wait for a slot; more are refused
     */
    public BatchDecoder(LlamaModel model, int parallel, int queueLimit) {
        if (parallel < 1 || parallel > model.batch()) throw new LortException("parallel sequences must be between 1 and " + model.batch() + ": " + parallel);
        if (queueLimit < 0) throw new IllegalArgumentException("queue limit " + queueLimit);
        this.model = model;
        this.sequences = new Sequences(model, parallel);
        this.slots = new Slot[parallel];
        for (int s = 0; s < parallel; s++) slots[s] = new Slot(s, model.context());
        this.queueLimit = queueLimit;
        this.logits = new float[model.vocabSize()];
        rowSequence = new int[parallel];
        rowToken = new int[parallel];
        rowPosition = new int[parallel];
        rowSlot = new Slot[parallel];
        thread = Thread.ofPlatform().name("lort-decoder").daemon().start(this::loop);
    }

    public LlamaModel model() { return model; }

    public int parallel() { return slots.length; }

    /**
     * Queues a generation of up to {@code maxTokens} tokens after {@code prompt}, as
     * {@link Generator#generate} makes it.
     *
     * @throws QueueFullException when every slot is busy and {@code queueLimit} requests already wait
     * @throws LortException      when the prompt is empty or does not fit the context
     */
    public Request submit(int[] prompt, int maxTokens, Sampler sampler, Sink sink) {
        if (prompt.length == 0) throw new LortException("the prompt is empty");
        if (prompt.length >= model.context())
            throw new LortException("the prompt has " + prompt.length + " tokens, the context only " + model.context() + "; shorten it or give a larger --ctx");
        Request r = new Request(prompt.clone(), Math.max(0, maxTokens), sampler, sink);
        lock.lock();
        try {
            if (closed) throw new LortException("the model is closed");
            int busy = 0;
            for (Slot s : slots) if (s.request != null) busy++;
            if (busy + queue.size() >= slots.length + queueLimit)
                throw new QueueFullException("all " + slots.length + " slots are busy and " + queue.size() + " requests wait; try again later");
            queue.add(r);
            work.signal();
        } finally {
            lock.unlock();
        }
        return r;
    }

    /** Runs {@code job} on the decoder's thread between two steps (it may use the model) and returns its result. */
    public <T> T exclusive(Supplier<T> job) {
        CompletableFuture<T> result = new CompletableFuture<>();
        lock.lock();
        try {
            if (closed) throw new LortException("the model is closed");
            jobs.add(() -> {
                try {
                    result.complete(job.get());
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                }
            });
            work.signal();
        } finally {
            lock.unlock();
        }
        try {
            return result.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw e;
        }
    }

    public Status status() {
        lock.lock();
        try {
            int active = 0;
            for (Slot s : slots) if (s.request != null) active++;
            return new Status(slots.length, active, queue.size());
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        while (true) {
            List<Runnable> toRun = new ArrayList<>();
            lock.lock();
            try {
                while (!closed && queue.isEmpty() && jobs.isEmpty() && idle()) work.awaitUninterruptibly();
                if (closed) break;
                toRun.addAll(jobs);
                jobs.clear();
                admit();
            } finally {
                lock.unlock();
            }
            toRun.forEach(Runnable::run);
            try {
                retireCancelled();
                prefillOne();
                step();
            } catch (RuntimeException e) {
                failAll(e);
            }
        }
        lock.lock();
        try {
            for (Request r : queue) r.sink.failed(new LortException("the model was closed"));
            queue.clear();
            for (Runnable job : jobs) job.run();
            jobs.clear();
        } finally {
            lock.unlock();
        }
        failAll(new LortException("the model was closed"));
    }

    private boolean idle() {
        for (Slot s : slots) if (s.request != null) return false;
        return true;
    }

    /** Moves waiting requests into free slots, each into the one whose cache shares most of its prompt. Holds the lock. */
    private void admit() {
        while (!queue.isEmpty()) {
            Request r = queue.peek();
            Slot best = null;
            int bestReuse = -1;
            for (Slot s : slots) {
                if (s.request != null) continue;
                int reuse = reusable(s, r.prompt);
                if (reuse > bestReuse || (reuse == bestReuse && s.lastUsed < best.lastUsed)) {
                    best = s;
                    bestReuse = reuse;
                }
            }
            if (best == null) return;
            queue.poll();
            start(best, r, bestReuse);
        }
    }

    /** Cached tokens the prompt can keep: their common prefix, short of the prompt's last token, down to a whole batch. */
    private int reusable(Slot s, int[] prompt) {
        int common = 0, limit = Math.min(s.cachedCount, prompt.length - 1);
        while (common < limit && s.cached[common] == prompt[common]) common++;
        return common - common % model.batch();
    }

    private void start(Slot s, Request r, int reuse) {
        s.request = r;
        s.reuse = s.fed = reuse;
        s.cachedCount = reuse;
        s.count = 0;
        s.pending = -1;
        // The context ends a generation before a larger limit does.
        s.out = new int[Math.min(r.maxTokens, model.context())];
        s.started = System.nanoTime();
        s.promptNanos = s.firstToken = s.decode = 0;
        s.lastUsed = ++clock;
    }

    private void retireCancelled() {
        for (Slot s : slots) if (s.request != null && s.request.cancelled) finish(s, Generator.Stop.CALLER);
    }

    /** One batch of the oldest prompt still being prefilled; at its end, the request's first token. */
    private void prefillOne() {
        Slot p = null;
        for (Slot s : slots)
            if (s.request != null && s.fed < s.request.prompt.length && (p == null || s.lastUsed < p.lastUsed)) p = s;
        if (p == null) return;
        int[] prompt = p.request.prompt;
        int to = Math.min(prompt.length, p.fed + model.batch());
        long t0 = System.nanoTime();
        sequences.prefill(p.index, prompt, p.fed, to, p.fed);
        System.arraycopy(prompt, p.fed, p.cached, p.fed, to - p.fed);
        p.fed = p.cachedCount = to;
        p.promptNanos += System.nanoTime() - t0;
        if (to < prompt.length) return;
        if (p.request.maxTokens == 0) {
            finish(p, Generator.Stop.MAX_TOKENS);
            return;
        }
        model.logits(0, logits);
        accept(p);
    }

    /** One decode step over every slot with a sampled token to feed. */
    private void step() {
        int n = 0;
        for (Slot s : slots) {
            if (s.request == null || s.pending < 0) continue;
            rowSlot[n] = s;
            rowSequence[n] = s.index;
            rowToken[n] = s.pending;
            rowPosition[n] = s.cachedCount;
            n++;
        }
        if (n == 0) return;
        long t0 = System.nanoTime();
        sequences.step(rowSequence, rowToken, rowPosition, n);
        long t1 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            Slot s = rowSlot[i];
            s.cached[s.cachedCount++] = s.pending;
            s.pending = -1;
            s.decode += t1 - t0;
            model.logits(i, logits);
            accept(s);
            rowSlot[i] = null;
        }
    }

    /** Samples the slot's next token from {@link #logits} and decides, as {@link Generator} does, whether to go on. */
    private void accept(Slot s) {
        Request r = s.request;
        int token = r.sampler.sample(logits);
        if (s.count == 0) s.firstToken = System.nanoTime() - r.submitted;
        if (model.config().isEos(token)) {
            finish(s, Generator.Stop.EOS);
            return;
        }
        s.out[s.count++] = token;
        boolean go;
        try {
            go = r.sink.token(token);
        } catch (RuntimeException e) {
            go = false;
        }
        if (!go || r.cancelled) finish(s, Generator.Stop.CALLER);
        else if (s.count == r.maxTokens) finish(s, Generator.Stop.MAX_TOKENS);
        else if (s.cachedCount >= model.context()) finish(s, Generator.Stop.CONTEXT);
        else s.pending = token;
    }

    private void finish(Slot s, Generator.Stop stop) {
        Request r = s.request;
        s.request = null;
        s.pending = -1;
        Generator.Result result = new Generator.Result(Arrays.copyOf(s.out, s.count), stop, r.prompt.length, s.reuse,
                s.promptNanos, s.firstToken, s.decode);
        try {
            r.sink.finished(result);
        } catch (RuntimeException ignored) {
            // a sink's failure ends only its own request
        }
    }

    /** The model threw: every running request fails, and the caches it was writing are forgotten. */
    private void failAll(RuntimeException e) {
        for (Slot s : slots) {
            Request r = s.request;
            s.cachedCount = 0;
            if (r == null) continue;
            s.request = null;
            s.pending = -1;
            try {
                r.sink.failed(e);
            } catch (RuntimeException ignored) {
                // nothing more to tell it
            }
        }
    }

    /** Stops the decoder: running and waiting requests fail; returns when its thread has ended. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            work.signal();
        } finally {
            lock.unlock();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
