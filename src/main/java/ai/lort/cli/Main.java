package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.Version;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
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
                HealCommand.class,
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

    /**
     * Runs the command line and returns the exit code (tests call this directly). Output that
     * could not be written (stdout on a full disk or a closed pipe) fails the run: exit 1.
     */
    public static int run(String... args) {
        CommandLine cl = commandLine();
        int code = cl.execute(args);
        if (System.out.checkError() && code == 0) {
            System.err.println("lort: error: could not write the output to standard output (disk full or closed pipe?)");
            return 1;
        }
        return code;
    }

    /** The exit codes every command documents in its --help (docs/ERRORS.md). */
    static final Map<String, String> EXIT_CODES = exitCodes();

    private static Map<String, String> exitCodes() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("0", "Success.");
        m.put("1", "Refused or failed: an input is invalid or damaged, a value is out of range, a file cannot be read or written (one line on stderr says what and what to do).");
        m.put("2", "The command line does not parse (unknown option, missing value, not a number).");
        m.put("70", "Internal error: a bug in LoRT (please report it; LORT_DEBUG=1 shows the stack trace).");
        m.put("130, 143", "Stopped by SIGINT or SIGTERM; no output or temporary file is left behind.");
        return m;
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        // A prompt or text is text: "@name" is not replaced by the contents of file name.
        cl.setExpandAtFiles(false);
        setExitCodes(cl);
        cl.getSubcommands().values().forEach(Main::setExitCodes);
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

    private static void setExitCodes(CommandLine c) {
        c.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(EXIT_CODES);
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').strip();
    }
}
