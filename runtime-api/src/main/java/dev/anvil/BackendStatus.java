package dev.anvil;

import dev.anvil.spi.DeviceInfo;

/**
 * One discovered backend, as {@code anvil info} lists it.
 *
 * @param name the provider's name
 * @param priority higher wins automatic selection
 * @param available whether it can run here
 * @param reason why not, when unavailable (a sentence a person can act on); null otherwise
 * @param device what it runs on, when available
 */
public record BackendStatus(String name, int priority, boolean available, String reason, DeviceInfo device) {
}
