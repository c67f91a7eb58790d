package dev.anvil.backend.cuda;

import dev.anvil.spi.Availability;

/** Prints the cuda probe's answer; run in a child JVM by {@link ProbeWithUnusableDriverTest}. */
public final class ProbeMain {
    private ProbeMain() {
    }

    public static void main(String[] args) {
        Availability a = new CudaProvider().probe();
        System.out.println(a.available() ? "available: " + a.device() : "unavailable: " + a.reason());
    }
}
