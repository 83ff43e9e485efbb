package ai.lort.report;

import ai.lort.LortException;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The report as one self-contained HTML file: the jte templates of {@code src/main/jte}
 * ({@code report.jte}, and {@code chart.jte} for each inline SVG chart), compiled to Java at build
 * time (package {@code ai.lort.report.html}) and rendered here with their escaping of every value.
 * Nothing is loaded from the network when the file is opened: no scripts, fonts or images.
 */
public final class HtmlReport {
    private static final TemplateEngine ENGINE = TemplateEngine.createPrecompiled(null, ContentType.Html, HtmlReport.class.getClassLoader(),
            "ai.lort.report.html");

    private HtmlReport() {}

    /** The page's HTML. */
    public static String render(ReportData data) {
        StringOutput out = new StringOutput();
        ENGINE.render("report.jte", ReportView.of(data), out);
        return out.toString();
    }

    /** Renders and writes the page to {@code target}, through a temporary file in its folder renamed into place. */
    public static void write(ReportData data, Path target) {
        String html = render(data);
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (Files.isDirectory(abs)) throw new LortException(target + " is a folder; give a file name for the report, e.g. " + target.resolve("report.html"));
        if (dir == null || !Files.isDirectory(dir)) throw new LortException("report folder " + dir + " does not exist; create it first");
        Path temp = dir.resolve("." + abs.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.writeString(temp, html, StandardCharsets.UTF_8);
            Files.move(temp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AccessDeniedException e) {
            throw new LortException("cannot write the report to " + dir + ": permission denied; choose another path");
        } catch (NoSuchFileException e) {
            throw new LortException("report folder " + dir + " does not exist; create it first");
        } catch (IOException e) {
            throw new LortException("cannot write the report " + target + ": " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // nothing more to do: the name starts with '.' and ends in .tmp-<pid>
            }
        }
    }
}
