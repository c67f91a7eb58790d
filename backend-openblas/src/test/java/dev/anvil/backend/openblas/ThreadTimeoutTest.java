package dev.anvil.backend.openblas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The default OPENBLAS_THREAD_TIMEOUT a program embedding Anvil gets, and the property that changes it. */
class ThreadTimeoutTest {
    @Test
    void theLibrarysEnvironmentHasTheTimeoutOnceTheBackendIsProbed() {
        new OpenBlasProvider().probe();
        String inherited = System.getenv(ThreadTimeout.VARIABLE);
        // the user's value wins; without one (the test JVM, an embedding program) Anvil's default is set
        assertEquals(inherited != null ? inherited : ThreadTimeout.DEFAULT, ThreadTimeout.current());
    }

    @Test
    void propertyValues() {
        assertEquals("4", ThreadTimeout.value(null));
        assertEquals("4", ThreadTimeout.value(" "));
        assertEquals("12", ThreadTimeout.value("12"));
        assertNull(ThreadTimeout.value("off"));
        for (String bad : new String[] {"3", "31", "fast"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ThreadTimeout.value(bad));
            assertTrue(e.getMessage().contains("anvil.openblas.threadTimeout") && e.getMessage().contains("'" + bad + "'"),
                    e.getMessage());
        }
    }
}
