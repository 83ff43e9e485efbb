package ai.lort.hub;

import ai.lort.LortException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A model on the Hugging Face hub: {@code org/name} and the revision asked for (a branch, a tag or
 * a 40-hex commit sha; {@code main} when none is given).
 */
public record HubId(String repoId, String revision) {
    public static final String DEFAULT_REVISION = "main";
    /** The hub's own rule: letters, digits, '-', '_', '.', not at either end, no "--" or "..". */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    /**
     * Reads {@code org/name} or {@code org/name@revision}; empty when the text is not of that form.
     * A revision both in the text and in {@code revisionOption} must agree.
     */
    public static Optional<HubId> parse(String spec, String revisionOption) {
        String repo = spec;
        String inline = null;
        int at = spec.indexOf('@');
        if (at >= 0) {
            repo = spec.substring(0, at);
            inline = spec.substring(at + 1);
            if (inline.isEmpty()) return Optional.empty();
        }
        String[] parts = repo.split("/", -1);
        if (parts.length != 2 || !validName(parts[0]) || !validName(parts[1])) return Optional.empty();
        if (inline != null && revisionOption != null && !inline.equals(revisionOption))
            throw new LortException(spec + " names revision '" + inline + "' but --revision says '" + revisionOption + "'; give only one");
        String revision = inline != null ? inline : revisionOption != null ? revisionOption : DEFAULT_REVISION;
        HubPaths.checkRelative(revision, "revision");
        return Optional.of(new HubId(repo, revision));
    }

    public static boolean isCommit(String revision) { return COMMIT.matcher(revision).matches(); }

    /** The folder name huggingface_hub uses in its cache: {@code models--org--name}. */
    public String cacheFolderName() { return "models--" + repoId.replace("/", "--"); }

    @Override
    public String toString() { return repoId + "@" + revision; }

    private static boolean validName(String s) {
        return NAME.matcher(s).matches() && !s.contains("--") && !s.contains("..");
    }
}
