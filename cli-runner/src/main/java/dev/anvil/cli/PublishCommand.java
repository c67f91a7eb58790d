package dev.anvil.cli;

import com.google.gson.JsonObject;
import dev.anvil.format.ModelFormatException;
import dev.anvil.format.ModelRepository;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code anvil publish}: copies a model package into a versioned repository ({@code REPO/<name>/<version>/})
 * as the next version, atomically, and prints that version.
 */
@Command(name = "publish", sortOptions = false,
        description = "Publish a model package into a repository as the next version; prints the version.")
final class PublishCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PKG",
            description = "The package: a folder with model.json and weights.safetensors, or a .zip of it.")
    Path model;

    @Option(names = "--repo", required = true, paramLabel = "REPO",
            description = "The repository root; versions go to REPO/NAME/<version>/.")
    Path repo;

    @Option(names = "--name", required = true, paramLabel = "NAME", description = "The model's name in the repository.")
    String name;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        ModelRepository r = new ModelRepository(repo);
        long version;
        try {
            version = r.publish(model, name);
        } catch (ModelFormatException e) {
            throw new IllegalArgumentException("not a valid model package: " + e.getMessage(), e);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no model package at " + model, e);
        }
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("name", name);
            o.addProperty("version", version);
            o.addProperty("path", r.path(name, version).toString());
            out.println(Json.GSON.toJson(o));
        } else {
            out.println(version);
        }
        return 0;
    }
}
