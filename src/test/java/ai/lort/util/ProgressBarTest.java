package ai.lort.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    private static String run(ProgressBar.Style style) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        ProgressBar bar = new ProgressBar(out, "work", 100, false, style);
        for (int i = 0; i <= 100; i += 5) bar.update(i);
        bar.finish(100);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void offPrintsNothingAndLinesPrintsAtMostElevenLines() {
        assertThat(run(ProgressBar.Style.OFF)).isEmpty();
        String lines = run(ProgressBar.Style.LINES);
        assertThat(lines.lines().count()).isBetween(2L, 11L);
        assertThat(lines).contains("work [").contains("100%").contains("ETA").doesNotContain("\r");
    }

    @Test
    void barRedrawsInPlaceAndEndsTheLine() {
        String bar = run(ProgressBar.Style.BAR);
        assertThat(bar).startsWith("\r").contains("100/100").endsWith(System.lineSeparator());
        assertThat(bar.chars().filter(c -> c == '\n').count()).isEqualTo(1);
    }

    @Test
    void theEnvironmentChoosesTheStyle() {
        try {
            System.setProperty("lort.progress", "lines");
            assertThat(ProgressBar.style()).isEqualTo(ProgressBar.Style.LINES);
            System.setProperty("lort.progress", "off");
            assertThat(ProgressBar.style()).isEqualTo(ProgressBar.Style.OFF);
            System.setProperty("lort.progress", "bar");
            assertThat(ProgressBar.style()).isEqualTo(ProgressBar.Style.BAR);
            // Under the test runner stderr is a pipe: nothing is drawn by default.
            System.setProperty("lort.progress", "auto");
            assertThat(ProgressBar.style()).isEqualTo(ProgressBar.Style.OFF);
        } finally {
            System.clearProperty("lort.progress");
        }
    }
}
