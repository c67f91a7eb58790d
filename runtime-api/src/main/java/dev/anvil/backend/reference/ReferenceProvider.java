package dev.anvil.backend.reference;

import dev.anvil.spi.Availability;
import dev.anvil.spi.Backend;
import dev.anvil.spi.BackendProvider;

/** The portable scalar backend: always available, lowest priority, the correctness oracle of the tests. */
public final class ReferenceProvider implements BackendProvider {

    @Override
    public String name() {
        return ReferenceBackend.NAME;
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Availability probe() {
        return Availability.available(ReferenceBackend.describe());
    }

    @Override
    public Backend create() {
        return new ReferenceBackend();
    }
}
