package ai.lort.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.lort.model.LlamaModel;
import ai.lort.testing.ReferenceModels;
import ai.lort.testing.SharedData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BatchDecoderTest {
    /** A sink that collects a request's end. */
    static final class Collect implements BatchDecoder.Sink {
        final CompletableFuture<Generator.Result> done = new CompletableFuture<>();
        final List<Integer> seen = new ArrayList<>();
        final int stopAfter;

        Collect(int stopAfter) { this.stopAfter = stopAfter; }

        @Override public boolean token(int id) { seen.add(id); return seen.size() < stopAfter; }
        @Override public void finished(Generator.Result result) { done.complete(result); }
        @Override public void failed(RuntimeException error) { done.completeExceptionally(error); }

        Generator.Result get() throws Exception { return done.get(60, TimeUnit.SECONDS); }
    }

    /**
     * More greedy requests than slots, prompts of different lengths (one over two batches): each
     * gets the tokens Generator gives it on a fresh model, whatever was decoded beside it.
     */
    @Test
    void concurrentRequestsGetTheTokensOfALoneGeneration() throws Exception {
        Path dir = SharedData.require("models/stories260K");
        int[][] prompts = new int[5][];
        for (int p = 0; p < prompts.length; p++) {
            prompts[p] = new int[1 + p * 9];
            prompts[p][0] = 1;
            for (int i = 1; i < prompts[p].length; i++) prompts[p][i] = 20 + (i * 31 + p * 7) % 400;
        }
        int[] maxTokens = {12, 30, 7, 25, 18};
        List<int[]> want = new ArrayList<>();
        try (LlamaModel alone = ReferenceModels.open(dir, 1, 16)) {
            Generator g = new Generator(alone);
            for (int p = 0; p < prompts.length; p++) {
                g.reset();
                want.add(g.generate(prompts[p], maxTokens[p], Sampler.greedy(), id -> true).tokens());
            }
        }
        try (LlamaModel m = ReferenceModels.open(dir, 2, 16); BatchDecoder d = new BatchDecoder(m, 3, 8)) {
            List<Collect> sinks = new ArrayList<>();
            for (int p = 0; p < prompts.length; p++) {
                Collect c = new Collect(Integer.MAX_VALUE);
                sinks.add(c);
                d.submit(prompts[p], maxTokens[p], Sampler.greedy(), c);
            }
            for (int p = 0; p < prompts.length; p++) {
                Generator.Result r = sinks.get(p).get();
                assertThat(r.tokens()).as("prompt %d", p).containsExactly(want.get(p));
                assertThat(sinks.get(p).seen).containsExactly(java.util.Arrays.stream(want.get(p)).boxed().toArray(Integer[]::new));
            }
            // The same prompt again reuses whole batches of its cache and gives the same tokens.
            Collect again = new Collect(Integer.MAX_VALUE);
            d.submit(prompts[4], maxTokens[4], Sampler.greedy(), again);
            Generator.Result r = again.get();
            assertThat(r.tokens()).containsExactly(want.get(4));
            assertThat(r.reused()).isEqualTo(32);
        }
    }

    @Test
    void aSinkOrACancelStopsOnlyItsRequest() throws Exception {
        Path dir = SharedData.require("models/stories260K");
        try (LlamaModel m = ReferenceModels.open(dir, 1, 8); BatchDecoder d = new BatchDecoder(m, 2, 0)) {
            Collect stopping = new Collect(3), running = new Collect(Integer.MAX_VALUE);
            d.submit(new int[] {1, 50, 60}, 40, Sampler.greedy(), stopping);
            BatchDecoder.Request r = d.submit(new int[] {1, 70}, 200, Sampler.greedy(), running);
            assertThat(stopping.get().stop()).isEqualTo(Generator.Stop.CALLER);
            assertThat(stopping.get().tokens()).hasSize(3);
            r.cancel();
            assertThat(running.get().stop()).isEqualTo(Generator.Stop.CALLER);
        }
    }

    @Test
    void aFullQueueRefusesAndALongPromptIsRefused() throws Exception {
        Path dir = SharedData.require("models/stories260K");
        try (LlamaModel m = ReferenceModels.open(dir, 1, 8); BatchDecoder d = new BatchDecoder(m, 1, 1)) {
            Collect first = new Collect(Integer.MAX_VALUE), second = new Collect(Integer.MAX_VALUE);
            BatchDecoder.Request a = d.submit(new int[] {1, 50}, 100_000, Sampler.greedy(), first);
            BatchDecoder.Request b = d.submit(new int[] {1, 51}, 100_000, Sampler.greedy(), second);
            assertThatThrownBy(() -> d.submit(new int[] {1, 52}, 5, Sampler.greedy(), new Collect(9)))
                    .isInstanceOf(BatchDecoder.QueueFullException.class);
            a.cancel();
            b.cancel();
            first.get();
            second.get();
            assertThatThrownBy(() -> d.submit(new int[m.context()], 5, Sampler.greedy(), new Collect(9))).hasMessageContaining("context");
        }
    }
}
