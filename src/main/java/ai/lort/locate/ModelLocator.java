package ai.lort.locate;

import ai.lort.LortException;
import ai.lort.hub.HubClient;
import ai.lort.hub.HubEnvironment;
import ai.lort.hub.HubId;
import ai.lort.load.LocalModel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns what the user typed after {@code --model} into files on disk: an existing path ({@code ~}
 * expanded) is used as is; otherwise {@code org/name[@revision]} is fetched from the Hugging Face
 * hub into its shared cache.
 */
public final class ModelLocator {
    private ModelLocator() {}

    public static LocatedModel locate(String modelSpec, String revisionOrNull, boolean quiet) {
        return locate(modelSpec, revisionOrNull, quiet, HubEnvironment.fromSystem());
    }

    public static LocatedModel locate(String modelSpec, String revisionOrNull, boolean quiet, HubEnvironment env) {
        Path local = existingPath(modelSpec, env);
        if (local != null) {
            if (revisionOrNull != null)
                throw new LortException("--revision applies to hub models, but " + modelSpec + " is a local path");
            Map<String, Object> provenance = new LinkedHashMap<>();
            provenance.put("type", "local");
            provenance.put("path", local.toString());
            return new LocatedModel(LocalModel.resolve(local), provenance);
        }
        String pathReason = pathReason(modelSpec);
        if (pathReason != null)
            throw new LortException(modelSpec + ": no such file or folder (taken for a local path because it " + pathReason + "; a hub id looks like org/name)");
        HubId id = HubId.parse(modelSpec, revisionOrNull).orElseThrow(() -> new LortException(
                "'" + modelSpec + "' is neither an existing file or folder nor a Hugging Face model id like Qwen/Qwen2.5-0.5B (org/name, optionally @revision)"));
        HubClient.Snapshot snapshot = new HubClient(env, quiet).fetch(id);
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("type", "hub");
        provenance.put("id", id.repoId());
        provenance.put("revision", id.revision());
        provenance.put("commit", snapshot.commit());
        provenance.put("files", snapshot.etags());
        return new LocatedModel(snapshot.model(), provenance);
    }

    /**
     * Why a spec that names nothing on disk is still meant as a path, never fetched from the hub
     * (absolute, relative-dotted, home-relative, more than one '/', or a model file's extension);
     * null when it may be a hub id.
     */
    static String pathReason(String spec) {
        if (spec.startsWith("/")) return "starts with /";
        if (spec.startsWith(".")) return "starts with .";
        if (spec.startsWith("~")) return "starts with ~";
        if (spec.chars().filter(c -> c == '/').count() > 1) return "has more than one /";
        if (spec.endsWith(".lort")) return "ends in .lort";
        if (spec.endsWith(".safetensors")) return "ends in .safetensors";
        if (spec.endsWith(".json")) return "ends in .json";
        return null;
    }

    private static Path existingPath(String spec, HubEnvironment env) {
        if (spec == null || spec.isBlank()) throw new LortException("no model given: pass a folder, a .safetensors file or a hub id like Qwen/Qwen2.5-0.5B");
        try {
            Path p = env.expandHome(spec);
            return Files.exists(p) ? p.toAbsolutePath().normalize() : null;
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
