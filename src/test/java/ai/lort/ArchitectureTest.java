package ai.lort;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package layering of docs/ARCHITECTURE.md, checked on the compiled main classes: every
 * package may use only the packages listed before it (and itself), so no package imports one above
 * it and no two packages form a loop. A new package must be placed in {@link #LAYERS}.
 */
class ArchitectureTest {
    /** Bottom to top, in the order of docs/ARCHITECTURE.md. */
    static final List<String> LAYERS = List.of(
            "ai.lort",
            "ai.lort.util",
            "ai.lort.tokenizer",
            "ai.lort.load",
            "ai.lort.hub",
            "ai.lort.locate",
            "ai.lort.select",
            "ai.lort.pack",
            "ai.lort.format",
            "ai.lort.kernel",
            "ai.lort.weights",
            "ai.lort.engine",
            "ai.lort.engine.cpu",
            "ai.lort.engine.cuda",
            "ai.lort.model",
            "ai.lort.generate",
            "ai.lort.eval",
            "ai.lort.decompose",
            "ai.lort.calibrate",
            "ai.lort.heal",
            "ai.lort.compress",
            "ai.lort.export",
            "ai.lort.report",
            "ai.lort.report.html",
            "ai.lort.tools",
            "ai.lort.api",
            "ai.lort.serve",
            "ai.lort.cli");

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("ai.lort");
    }

    @Test
    void everyPackageHasItsPlace() {
        TreeSet<String> unplaced = new TreeSet<>();
        for (JavaClass c : classes) if (!LAYERS.contains(c.getPackageName())) unplaced.add(c.getPackageName());
        assertThat(unplaced).as("packages missing from ArchitectureTest.LAYERS and docs/ARCHITECTURE.md").isEmpty();
        assertThat(classes.size()).isGreaterThan(100);
    }

    @Test
    void packagesUseOnlyThoseBelowThem() {
        TreeSet<String> upward = new TreeSet<>();
        for (JavaClass c : classes) {
            int from = LAYERS.indexOf(c.getPackageName());
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                String target = d.getTargetClass().getPackageName();
                if (!target.startsWith("ai.lort")) continue;
                int to = LAYERS.indexOf(target);
                if (to > from) upward.add(c.getPackageName() + " -> " + target + " (" + c.getSimpleName() + " uses " + d.getTargetClass().getSimpleName() + ")");
            }
        }
        assertThat(upward).as("dependencies on a higher package").isEmpty();
    }
}
