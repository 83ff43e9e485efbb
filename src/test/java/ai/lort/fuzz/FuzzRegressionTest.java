package ai.lort.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.format.LortFileFuzzer;
import ai.lort.load.SafetensorsFuzzer;
import ai.lort.load.ShardIndexFuzzer;
import ai.lort.model.ConfigFuzzer;
import ai.lort.testing.SharedData;
import ai.lort.tokenizer.ChatTemplateFuzzer;
import ai.lort.tokenizer.TokenizerEncodeFuzzer;
import ai.lort.tokenizer.TokenizerLoadFuzzer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every fuzz target (bin/fuzz runs them under Jazzer) in every build: over its committed inputs
 * (src/test/resources/fuzz/TARGET: the seeds from ../shared's real files and every crash a
 * campaign found), then over a fixed number of inputs mutated from them with a fixed seed (bit
 * flips, interesting bytes, cuts, copies, splices), so the run is the same each time. A target
 * fails by throwing anything but the documented LortException.
 */
class FuzzRegressionTest {
    /** Mutated inputs per target: about a second each on a slow machine (a template or tokenizer costs milliseconds, a header microseconds). */
    private static final int MUTATIONS = 1500, SLOW_MUTATIONS = 150;

    static Stream<Arguments> targets() {
        return Stream.of(
                Arguments.of("SafetensorsFuzzer", (Consumer<byte[]>) SafetensorsFuzzer::fuzzerTestOneInput),
                Arguments.of("ShardIndexFuzzer", (Consumer<byte[]>) ShardIndexFuzzer::fuzzerTestOneInput),
                Arguments.of("LortFileFuzzer", (Consumer<byte[]>) LortFileFuzzer::fuzzerTestOneInput),
                Arguments.of("ConfigFuzzer", (Consumer<byte[]>) ConfigFuzzer::fuzzerTestOneInput),
                Arguments.of("TokenizerLoadFuzzer", (Consumer<byte[]>) TokenizerLoadFuzzer::fuzzerTestOneInput),
                Arguments.of("TokenizerEncodeFuzzer", (Consumer<byte[]>) TokenizerEncodeFuzzer::fuzzerTestOneInput),
                Arguments.of("ChatTemplateFuzzer", (Consumer<byte[]>) ChatTemplateFuzzer::fuzzerTestOneInput));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    @Timeout(120)
    void committedAndMutatedInputsGiveOnlyTheDocumentedError(String target, Consumer<byte[]> run) throws Exception {
        if (target.equals("TokenizerEncodeFuzzer")) SharedData.require("tokenizers/llama3");
        List<byte[]> inputs = new ArrayList<>();
        for (Path p : FuzzSeeds.of(target)) inputs.add(Files.readAllBytes(p));
        assertThat(inputs).as("committed inputs of " + target).isNotEmpty();
        for (int i = 0; i < inputs.size(); i++) runOne(target, "committed input " + FuzzSeeds.of(target).get(i).getFileName(), run, inputs.get(i));
        Random rnd = new Random(17);
        int mutations = target.startsWith("Tokenizer") || target.startsWith("ChatTemplate") ? SLOW_MUTATIONS : MUTATIONS;
        for (int i = 0; i < mutations; i++) {
            byte[] in = FuzzSeeds.mutate(inputs.get(rnd.nextInt(inputs.size())), inputs.get(rnd.nextInt(inputs.size())), rnd);
            runOne(target, "mutation " + i, run, in);
        }
    }

    private static void runOne(String target, String which, Consumer<byte[]> run, byte[] input) {
        try {
            run.accept(input);
        } catch (Throwable t) {
            Path saved = Path.of("target", "fuzz-failure-" + target);
            try {
                Files.createDirectories(saved.getParent());
                Files.write(saved, input);
            } catch (java.io.IOException e) {
                t.addSuppressed(e);
            }
            throw new AssertionError(target + " failed on " + which + " (" + input.length + " bytes, saved as " + saved + "): " + t, t);
        }
    }
}
