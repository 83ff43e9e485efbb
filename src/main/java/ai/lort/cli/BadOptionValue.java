package ai.lort.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * A value the option mixins reject while the command line is parsed (such as {@code --threads 0}).
 * {@link Main} reports it as one line and exit code 1, like the errors commands throw once running.
 */
final class BadOptionValue extends ParameterException {
    /** @param mixee the command the option belongs to (a mixin's {@code @Spec(MIXEE)}) */
    BadOptionValue(CommandSpec mixee, String message) {
        super(mixee.commandLine(), message);
    }
}
