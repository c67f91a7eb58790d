package dev.anvil.bench.report;

import java.util.ArrayList;
import java.util.List;

/** The figures of a run, one per JMH result, in the run's order. */
final class Figures {
    private Figures() {
    }

    static List<Figure> of(RunResults run) {
        List<Figure> out = new ArrayList<>();
        for (int i = 0; i < run.results().size(); i++) {
            out.add(Figure.of(run.results().get(i), run.work().get(i)));
        }
        return out;
    }
}
