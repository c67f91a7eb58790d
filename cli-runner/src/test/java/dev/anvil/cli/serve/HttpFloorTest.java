package dev.anvil.cli.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The HTTP floor of {@code anvil bench --op serve}, and the load generator measuring it. */
class HttpFloorTest {
    @Test
    void answersAFixedPredictionAndTheLoadGeneratorCountsIt() throws Exception {
        byte[] body = "{\"instances\": [[0.5, 0.25]]}".getBytes(StandardCharsets.UTF_8);
        try (HttpFloor floor = HttpFloor.start(); HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + floor.port() + "/v1/models/m:predict"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.body().startsWith("{\"predictions\": [["), r.body());
            LoadGenerator.Result load = LoadGenerator.run(floor.port(), "/v1/models/m:predict", body, 2, 50, 300);
            assertEquals(0, load.errors());
            assertTrue(load.requests() > 10, "requests " + load.requests());
            assertTrue(load.p50Micros() > 0 && load.p99Micros() >= load.p50Micros(), load.toString());
        }
    }
}
