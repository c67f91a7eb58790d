package dev.anvil.cli.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** Which versions on disk a model serves, as TensorFlow Serving's {@code model_version_policy}. */
public sealed interface VersionPolicy {
    /** The versions to serve among {@code candidates} (ascending, loadable ones only). */
    List<Long> select(List<Long> candidates);

    /** The {@code n} highest versions (the default, with n = 1). */
    record Latest(int n) implements VersionPolicy {
        /** Checks n. */
        public Latest {
            if (n < 1) {
                throw new IllegalArgumentException("version_policy latest needs at least 1 version, got " + n);
            }
        }

        @Override
        public List<Long> select(List<Long> candidates) {
            return new ArrayList<>(candidates.subList(Math.max(0, candidates.size() - n), candidates.size()));
        }
    }

    /** Every version. */
    record All() implements VersionPolicy {
        @Override
        public List<Long> select(List<Long> candidates) {
            return new ArrayList<>(candidates);
        }
    }

    /** Exactly these versions (those present). */
    record Specific(List<Long> versions) implements VersionPolicy {
        /** Copies the list. */
        public Specific {
            versions = List.copyOf(new TreeSet<>(versions));
            if (versions.isEmpty()) {
                throw new IllegalArgumentException("version_policy specific needs at least one version");
            }
        }

        @Override
        public List<Long> select(List<Long> candidates) {
            return candidates.stream().filter(versions::contains).toList();
        }
    }
}
