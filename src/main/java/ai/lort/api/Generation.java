package ai.lort.api;

import ai.lort.LortException;
import ai.lort.generate.BatchDecoder;
import ai.lort.generate.Generator;
import ai.lort.tokenizer.Tokenizer;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * A running generation. Its tokens arrive as the model makes them: iterate over them (each
 * {@link Token} once, blocking until the next), hand them to a callback with {@link #streamTo},
 * or wait for the whole {@link #result}. {@link #cancel} (or {@link #close}) stops it at the next
 * step. One thread consumes a generation; any thread may cancel it.
 *
 * <p>At the end, text that has no token of its own (a stop sequence's possible start held back,
 * or the rest of an incomplete character) comes as one last {@link Token} with id -1.
 */
public final class Generation implements Iterable<Token>, AutoCloseable {
    /** The end of the stream in the queue: a completion or a failure. */
    private record End(Completion completion, RuntimeException error) {}

    private final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private final Sink sink;
    private volatile BatchDecoder.Request request;
    private End end;
    private boolean iterated;

    Generation(Tokenizer.Decoder decoder, List<String> stop) {
        this.sink = new Sink(decoder, stop);
    }

    BatchDecoder.Sink sink() { return sink; }

    void started(BatchDecoder.Request r) { request = r; }

    /** Stops the generation at the next step; its result then says {@link FinishReason#CANCELLED}. */
    public void cancel() {
        BatchDecoder.Request r = request;
        if (r != null) r.cancel();
    }

    /** Cancels the generation if it still runs. */
    @Override
    public void close() { cancel(); }

    /** The tokens as they come (once: a second iterator is refused). */
    @Override
    public Iterator<Token> iterator() {
        if (iterated) throw new IllegalStateException("a generation's tokens can be iterated once");
        iterated = true;
        return new Iterator<>() {
            private Token next;

            @Override
            public boolean hasNext() {
                if (next != null) return true;
                if (end != null) return false;
                Object e = take();
                if (e instanceof Token t) {
                    next = t;
                    return true;
                }
                end = (End) e;
                return false;
            }

            @Override
            public Token next() {
                if (!hasNext()) throw new NoSuchElementException();
                Token t = next;
                next = null;
                return t;
            }
        };
    }

    /** Hands every token to {@code onToken} as it comes, on this thread, and returns the result; if it throws, the generation is cancelled. */
    public Completion streamTo(Consumer<Token> onToken) {
        try {
            for (Token t : this) onToken.accept(t);
        } catch (RuntimeException | Error e) {
            cancel();
            throw e;
        }
        return result();
    }

    /** Waits for the end (consuming the tokens not yet taken) and returns the completion. */
    public Completion result() {
        while (end == null) {
            Object e = take();
            if (e instanceof End done) end = done;
        }
        if (end.error != null) throw end.error instanceof LortException l ? new LortException(l.getMessage(), l) : end.error;
        return end.completion;
    }

    private Object take() {
        try {
            return events.take();
        } catch (InterruptedException e) {
            cancel();
            Thread.currentThread().interrupt();
            throw new LortException("interrupted while waiting for the model");
        }
    }

    /**
     * The decoder's side (its thread): token ids to text, stop sequences found and held back,
     * events queued for the consumer.
     */
    private final class Sink implements BatchDecoder.Sink {
        private final Tokenizer.Decoder decoder;
        private final List<String> stop;
        private final StringBuilder text = new StringBuilder(), pending = new StringBuilder();
        private boolean stopped;

        Sink(Tokenizer.Decoder decoder, List<String> stop) {
            this.decoder = decoder;
            this.stop = stop;
        }

        @Override
        public boolean token(int id) {
            if (decoder != null) pending.append(decoder.next(id));
            if (stopAt()) {
                events.add(new Token(id, release(pending.length())));
                return false;
            }
            events.add(new Token(id, release(pending.length() - heldBack())));
            return true;
        }

        /** Whether a stop sequence occurs in the pending text; if so, cuts it there. */
        private boolean stopAt() {
            int at = -1;
            for (String s : stop) {
                int i = pending.indexOf(s);
                if (i >= 0 && (at < 0 || i < at)) at = i;
            }
            if (at < 0) return false;
            pending.setLength(at);
            stopped = true;
            return true;
        }

        /** Length of the longest end of the pending text that begins some stop sequence. */
        private int heldBack() {
            int held = 0;
            for (String s : stop)
                for (int k = Math.min(s.length() - 1, pending.length()); k > held; k--)
                    if (s.startsWith(pending.substring(pending.length() - k))) {
                        held = k;
                        break;
                    }
            return held;
        }

        /** Takes the first {@code n} chars of the pending text into the text. */
        private String release(int n) {
            String out = pending.substring(0, n);
            pending.delete(0, n);
            text.append(out);
            return out;
        }

        @Override
        public void finished(Generator.Result r) {
            if (!stopped) {
                if (decoder != null) pending.append(decoder.flush());
                stopAt();
                String rest = release(pending.length());
                if (!rest.isEmpty()) events.add(new Token(-1, rest));
            }
            FinishReason reason = switch (r.stop()) {
                case EOS -> FinishReason.END_OF_SEQUENCE;
                case MAX_TOKENS -> stopped ? FinishReason.STOP_SEQUENCE : FinishReason.MAX_TOKENS;
                case CONTEXT -> stopped ? FinishReason.STOP_SEQUENCE : FinishReason.CONTEXT_FULL;
                case CALLER -> stopped ? FinishReason.STOP_SEQUENCE : FinishReason.CANCELLED;
            };
            events.add(new End(new Completion(text.toString(), r.tokens(), reason, r.promptTokens(), r.reused(), r.promptNanos(),
                    r.firstTokenNanos(), r.decodeNanos()), null));
        }

        @Override
        public void failed(RuntimeException error) { events.add(new End(null, error)); }
    }
}
