package ai.lort.generate;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SamplerTest {
    static final float[] LOGITS = {1.0f, 3.0f, 2.5f, -1f, 3.0f, 0f};

    @Test
    void temperatureZeroIsArgmaxFirstOnTies() {
        assertThat(Sampler.greedy().sample(LOGITS)).isEqualTo(1);
    }

    @Test
    void topKOneIsGreedy() {
        Sampler s = new Sampler(1.5f, 1f, 1, 7);
        for (int i = 0; i < 50; i++) assertThat(s.sample(LOGITS)).isEqualTo(1);
    }

    @Test
    void sameSeedSameSequence() {
        Sampler a = new Sampler(1f, 0.9f, 0, 42), b = new Sampler(1f, 0.9f, 0, 42);
        for (int i = 0; i < 100; i++) assertThat(a.sample(LOGITS)).isEqualTo(b.sample(LOGITS));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // Probabilities ~ 0.35, 0.35, 0.21, ...: top-p 0.6 keeps ids 1 and 4 only.
        Sampler s = new Sampler(1f, 0.6f, 0, 1);
        int[] counts = new int[LOGITS.length];
        for (int i = 0; i < 2000; i++) counts[s.sample(LOGITS)]++;
        assertThat(counts[1] + counts[4]).isEqualTo(2000);
        assertThat(counts[1]).isBetween(850, 1150);
    }

    @Test
    void fullSamplingFollowsTheSoftmax() {
        Sampler s = new Sampler(1f, 1f, 0, 3);
        int[] counts = new int[LOGITS.length];
        int n = 20000;
        for (int i = 0; i < n; i++) counts[s.sample(LOGITS)]++;
        double z = 0;
        for (float l : LOGITS) z += Math.exp(l);
        for (int i = 0; i < LOGITS.length; i++)
            assertThat(counts[i] / (double) n).isCloseTo(Math.exp(LOGITS[i]) / z, org.assertj.core.data.Offset.offset(0.015));
    }

    @Test
    void topKRestrictsToTheKMostLikely() {
        Sampler s = new Sampler(5f, 1f, 3, 9);
        for (int i = 0; i < 500; i++) assertThat(s.sample(LOGITS)).isIn(1, 2, 4);
    }
}
