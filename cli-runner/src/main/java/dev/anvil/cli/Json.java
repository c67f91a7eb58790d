package dev.anvil.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

/** The one Gson configuration of the CLI's JSON output: pretty, nulls kept (they are part of the schema). */
final class Json {
    static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create();

    private Json() {
    }
}
