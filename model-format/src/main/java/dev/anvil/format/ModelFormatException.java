package dev.anvil.format;

import java.nio.file.Path;

/**
 * A model file that is not what its format says: the message names the file, the tensor or field, and the
 * byte offset, so the problem can be found with a hex editor.
 */
public final class ModelFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String item;
    private final long offset;

    /**
     * @param file the file being read
     * @param item the tensor or field concerned, or null when the problem is the file as a whole
     * @param offset absolute byte offset in the file where the problem lies, or -1 when unknown
     * @param problem what is wrong
     */
    public ModelFormatException(Path file, String item, long offset, String problem) {
        this(file, item, offset, problem, null);
    }

    /** As {@link #ModelFormatException(Path, String, long, String)}, keeping the parser's own exception. */
    public ModelFormatException(Path file, String item, long offset, String problem, Throwable cause) {
        super(file + (item == null ? "" : ": tensor '" + item + "'")
                + (offset >= 0 ? " at byte offset " + offset : "") + ": " + problem, cause);
        this.file = file;
        this.item = item;
        this.offset = offset;
    }

    /** The file being read. */
    public Path file() {
        return file;
    }

    /** The tensor or field concerned, or null. */
    public String item() {
        return item;
    }

    /** Absolute byte offset in the file, or -1. */
    public long offset() {
        return offset;
    }
}
