package dev.anvil.data;

/** A data file that cannot be read as what it claims to be; the message names the file and the offset or line. */
public final class DataFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DataFileException(String message) {
        super(message);
    }

    public DataFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
