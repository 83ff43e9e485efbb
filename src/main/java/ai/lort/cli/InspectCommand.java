package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.Version;
import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFile;
import ai.lort.load.Tensor;
import ai.lort.util.ProgressBar;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Print a .lort file's header, its compressed layers (shape, rank, bits per weight, error) and totals.",
                "The file is read, never written."})
public final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "<FILE>", description = "The .lort file")
    Path file;

    @Option(names = "--verify", description = "Also check the CRC-32C of every section and every ternary code; exit 1 when one fails")
    boolean verify;

    @Option(names = "--json", description = "Print the file's whole JSON index instead (with --verify, plus a top-level \"verify\" member); stdout holds exactly one JSON document")
    boolean json;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (LortFile f = LortFile.open(file)) {
            List<LortFile.Problem> problems = verify ? f.verify() : List.of();
            if (json) {
                JsonNode doc = f.index();
                if (verify) {
                    ObjectNode copy = ((ObjectNode) doc).deepCopy();
                    ObjectNode v = copy.putObject("verify");
                    v.put("sections", f.sections().size());
                    v.put("ok", problems.isEmpty());
                    ArrayNode list = v.putArray("problems");
                    for (LortFile.Problem p : problems) list.addObject().put("section", p.section().what()).put("offset", p.section().offset()).put("problem", p.what());
                    doc = copy;
                }
                out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(doc));
            } else {
                print(out, f);
                if (verify && problems.isEmpty())
                    out.printf("verify: all %d sections match their CRC-32C; every ternary code is valid%n", f.sections().size());
                for (LortFile.Problem p : problems) out.println("verify: " + p);
            }
            out.flush();
            if (!problems.isEmpty())
                throw new LortException(file + ": " + problems.size() + " of " + f.sections().size() + " sections are damaged (first: " + problems.getFirst()
                        + "); compress the model again or copy the file anew");
        }
        return 0;
    }

    private static void print(PrintWriter out, LortFile f) {
        JsonNode meta = f.metadata();
        out.printf("file      %s (%s), format %s%n", f.path(), ProgressBar.formatBytes(f.fileSize()), f.version());
        out.printf("created   %s by %s, method %s%n", meta.path("created").asText("?"), meta.path("created_by").asText("?"), meta.path("method").asText("?"));
        JsonNode src = meta.path("source");
        out.printf("source    %s%n", src.has("id") ? src.path("id").asText() + " @ " + src.path("commit").asText(src.path("revision").asText(""))
                : src.path("path").asText("?"));
        out.printf("options   %s%n", meta.path("options"));
        out.printf("embedded  %s%n", String.join(", ", f.fileNames()));
        out.println();
        out.printf("%-48s %13s %5s %7s %8s%n", "layer", "shape", "rank", "bpw", "error");
        long params = 0;
        double bits = 0, errSum = 0, errMax = 0;
        for (CompressedLayer l : f.layers().values()) {
            long n = (long) l.rows() * l.cols();
            double stored = 8.0 * (l.scales().byteSize() + l.a().byteSize() + l.b().byteSize() + l.codes().byteSize());
            double err = f.layerInfo(l.name()).path("relative_error").asDouble(Double.NaN);
            out.printf(Locale.ROOT, "%-48s %6d x %-6d %5d %7.3f %8.4f%n", l.name(), l.rows(), l.cols(), l.rank(), stored / n, err);
            params += n;
            bits += stored;
            if (!Double.isNaN(err)) { errSum += err; errMax = Math.max(errMax, err); }
        }
        long kept = 0, keptBytes = 0;
        for (Tensor t : f.tensors().values()) { kept += t.elementCount(); keptBytes += t.byteSize(); }
        for (var q : f.quantized().values()) {
            kept += q.elementCount();
            keptBytes += q.byteSize();
            out.printf(Locale.ROOT, "%-48s %6d x %-6d %5s %7.3f %8s%n", q.name(), q.rows(), q.cols(), q.encoding().id(), 8.0 * q.byteSize() / q.elementCount(), "");
        }
        out.println();
        int n = f.layers().size();
        out.printf(Locale.ROOT, "compressed %d layers, %,d parameters, %.3f bits per weight, error mean %.4f max %.4f%n",
                n, params, params == 0 ? 0 : bits / params, n == 0 ? 0 : errSum / n, errMax);
        out.printf(Locale.ROOT, "kept       %d tensors, %,d parameters, %s%n", f.tensors().size() + f.quantized().size(), kept, ProgressBar.formatBytes(keptBytes));
        long all = params + kept;
        if (all > 0) out.printf(Locale.ROOT, "file       %.3f bits per weight over all %,d parameters%n", 8.0 * f.fileSize() / all, all);
    }
}
