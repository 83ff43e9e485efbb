package ai.lort.hub;

import ai.lort.LortException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where and how to reach the hub, read from the environment the way Python's
 * {@code huggingface_hub} reads it, so that both share one cache and one token.
 *
 * @param endpoint  {@code HF_ENDPOINT}, without a trailing '/'
 * @param hubCache  {@code HF_HUB_CACHE}, else {@code $HF_HOME/hub}
 * @param offline   {@code HF_HUB_OFFLINE} is true: cache only, no network at all
 * @param token     {@code HF_TOKEN}, else {@code HUGGING_FACE_HUB_TOKEN}, else the file
 *                  {@code $HF_HOME/token}; null when none
 * @param home      the user's home folder, for {@code ~} expansion
 */
public record HubEnvironment(URI endpoint, Path hubCache, boolean offline, String token, Path home) {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Set<String> TRUE = Set.of("1", "ON", "YES", "TRUE");

    public static HubEnvironment fromSystem() {
        return from(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    public static HubEnvironment from(Map<String, String> env, Path home) {
        String endpointText = nonEmpty(env.get("HF_ENDPOINT"), DEFAULT_ENDPOINT).replaceAll("/+$", "");
        URI endpoint;
        try {
            endpoint = URI.create(endpointText);
        } catch (IllegalArgumentException e) {
            throw new LortException("HF_ENDPOINT '" + endpointText + "' is not a URL; set it like https://huggingface.co");
        }
        if (!"http".equals(endpoint.getScheme()) && !"https".equals(endpoint.getScheme()) || endpoint.getHost() == null)
            throw new LortException("HF_ENDPOINT '" + endpointText + "' must be an http(s) URL like https://huggingface.co");

        Path xdgCache = path(env.get("XDG_CACHE_HOME"), home, home.resolve(".cache"));
        Path hfHome = path(env.get("HF_HOME"), home, xdgCache.resolve("huggingface"));
        Path hubCache = path(nonEmpty(env.get("HF_HUB_CACHE"), env.get("HUGGINGFACE_HUB_CACHE")), home, hfHome.resolve("hub"));
        boolean offline = TRUE.contains(nonEmpty(env.get("HF_HUB_OFFLINE"), "").trim().toUpperCase(Locale.ROOT));

        String token = nonEmpty(env.get("HF_TOKEN"), env.get("HUGGING_FACE_HUB_TOKEN"));
        if (token == null) token = readTokenFile(path(env.get("HF_TOKEN_PATH"), home, hfHome.resolve("token")));
        return new HubEnvironment(endpoint, hubCache, offline, token == null || token.isBlank() ? null : token.strip(), home);
    }

    /** Expands a leading {@code ~} the way a shell would. */
    public Path expandHome(String path) { return expandHome(path, home); }

    static Path expandHome(String path, Path home) {
        if (path.equals("~")) return home;
        if (path.startsWith("~/")) return home.resolve(path.substring(2));
        return Path.of(path);
    }

    /** Never shows the token: records print their fields, and this one ends up in logs. */
    @Override
    public String toString() {
        return "HubEnvironment[endpoint=" + endpoint + ", hubCache=" + hubCache + ", offline=" + offline
                + ", token=" + (token == null ? "none" : "set") + "]";
    }

    private static String readTokenFile(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file).strip() : null;
        } catch (IOException e) {
            return null; // an unreadable token file is the same as none: public models still work
        }
    }

    private static Path path(String value, Path home, Path fallback) {
        return value == null || value.isEmpty() ? fallback : expandHome(value, home);
    }

    private static String nonEmpty(String value, String fallback) {
        return value == null || value.isEmpty() ? fallback : value;
    }
}
