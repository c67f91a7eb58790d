package dev.anvil.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRepositoryTest {
    @TempDir
    Path tmp;

    private Path pkg() throws IOException {
        Path dir = tmp.resolve("pkg");
        if (!Files.exists(dir)) {
            ModelPackage.save(dir, ModelJsonTest.sample(), ModelPackageTest.weights());
        }
        return dir;
    }

    private static List<String> entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void listsOnlyPositiveIntegerFoldersAsVersions() throws IOException {
        Path m = tmp.resolve("repo").resolve("mnist");
        for (String d : List.of("1", "3", "12", "0", "-2", "01", "v4", "abc", ".publish-x", "99999999999999999999")) {
            Files.createDirectories(m.resolve(d));
        }
        Files.writeString(m.resolve("40"), "a file, not a version");
        ModelRepository repo = new ModelRepository(tmp.resolve("repo"));
        assertEquals(List.of(1L, 3L, 12L), repo.versions("mnist"));
        assertEquals(OptionalLong.of(12), repo.latest("mnist"));
        assertEquals(List.of(), repo.versions("other"));
        assertEquals(OptionalLong.empty(), repo.latest("other"));
        assertEquals(m.resolve("12"), repo.path("mnist", 12));
    }

    @Test
    void publishesFoldersAndZipsAsTheNextVersion() throws IOException {
        ModelRepository repo = new ModelRepository(tmp.resolve("repo"));
        Path pkg = pkg();
        assertEquals(1, repo.publish(pkg, "mnist"));
        assertEquals(2, repo.publish(ModelPackageTest.zip(pkg, tmp.resolve("p.zip"), "pkg/"), "mnist"));
        Files.createDirectories(repo.root().resolve("mnist").resolve("7"));
        assertEquals(8, repo.publish(pkg, "mnist"));
        assertEquals(1, repo.publish(pkg, "other"));
        assertEquals(List.of(1L, 2L, 7L, 8L), repo.versions("mnist"));
        assertEquals(List.of("1", "2", "7", "8"), entries(repo.root().resolve("mnist")), "no temporary folder left");
        for (long v : List.of(1L, 2L, 8L)) {
            assertEquals(List.of("model.json", "weights.safetensors"), entries(repo.path("mnist", v)));
            try (ModelPackage p = ModelPackage.load(repo.path("mnist", v))) {
                assertEquals(ModelJsonTest.sample().name(), p.meta().name());
            }
        }
    }

    @Test
    void takesTheNextNumberWhenTheTargetAppearsMeanwhile() throws IOException {
        Path pkg = pkg();
        Path repoDir = tmp.resolve("repo");
        List<Long> raced = new ArrayList<>();
        ModelRepository racer = new ModelRepository(repoDir);
        // just before this publisher renames into version 1, another one publishes version 1
        ModelRepository repo = new ModelRepository(repoDir, v -> {
            if (raced.isEmpty()) {
                try {
                    raced.add(racer.publish(pkg, "mnist"));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        });
        assertEquals(2, repo.publish(pkg, "mnist"));
        assertEquals(List.of(1L), raced);
        assertEquals(List.of(1L, 2L), repo.versions("mnist"));
        // a file squatting on the next number is skipped too
        Files.writeString(repoDir.resolve("mnist").resolve("3"), "not a version");
        assertEquals(4, new ModelRepository(repoDir).publish(pkg, "mnist"));
    }

    @Test
    void concurrentPublishersGetDistinctVersions() throws Exception {
        Path pkg = pkg();
        ModelRepository repo = new ModelRepository(tmp.resolve("repo"));
        int n = 6;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Long>> got = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                got.add(pool.submit(() -> repo.publish(pkg, "mnist")));
            }
            Set<Long> versions = new HashSet<>();
            for (Future<Long> f : got) {
                versions.add(f.get());
            }
            assertEquals(Set.of(1L, 2L, 3L, 4L, 5L, 6L), versions);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), repo.versions("mnist"));
        for (long v = 1; v <= n; v++) {
            assertEquals(List.of("model.json", "weights.safetensors"), entries(repo.path("mnist", v)));
        }
    }

    @Test
    void refusesABadPackageOrNameAndLeavesNothingBehind() throws IOException {
        ModelRepository repo = new ModelRepository(tmp.resolve("repo"));
        Path bad = Files.createDirectories(tmp.resolve("bad"));
        assertThrows(ModelFormatException.class, () -> repo.publish(bad, "mnist"));
        assertEquals(List.of(), entries(repo.root().resolve("mnist")));
        for (String name : List.of("", "..", ".hidden", "a/b", "a\\b")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> repo.publish(pkg(), name));
            assertTrue(e.getMessage().contains("model name"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> repo.path("mnist", 0));
    }
}
