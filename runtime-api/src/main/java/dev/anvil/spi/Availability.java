package dev.anvil.spi;

/**
 * The answer of {@link BackendProvider#probe()}: available with a device description, or unavailable
 * with a reason a person can act on ("start the JVM with --add-modules jdk.incubator.vector").
 */
public record Availability(boolean available, String reason, DeviceInfo device) {

    public static Availability available(DeviceInfo device) {
        return new Availability(true, null, device);
    }

    public static Availability unavailable(String reason) {
        return new Availability(false, reason, null);
    }
}
