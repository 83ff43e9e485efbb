package ai.lort.cli;

import picocli.CommandLine.Command;

@Command(name = "inspect", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Print a .lort file's header, layers and totals.")
public final class InspectCommand implements Runnable {
    @Override
    public void run() { throw new ai.lort.LortException("not implemented yet"); }
}
