package ai.lort.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RopeTableTest {
    @Test
    void llama3ScalingKeepsDividesAndSmoothsAsTinyLlama3ReadmeSays() {
        // head_dim 32, theta 5e5, original context 64: two frequencies kept, one smoothed, thirteen divided by 8.
        float[] plain = RopeTable.inverseFrequencies(ModelConfig.Rope.plain(500000), 32);
        float[] scaled = RopeTable.inverseFrequencies(new ModelConfig.Rope("llama3", 500000, 8, 1, 4, 64), 32);
        int kept = 0, divided = 0, smoothed = 0;
        for (int i = 0; i < plain.length; i++) {
            if (scaled[i] == plain[i]) kept++;
            else if (scaled[i] == plain[i] / 8) divided++;
            else { smoothed++; assertThat(scaled[i]).isBetween(plain[i] / 8, plain[i]); }
        }
        assertThat(new int[] {kept, smoothed, divided}).containsExactly(2, 1, 13);
    }

    @Test
    void linearScalingDividesEveryFrequency() {
        float[] plain = RopeTable.inverseFrequencies(ModelConfig.Rope.plain(10000), 64);
        float[] linear = RopeTable.inverseFrequencies(new ModelConfig.Rope("linear", 10000, 4, 0, 0, 0), 64);
        for (int i = 0; i < plain.length; i++) assertThat(linear[i]).isEqualTo(plain[i] / 4);
    }

    @Test
    void tableHoldsCosAndSinOfPositionTimesFrequency() {
        RopeTable t = RopeTable.of(ModelConfig.Rope.plain(10000), 8, 3);
        assertThat(t.half()).isEqualTo(4);
        assertThat(t.cos()[0]).isEqualTo(1f);
        assertThat(t.sin()[4]).isEqualTo((float) Math.sin(1.0)); // position 1, frequency 1
        assertThat(t.cos()[2 * 4 + 1]).isEqualTo((float) Math.cos(2 * (1 / (float) Math.pow(10000f, 0.25f))));
    }
}
