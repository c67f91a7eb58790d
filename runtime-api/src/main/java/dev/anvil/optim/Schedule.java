package dev.anvil.optim;

import java.util.Arrays;

/**
 * A learning rate as a function of the schedule step {@code t} (0, 1, 2, ...) and the base rate. Schedules
 * are pure, so they compose: {@code Schedule.warmup(500, Schedule.cosine(10_000, 0))}. An
 * {@link LrScheduler} applies one to an optimizer; {@link ReduceLrOnPlateau} is the stateful exception.
 */
@FunctionalInterface
public interface Schedule {

    /** The rate at step {@code t}. */
    double lr(long t, double base);

    /** The base rate throughout. */
    static Schedule constant() {
        return (t, base) -> base;
    }

    /** Multiplies by {@code gamma} every {@code every} steps. */
    static Schedule step(long every, double gamma) {
        if (every <= 0) {
            throw new IllegalArgumentException("step schedule: period must be positive, got " + every);
        }
        return (t, base) -> base * Math.pow(gamma, t / every);
    }

    /** Multiplies by {@code gamma} at each milestone. */
    static Schedule multiStep(long[] milestones, double gamma) {
        long[] m = milestones.clone();
        Arrays.sort(m);
        return (t, base) -> {
            int passed = 0;
            for (long x : m) {
                if (t >= x) {
                    passed++;
                }
            }
            return base * Math.pow(gamma, passed);
        };
    }

    /** Multiplies by {@code gamma} every step. */
    static Schedule exponential(double gamma) {
        return (t, base) -> base * Math.pow(gamma, t);
    }

    /** Cosine annealing from the base rate to {@code min} over {@code period} steps, then {@code min}. */
    static Schedule cosine(long period, double min) {
        if (period <= 0) {
            throw new IllegalArgumentException("cosine schedule: period must be positive, got " + period);
        }
        return (t, base) -> min + (base - min) * (1 + Math.cos(Math.PI * Math.min(t, period) / period)) / 2;
    }

    /** Linear warm-up from base/steps to base over {@code steps} steps, then {@code then} (its own t starting at 0). */
    static Schedule warmup(long steps, Schedule then) {
        if (steps <= 0) {
            throw new IllegalArgumentException("warm-up: steps must be positive, got " + steps);
        }
        return (t, base) -> t < steps ? base * (t + 1) / steps : then.lr(t - steps, base);
    }

    /**
     * Parses the CLI form: {@code step:EVERY:GAMMA}, {@code multistep:E1,E2:GAMMA}, {@code exp:GAMMA},
     * {@code cosine} (over {@code totalSteps}), {@code constant}, {@code warmup:STEPS+<schedule>}.
     * ({@code plateau:PATIENCE:FACTOR} is a {@link ReduceLrOnPlateau}, parsed by the trainer.)
     */
    static Schedule parse(String spec, long totalSteps) {
        String s = spec.trim();
        try {
            if (s.startsWith("warmup:")) {
                int plus = s.indexOf('+');
                long steps = Long.parseLong(plus < 0 ? s.substring(7) : s.substring(7, plus));
                Schedule then = plus < 0 ? constant() : parse(s.substring(plus + 1), Math.max(1, totalSteps - steps));
                return warmup(steps, then);
            }
            String[] p = s.split(":");
            return switch (p[0]) {
                case "constant" -> constant();
                case "step" -> step(Long.parseLong(p[1]), Double.parseDouble(p[2]));
                case "multistep" -> multiStep(Arrays.stream(p[1].split(",")).mapToLong(Long::parseLong).toArray(),
                        Double.parseDouble(p[2]));
                case "exp" -> exponential(Double.parseDouble(p[1]));
                case "cosine" -> cosine(Math.max(1, totalSteps), p.length > 1 ? Double.parseDouble(p[1]) : 0);
                default -> throw new IllegalArgumentException("unknown schedule '" + p[0] + "'");
            };
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("bad schedule '" + spec + "': expected step:EVERY:GAMMA, multistep:E1,E2:GAMMA, "
                    + "exp:GAMMA, cosine, constant or warmup:STEPS+<schedule>", e);
        }
    }
}
