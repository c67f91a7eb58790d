package dev.anvil.cli.serve;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * How one model is served: its name in the repository, the version policy, labels set at start-up, and its
 * batching settings.
 *
 * @param name the folder under the repository
 * @param policy which versions to serve
 * @param labels initial labels (label to version), applied once the version is AVAILABLE
 * @param batching batching settings of every version of this model
 */
public record ModelConfig(String name, VersionPolicy policy, Map<String, Long> labels, BatchSettings batching) {
    /** Model names as the repository accepts them. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");
    /** Label names: letters, digits and underscores. */
    static final Pattern LABEL = Pattern.compile("[A-Za-z0-9_]{1,100}");

    /** Checks the name and the labels. */
    public ModelConfig {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("model name '" + name + "': use letters, digits, '.', '_' and '-', not starting with"
                    + " '.', '_' or '-'");
        }
        labels = Map.copyOf(labels);
        for (var e : labels.entrySet()) {
            if (!LABEL.matcher(e.getKey()).matches()) {
                throw new IllegalArgumentException("model " + name + ": label '" + e.getKey() + "' must be letters, digits and '_'");
            }
            if (e.getValue() < 1) {
                throw new IllegalArgumentException("model " + name + ": label " + e.getKey() + " needs a positive version, got "
                        + e.getValue());
            }
        }
    }
}
