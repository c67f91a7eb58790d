package dev.anvil.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anvil quickstart}: trains the MLP on the embedded Fashion-MNIST subset and says what to try next. */
@Command(name = "quickstart", description = "Train a small model on the embedded Fashion-MNIST subset (well under a minute).")
final class QuickstartCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "models/quickstart",
            description = "Where to save the model. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--epochs", defaultValue = "5", description = "Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        TrainCommand train = new TrainCommand();
        CommandLine cl = new CommandLine(train);
        cl.setOut(o);
        cl.setErr(spec.commandLine().getErr());
        cl.parseArgs("--data", "embedded", "--model", "mlp", "--epochs", Integer.toString(epochs), "--out", out.toString());
        int code = train.call();
        o.println();
        o.println("Next, try:");
        String[][] next = {
            {"./anvil eval --model " + out + " --data embedded", "per-class accuracy and the confusion matrix"},
            {"./anvil train --model cnn --epochs 5 --out models/cnn", "a convolutional network"},
            {"./anvil train --data fashion-mnist --epochs 10", "the full dataset (apt-get install dataset-fashion-mnist)"},
            {"./anvil bench", "kernel speed on this machine"},
        };
        int width = 0;
        for (String[] n : next) {
            width = Math.max(width, n[0].length());
        }
        for (String[] n : next) {
            o.println("  " + n[0] + " ".repeat(width - n[0].length() + 3) + "# " + n[1]);
        }
        o.flush();
        return code;
    }
}
