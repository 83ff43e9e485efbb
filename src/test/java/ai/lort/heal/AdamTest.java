package ai.lort.heal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Adam's first steps move by the learning rate (times an array's rate factor); the schedule warms up, then falls to a tenth. */
class AdamTest {
    @Test
    void anArrayTrainsAtItsFactorOfTheRate() {
        Adam adam = Adam.defaults();
        float[] full = {1f, -2f}, tenth = {1f, -2f};
        float[] g1 = {0.5f, -3f}, g2 = {0.5f, -3f};
        adam.add(new Adam.Param("full", full, g1));
        adam.add(new Adam.Param("scales", tenth, g2, 0.1f));
        adam.step(0.01f);
        // The first bias-corrected step is lr·g/|g| per element, whatever the gradient's size.
        assertThat(full[0]).isCloseTo(1f - 0.01f, offset(1e-6f));
        assertThat(full[1]).isCloseTo(-2f + 0.01f, offset(1e-6f));
        assertThat(tenth[0]).isCloseTo(1f - 0.001f, offset(1e-6f));
        assertThat(tenth[1]).isCloseTo(-2f + 0.001f, offset(1e-6f));
        assertThat(adam.params()).extracting(Adam.Param::rate).isEqualTo(List.of(1f, 0.1f));
    }

    @Test
    void theRateWarmsUpLinearlyThenFallsByACosineToATenth() {
        assertThat(Adam.rate(1f, 0, 100, 10)).isCloseTo(0.1f, offset(1e-6f));
        assertThat(Adam.rate(1f, 9, 100, 10)).isCloseTo(1f, offset(1e-6f));
        assertThat(Adam.rate(1f, 55, 100, 10)).isCloseTo(0.55f, offset(1e-6f));
        assertThat(Adam.rate(1f, 100, 100, 10)).isCloseTo(0.1f, offset(1e-6f));
    }
}
