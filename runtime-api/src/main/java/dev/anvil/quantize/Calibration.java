package dev.anvil.quantize;

import java.util.Locale;

/**
 * How a layer's input range is chosen from the calibration samples: the largest magnitude seen
 * ({@link MinMax}), or a percentile of the magnitudes ({@link Percentile}), which ignores rare outliers and so
 * keeps a finer step for the common values.
 *
 * <pre>{@code
 * Calibration c = Calibration.parse("percentile:99.99");
 * }</pre>
 */
public sealed interface Calibration {
    /** The range is max(|min|, |max|) over every calibration input. */
    record MinMax() implements Calibration {
        @Override
        public String toString() {
            return "minmax";
        }
    }

    /** The range is the {@code percentile}-th percentile (0 < p <= 100) of the inputs' magnitudes. */
    record Percentile(double percentile) implements Calibration {
        public Percentile {
            if (!(percentile > 0 && percentile <= 100)) {
                throw new IllegalArgumentException("calibration percentile must be in (0, 100], got " + percentile);
            }
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "percentile:%s", percentile);
        }
    }

    /** {@code minmax}, {@code percentile} (99.99) or {@code percentile:P}. */
    static Calibration parse(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("minmax")) {
            return new MinMax();
        }
        if (s.equals("percentile")) {
            return new Percentile(99.99);
        }
        if (s.startsWith("percentile:")) {
            try {
                return new Percentile(Double.parseDouble(s.substring("percentile:".length())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("calibration '" + spec + "': the percentile must be a number, e.g. percentile:99.9");
            }
        }
        throw new IllegalArgumentException("calibration '" + spec + "': expected minmax, percentile or percentile:P");
    }
}
