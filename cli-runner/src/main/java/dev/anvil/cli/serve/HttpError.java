package dev.anvil.cli.serve;

/**
 * A request that ends with an HTTP error status and {@code {"error": message}}, with TensorFlow Serving's status
 * mapping: 400 bad argument, 401/403 management refused, 404 unknown model, version or label, 413 body too
 * large, 429 queue full, 503 not ready, 500 real faults only.
 */
final class HttpError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    HttpError(int status, String message) {
        super(message, null, false, false); // no stack trace: these are answers, not faults
        this.status = status;
    }

    int status() {
        return status;
    }

    static HttpError badRequest(String message) {
        return new HttpError(400, message);
    }

    static HttpError notFound(String message) {
        return new HttpError(404, message);
    }
}
