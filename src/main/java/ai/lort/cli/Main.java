package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.Version;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** Entry point of the {@code lort} command and its subcommands. */
@Command(name = "lort", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "LoRT: low-rank + ternary compression of transformer language models, and inference.",
        subcommands = {
                CompressCommand.class,
                InspectCommand.class,
                InferCommand.class,
                ServeCommand.class,
                EvalCommand.class,
                TokenizeCommand.class,
                ReportCommand.class,
                ExportCommand.class,
                CommandLine.HelpCommand.class,
        })
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is needed (compress, inspect, ...)");
    }

    public static void main(String[] args) {
        int code;
        try {
            code = run(args);
        } catch (OutOfMemoryError e) {
            System.err.println("lort: error: out of memory; give the JVM more heap, e.g. LORT_HEAP=8g");
            code = 1;
        }
        System.exit(code);
    }

    /** Runs the command line and returns the exit code (tests call this directly). */
    public static int run(String... args) {
        CommandLine cl = commandLine();
        return cl.execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler(Main::usageError);
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            PrintWriter err = cmd.getErr();
            if (ex instanceof LortException || ex instanceof java.io.UncheckedIOException) {
                err.println(cmd.getCommandName() + ": error: " + oneLine(ex.getMessage()));
                err.flush();
                return 1;
            }
            err.println(cmd.getCommandName() + ": internal error: " + ex);
            if (System.getenv("LORT_DEBUG") != null) ex.printStackTrace(err);
            else err.println("(set LORT_DEBUG=1 for the stack trace, and please report it)");
            err.flush();
            return 70;
        });
        return cl;
    }

    /**
     * A command line that does not parse, as one line on stderr (instead of the message followed
     * by the whole usage help): a value the option mixins refuse reads like an error of the
     * running command (exit code 1); other usage errors name the --help to read, with picocli's
     * suggestion for a mistyped option, and exit with code 2.
     */
    private static int usageError(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        if (ex instanceof BadOptionValue) {
            err.println(cmd.getCommandName() + ": error: " + oneLine(ex.getMessage()));
            err.flush();
            return 1;
        }
        String message = oneLine(ex.getMessage()).replaceFirst("^Error: ", ""); // picocli's argument-group messages start so
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty())
            message += " (did you mean " + String.join(" or ", u.getSuggestions()) + "?)";
        err.println(cmd.getCommandName() + ": error: " + message + "; see " + cmd.getCommandSpec().qualifiedName() + " --help");
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').strip();
    }
}
