package ai.lort.hub;

import ai.lort.LortException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Checks on names that come from the server (file names, etags, commit shas) before they become
 * parts of cache paths: a hostile or broken server must not make us write outside the cache.
 */
final class HubPaths {
    private static final Pattern ETAG = Pattern.compile("[A-Za-z0-9_+=-][A-Za-z0-9._+=-]{0,127}");

    private HubPaths() {}

    /** A repo-relative name with '/' separators: no absolute paths, no '..' or '.' or empty segments. */
    static String checkRelative(String name, String what) {
        boolean bad = name == null || name.isEmpty() || name.startsWith("/") || name.contains("\\")
                || name.chars().anyMatch(c -> c < 0x20) || name.matches("^[A-Za-z]:.*");
        if (!bad) {
            for (String segment : name.split("/", -1))
                if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) bad = true;
        }
        if (bad) throw new LortException("refusing unsafe " + what + " '" + printable(name) + "' from the server: it would point outside the cache folder");
        return name;
    }

    /** An etag names a blob file, so it must be one plain file name. */
    static String checkEtag(String etag, String file) {
        if (etag == null || !ETAG.matcher(etag).matches())
            throw new LortException("refusing unsafe etag '" + printable(etag) + "' sent by the server for " + file);
        return etag;
    }

    /** Resolves a checked relative name under {@code base}, and checks the result again. */
    static Path under(Path base, String relative, String what) {
        Path p = base.resolve(checkRelative(relative, what)).normalize();
        if (!p.startsWith(base.normalize())) throw new LortException("refusing unsafe " + what + " '" + printable(relative) + "'");
        return p;
    }

    private static String printable(String s) {
        if (s == null) return "(none)";
        String t = s.replaceAll("\\p{Cntrl}", "?");
        return t.length() > 120 ? t.substring(0, 120) + "..." : t;
    }
}
