package ai.lort;

import picocli.CommandLine;

/** Version string for {@code --version}, from the jar manifest when packaged. */
public final class Version implements CommandLine.IVersionProvider {
    public static String current() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-dev";
    }

    @Override
    public String[] getVersion() {
        return new String[] {"LoRT " + current() + " (Java " + Runtime.version() + ")"};
    }
}
