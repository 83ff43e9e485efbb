package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.load.LocalModel;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;

/** Turns the user's --model string into files on disk (local paths; hub ids arrive with the hub client). */
final class ModelSource {
    private ModelSource() {}

    record Located(LocalModel local, ObjectNode provenance) {}

    static Located locate(String spec, String revision, boolean quiet) {
        Path p = expandHome(spec);
        if (Files.exists(p)) {
            ObjectNode prov = JsonNodeFactory.instance.objectNode();
            prov.put("type", "local");
            prov.put("path", p.toAbsolutePath().normalize().toString());
            return new Located(LocalModel.resolve(p), prov);
        }
        if (spec.matches("[\\w.-]+/[\\w.-]+(@.+)?"))
            throw new LortException("'" + spec + "' is not a local path, and loading from the Hugging Face Hub is not available in this build; download the model and pass its folder");
        throw new LortException(spec + ": no such file or folder (and not a Hugging Face id of the form org/name)");
    }

    static Path expandHome(String s) {
        if (s.equals("~") || s.startsWith("~/")) return Path.of(System.getProperty("user.home") + s.substring(1));
        return Path.of(s);
    }
}
