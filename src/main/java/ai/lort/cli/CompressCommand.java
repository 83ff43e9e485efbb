package ai.lort.cli;

import picocli.CommandLine.Command;

@Command(name = "compress", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Compress a safetensors model into a .lort file.")
public final class CompressCommand implements Runnable {
    @Override
    public void run() { throw new ai.lort.LortException("not implemented yet"); }
}
