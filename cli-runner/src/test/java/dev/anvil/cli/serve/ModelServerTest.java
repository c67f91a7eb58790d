package dev.anvil.cli.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.Autograd;
import dev.anvil.MemoryScope;
import dev.anvil.Tensor;
import dev.anvil.cli.SavedModel;
import dev.anvil.cli.ServeFixtures;
import dev.anvil.data.FashionMnist;
import dev.anvil.format.ModelRepository;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model server over real HTTP on loopback: routes, errors, versions, labels, batching, metrics, shutdown. */
class ModelServerTest {
    @TempDir
    static Path shared;
    static Path pkgA;
    static Path pkgB;
    static float[][] images = new float[3][784];
    static float[] expectedA;
    static float[] expectedB;

    @TempDir
    Path dir;
    Path repoDir;
    ModelServer server;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    final PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);

    @BeforeAll
    static void train() {
        pkgA = ServeFixtures.trainedPackage(shared.resolve("a"), 1, 512);
        pkgB = ServeFixtures.trainedPackage(shared.resolve("b"), 2, 512);
        var test = FashionMnist.embedded().test();
        for (int i = 0; i < images.length; i++) {
            test.features(i, images[i], 0);
        }
        expectedA = inProcess(pkgA);
        expectedB = inProcess(pkgB);
    }

    /** The logits of the three images by a forward pass in this process, normalised as the server does. */
    private static float[] inProcess(Path pkg) {
        SavedModel.Loaded m = SavedModel.load(pkg);
        double[] n = m.normalize();
        float[] x = new float[images.length * 784];
        for (int i = 0; i < images.length; i++) {
            for (int k = 0; k < 784; k++) {
                x[i * 784 + k] = (float) ((images[i][k] - n[0]) / n[1]);
            }
        }
        try (var off = Autograd.noGrad(); var s = MemoryScope.open()) {
            return m.model().forward(Tensor.fromArray(x, images.length, 1, 28, 28)).toFloatArray();
        }
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private ModelServer start(String token, List<ModelConfig> models, BatchSettings b, double poll, Runnable beforeForward,
            long maxBody) throws IOException {
        ServeOptions o = new ServeOptions(repoDir, "127.0.0.1", 0, b, poll, maxBody, token, models, 5);
        server = ModelServer.start(o, log, null, beforeForward);
        return server;
    }

    private ModelServer startDefault() throws IOException {
        return start(null, null, new BatchSettings(true, 8, 2000, 2, 64), 0, () -> { }, 1 << 20);
    }

    private Path repoWith(Path... versions) throws IOException {
        repoDir = dir.resolve("repo");
        ModelRepository repo = new ModelRepository(repoDir);
        for (Path p : versions) {
            repo.publish(p, "fashion");
        }
        return repoDir;
    }

    record Resp(int code, String body) {
        JsonObject json() {
            return JsonParser.parseString(body).getAsJsonObject();
        }
    }

    private Resp call(String method, String path, String body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Resp(r.statusCode(), r.body());
    }

    /** Sends the request line exactly as given (no client-side path normalisation) and returns the status code. */
    private int rawStatus(String requestLine) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write((requestLine + "\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
            return Integer.parseInt(status.substring(9, 12));
        }
    }

    private static String flat(float[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ",").append(v[i]);
        }
        return sb.append(']').toString();
    }

    private static String nested(float[] v) {
        StringBuilder sb = new StringBuilder("[[");
        for (int r = 0; r < 28; r++) {
            sb.append(r == 0 ? "[" : ",[");
            for (int c = 0; c < 28; c++) {
                sb.append(c == 0 ? "" : ",").append(v[r * 28 + c]);
            }
            sb.append(']');
        }
        return sb.append("]]").toString();
    }

    private static void assertLogits(float[] expected, int instance, JsonArray row) {
        assertEquals(10, row.size());
        for (int k = 0; k < 10; k++) {
            assertEquals(expected[instance * 10 + k], row.get(k).getAsFloat(), 1e-4, "instance " + instance + " class " + k);
        }
    }

    private String rowBody() {
        return "{\"instances\": [" + flat(images[0]) + ", " + nested(images[1]) + ", {\"input\": " + flat(images[2]) + "}]}";
    }

    @Test
    void predictsInRowAndColumnarFormatsAsTheModelDoesInProcess() throws Exception {
        repoWith(pkgA);
        startDefault();
        Resp row = call("POST", "/v1/models/fashion:predict", rowBody());
        assertEquals(200, row.code(), row.body());
        JsonArray p = row.json().getAsJsonArray("predictions");
        assertEquals(3, p.size());
        for (int i = 0; i < 3; i++) {
            assertLogits(expectedA, i, p.get(i).getAsJsonArray());
        }
        Resp col = call("POST", "/v1/models/fashion/versions/1:predict",
                "{\"signature_name\": \"serving_default\", \"inputs\": {\"input\": [" + nested(images[0]) + "," + nested(images[1]) + "]}}");
        assertEquals(200, col.code(), col.body());
        JsonArray o = col.json().getAsJsonArray("outputs");
        assertEquals(2, o.size());
        assertLogits(expectedA, 1, o.get(1).getAsJsonArray());
        Resp bare = call("POST", "/v1/models/fashion:predict", "{\"inputs\": [" + flat(images[2]) + "]}");
        assertLogits(expectedA, 2, bare.json().getAsJsonArray("outputs").get(0).getAsJsonArray());

        Resp cls = call("POST", "/v1/models/fashion:classify", "{\"examples\": [{\"input\": " + flat(images[0]) + "}]}");
        assertEquals(200, cls.code(), cls.body());
        JsonArray classes = cls.json().getAsJsonArray("results").get(0).getAsJsonArray();
        assertEquals(10, classes.size());
        int best = 0;
        for (int k = 1; k < 10; k++) {
            best = expectedA[k] > expectedA[best] ? k : best;
        }
        assertEquals(FashionMnist.CLASSES[best], classes.get(0).getAsJsonArray().get(0).getAsString());
        double sum = 0;
        for (JsonElement e : classes) {
            sum += e.getAsJsonArray().get(1).getAsDouble();
        }
        assertEquals(1.0, sum, 1e-4);

        Resp v2 = call("POST", "/v2/models/fashion/infer", "{\"id\": \"r1\", \"inputs\": [{\"name\": \"input\", \"shape\": [2, 1, 28, 28],"
                + " \"datatype\": \"FP32\", \"data\": " + flat(concat(images[0], images[1])) + "}]}");
        assertEquals(200, v2.code(), v2.body());
        JsonObject out = v2.json().getAsJsonArray("outputs").get(0).getAsJsonObject();
        assertEquals("r1", v2.json().get("id").getAsString());
        assertEquals("1", v2.json().get("model_version").getAsString());
        assertEquals("[2,10]", out.getAsJsonArray("shape").toString());
        JsonArray data = out.getAsJsonArray("data");
        for (int k = 0; k < 20; k++) {
            assertEquals(expectedA[k], data.get(k).getAsFloat(), 1e-4);
        }
    }

    private static float[] concat(float[] a, float[] b) {
        float[] c = new float[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void answersStatusMetadataAndHealthRoutes() throws Exception {
        repoWith(pkgA, pkgB);
        start(null, List.of(new ModelConfig("fashion", new VersionPolicy.All(), Map.of("stable", 1L), new BatchSettings(true, 8, 500, 1, 64))),
                new BatchSettings(true, 8, 500, 1, 64), 0, () -> { }, 1 << 20);
        Resp all = call("GET", "/v1/models/fashion", null);
        assertEquals(200, all.code(), all.body());
        JsonArray st = all.json().getAsJsonArray("model_version_status");
        assertEquals(2, st.size());
        assertEquals("2", st.get(0).getAsJsonObject().get("version").getAsString());
        assertEquals("AVAILABLE", st.get(0).getAsJsonObject().get("state").getAsString());
        assertEquals("OK", st.get(0).getAsJsonObject().getAsJsonObject("status").get("error_code").getAsString());
        Resp one = call("GET", "/v1/models/fashion/versions/1", null);
        assertEquals("1", one.json().getAsJsonArray("model_version_status").get(0).getAsJsonObject().get("version").getAsString());
        Resp byLabel = call("GET", "/v1/models/fashion/labels/stable", null);
        assertEquals("1", byLabel.json().getAsJsonArray("model_version_status").get(0).getAsJsonObject().get("version").getAsString());
        Resp meta = call("GET", "/v1/models/fashion/versions/2/metadata", null);
        assertEquals(200, meta.code(), meta.body());
        JsonObject sig = meta.json().getAsJsonObject("metadata").getAsJsonObject("signature_def").getAsJsonObject("signature_def")
                .getAsJsonObject("serving_default");
        assertEquals("DT_FLOAT", sig.getAsJsonObject("inputs").getAsJsonObject("input").get("dtype").getAsString());
        assertEquals(4, sig.getAsJsonObject("inputs").getAsJsonObject("input").getAsJsonObject("tensor_shape").getAsJsonArray("dim").size());
        assertEquals("2", meta.json().getAsJsonObject("model_spec").get("version").getAsString());
        Resp v2meta = call("GET", "/v2/models/fashion", null);
        assertEquals("[\"1\",\"2\"]", v2meta.json().getAsJsonArray("versions").toString());
        assertEquals("FP32", v2meta.json().getAsJsonArray("inputs").get(0).getAsJsonObject().get("datatype").getAsString());
        assertEquals(200, call("GET", "/v2/models/fashion/versions/1/ready", null).code());
        assertEquals(200, call("GET", "/healthz", null).code());
        assertEquals(200, call("GET", "/readyz", null).code());
        assertEquals(200, call("GET", "/v2/health/live", null).code());
        assertEquals(200, call("GET", "/v2/health/ready", null).code());
        // by label: version 1's answers; unversioned: the latest (2)
        assertLogits(expectedA, 0, call("POST", "/v1/models/fashion/labels/stable:predict", "{\"instances\": [" + flat(images[0]) + "]}")
                .json().getAsJsonArray("predictions").get(0).getAsJsonArray());
        assertLogits(expectedB, 0, call("POST", "/v1/models/fashion:predict", "{\"instances\": [" + flat(images[0]) + "]}")
                .json().getAsJsonArray("predictions").get(0).getAsJsonArray());
    }

    @Test
    void mapsEveryErrorToTensorFlowServingsStatus() throws Exception {
        repoWith(pkgA);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean block = new AtomicBoolean(false);
        AtomicBoolean fault = new AtomicBoolean(false);
        start(null, null, new BatchSettings(true, 1, 0, 1, 1), 0, () -> {
            if (fault.get()) {
                throw new IllegalStateException("injected fault");
            }
            if (block.get()) {
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, 64 * 1024);
        String one = "{\"instances\": [" + flat(images[0]) + "]}";
        Map<String, Integer> cases = new HashMap<>();
        cases.put("{\"instances\": [", 400);
        cases.put("{\"instances\": [[1,2,3]]}", 400);
        cases.put("{\"instances\": [\"a string\"]}", 400);
        cases.put("{\"instances\": []}", 400);
        cases.put("{\"instances\": [[[1,2],[3]]]}", 400);
        cases.put("{\"instances\": [" + flat(images[0]) + "], \"inputs\": [" + flat(images[0]) + "]}", 400);
        cases.put("{\"signature_name\": \"other\", \"instances\": [" + flat(images[0]) + "]}", 400);
        cases.put("{}", 400);
        cases.put("not json", 400);
        for (var c : cases.entrySet()) {
            Resp r = call("POST", "/v1/models/fashion:predict", c.getKey());
            assertEquals(c.getValue(), r.code(), c.getKey() + " -> " + r.body());
            assertTrue(r.json().get("error").getAsString().length() > 10, r.body());
        }
        assertTrue(call("POST", "/v1/models/fashion:predict", "{\"instances\": [[1,2,3]]}").body().contains("takes [1, 28, 28] (or 784 flat values)"));
        assertEquals(404, call("POST", "/v1/models/nosuch:predict", one).code());
        assertEquals(404, call("POST", "/v1/models/fashion/versions/7:predict", one).code());
        assertEquals(404, call("POST", "/v1/models/fashion/labels/canary:predict", one).code());
        assertEquals(404, call("GET", "/v1/models/fashion/versions/7", null).code());
        assertEquals(404, call("GET", "/nowhere", null).code());
        String v2 = "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 784], \"datatype\": \"%s\", \"data\": " + flat(images[0]) + "}]}";
        assertEquals(200, call("POST", "/v2/models/fashion/infer", v2.formatted("FP32")).code());
        assertEquals(400, call("POST", "/v2/models/fashion/infer", v2.formatted("BYTES")).code());
        assertEquals(400, call("POST", "/v2/models/fashion/infer", v2.formatted("FP32").replace("[1, 784]", "[2, 784]")).code());
        assertEquals(404, call("POST", "/v2/models/fashion/versions/9/infer", v2.formatted("FP32")).code());
        assertEquals(405, call("GET", "/v1/models/fashion:predict", null).code());
        Resp big = call("POST", "/v1/models/fashion:predict", "{\"instances\": [" + flat(images[0]).repeat(20) + "]}");
        assertEquals(413, big.code(), big.body());
        assertTrue(big.body().contains("--max-body-bytes"), big.body());
        // 500 for a real fault inside the forward pass
        fault.set(true);
        assertEquals(500, call("POST", "/v1/models/fashion:predict", one).code());
        fault.set(false);
        // 429: one request computing (blocked), one waiting fills the queue of 1, the next is refused at once
        block.set(true);
        CompletableFuture<Resp> first = CompletableFuture.supplyAsync(() -> quietly("POST", "/v1/models/fashion:predict", one));
        waitFor(() -> server.model("fashion").version(1).batcher().queued() == 0 && first.isDone() == false, 5000);
        Thread.sleep(200);
        CompletableFuture<Resp> second = CompletableFuture.supplyAsync(() -> quietly("POST", "/v1/models/fashion:predict", one));
        waitFor(() -> server.model("fashion").version(1).batcher().queued() == 1, 5000);
        Resp third = call("POST", "/v1/models/fashion:predict", one);
        assertEquals(429, third.code(), third.body());
        block.set(false);
        release.countDown();
        assertEquals(200, first.get(20, TimeUnit.SECONDS).code());
        assertEquals(200, second.get(20, TimeUnit.SECONDS).code());
    }

    @Test
    void gathersConcurrentRequestsIntoOneForwardPassAndSplitsTheAnswers() throws Exception {
        repoWith(pkgA);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean block = new AtomicBoolean(false);
        start(null, null, new BatchSettings(true, 16, 100_000, 1, 64), 0, () -> {
            if (block.compareAndSet(true, false)) {
                entered.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, 1 << 20);
        Histogram sizes = server.model("fashion").version(1).batcher().metricsForTest().batchSize();
        long passesBefore = sizes.count();
        // the first request holds the only compute slot; the next three queue meanwhile
        block.set(true);
        CompletableFuture<Resp> first = CompletableFuture.supplyAsync(() -> quietly("POST", "/v1/models/fashion:predict",
                "{\"instances\": [" + flat(images[0]) + "]}"));
        assertTrue(entered.await(10, TimeUnit.SECONDS));
        List<CompletableFuture<Resp>> queued = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String body = "{\"instances\": [" + flat(images[i]) + "]}";
            queued.add(CompletableFuture.supplyAsync(() -> quietly("POST", "/v1/models/fashion:predict", body)));
        }
        waitFor(() -> server.model("fashion").version(1).batcher().queued() == 3, 10_000);
        release.countDown();
        assertLogits(expectedA, 0, first.get(20, TimeUnit.SECONDS).json().getAsJsonArray("predictions").get(0).getAsJsonArray());
        for (int i = 0; i < 3; i++) {
            // each answer is its own instance's, split back out of the shared pass
            assertLogits(expectedA, i, queued.get(i).get(20, TimeUnit.SECONDS).json().getAsJsonArray("predictions").get(0).getAsJsonArray());
        }
        assertEquals(2, sizes.count() - passesBefore, "one pass for the first request, one for the three queued");
    }

    @Test
    void answers503UntilAModelHasAVersion() throws Exception {
        repoDir = Files.createDirectories(dir.resolve("repo").resolve("fashion"));
        repoDir = repoDir.getParent();
        start(null, null, new BatchSettings(true, 8, 500, 1, 64), 0.05, () -> { }, 1 << 20);
        assertEquals(503, call("GET", "/readyz", null).code());
        assertEquals(503, call("GET", "/v2/health/ready", null).code());
        assertEquals(503, call("POST", "/v1/models/fashion:predict", "{\"instances\": [" + flat(images[0]) + "]}").code());
        new ModelRepository(repoDir).publish(pkgA, "fashion");
        waitFor(() -> server.notReadyReason() == null, 20_000);
        assertEquals(200, call("GET", "/readyz", null).code());
    }

    private Resp quietly(String method, String path, String body) {
        try {
            return call(method, path, body);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("condition not met within " + millis + " ms");
            }
            Thread.sleep(5);
        }
    }

    @Test
    void swapsVersionsUnderLoadWithoutFailingARequest() throws Exception {
        repoWith(pkgA);
        start(null, null, new BatchSettings(true, 8, 500, 2, 256), 0.05, () -> { }, 1 << 20);
        String body = "{\"instances\": [" + flat(images[0]) + "]}";
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger sawA = new AtomicInteger();
        AtomicInteger sawB = new AtomicInteger();
        List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            clients.add(Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    try {
                        Resp r = call("POST", "/v1/models/fashion:predict", body);
                        if (r.code() != 200) {
                            failures.incrementAndGet();
                            errors.add(r.code() + " " + r.body());
                            continue;
                        }
                        float first = r.json().getAsJsonArray("predictions").get(0).getAsJsonArray().get(0).getAsFloat();
                        if (Math.abs(first - expectedA[0]) < 1e-4) {
                            sawA.incrementAndGet();
                        } else if (Math.abs(first - expectedB[0]) < 1e-4) {
                            sawB.incrementAndGet();
                        } else {
                            failures.incrementAndGet();
                            errors.add("neither version's answer: " + first);
                        }
                    } catch (IOException | InterruptedException e) {
                        failures.incrementAndGet();
                        errors.add(e.toString());
                    }
                }
            }));
        }
        ModelRepository repo = new ModelRepository(repoDir);
        waitFor(() -> sawA.get() > 20, 20_000);
        for (int swap = 0; swap < 4; swap++) {
            Path next = swap % 2 == 0 ? pkgB : pkgA;
            long v = repo.publish(next, "fashion");
            AtomicInteger counter = swap % 2 == 0 ? sawB : sawA;
            int before = counter.get();
            waitFor(() -> server.model("fashion").version(v) != null
                    && server.model("fashion").version(v).state() == ServedVersion.State.AVAILABLE, 20_000);
            waitFor(() -> counter.get() > before + 10, 20_000); // the responses switched to the new version
        }
        stop.set(true);
        for (Thread t : clients) {
            t.join();
        }
        assertEquals(0, failures.get(), "failed requests: " + errors.subList(0, Math.min(5, errors.size())));
        assertTrue(sawA.get() > 0 && sawB.get() > 0);
        // only the newest version is left loaded; the replaced ones ended
        assertEquals(1, server.model("fashion").available());
        assertEquals(ServedVersion.State.END, server.model("fashion").version(1).state());
    }

    @Test
    void aBrokenNewVersionLeavesTheOldOneServing() throws Exception {
        repoWith(pkgA);
        start(null, null, new BatchSettings(true, 8, 500, 1, 64), 0.05, () -> { }, 1 << 20);
        Path broken = repoDir.resolve("fashion").resolve("2");
        Path tmp = dir.resolve("broken");
        Files.createDirectories(tmp);
        Files.copy(pkgA.resolve("model.json"), tmp.resolve("model.json"));
        byte[] w = Files.readAllBytes(pkgA.resolve("weights.safetensors"));
        w[w.length - 1] ^= 1; // checksum mismatch
        Files.write(tmp.resolve("weights.safetensors"), w);
        Files.move(tmp, broken);
        waitFor(() -> server.model("fashion").version(2) != null && server.model("fashion").version(2).state() == ServedVersion.State.END,
                20_000);
        Resp status = call("GET", "/v1/models/fashion", null);
        JsonObject v2 = status.json().getAsJsonArray("model_version_status").get(0).getAsJsonObject();
        assertEquals("2", v2.get("version").getAsString());
        assertEquals("END", v2.get("state").getAsString());
        assertEquals("UNKNOWN", v2.getAsJsonObject("status").get("error_code").getAsString());
        assertTrue(v2.getAsJsonObject("status").get("error_message").getAsString().contains("weights.safetensors"), status.body());
        Thread.sleep(200); // several more polls: the failure is not retried and version 1 stays
        Resp r = call("POST", "/v1/models/fashion:predict", "{\"instances\": [" + flat(images[0]) + "]}");
        assertEquals(200, r.code(), r.body());
        assertLogits(expectedA, 0, r.json().getAsJsonArray("predictions").get(0).getAsJsonArray());
        assertEquals(ServedVersion.State.AVAILABLE, server.model("fashion").version(1).state());
        assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("version 2 failed to load"), logBytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void movesLabelsToRollBackWithTheManagementToken() throws Exception {
        repoWith(pkgA, pkgB);
        start("s3cret", List.of(new ModelConfig("fashion", new VersionPolicy.Latest(1), Map.of("stable", 1L),
                new BatchSettings(true, 8, 500, 1, 64))), new BatchSettings(true, 8, 500, 1, 64), 0, () -> { }, 1 << 20);
        String one = "{\"instances\": [" + flat(images[0]) + "]}";
        // the labelled version 1 stays loaded beside the latest (2), so it can take traffic again
        assertEquals(2, server.model("fashion").available());
        assertEquals(401, call("PUT", "/v1/models/fashion/labels/stable", "{\"version\": 2}").code());
        assertEquals(401, call("PUT", "/v1/models/fashion/labels/stable", "{\"version\": 2}", "Authorization", "Bearer wrong").code());
        Resp moved = call("PUT", "/v1/models/fashion/labels/stable", "{\"version\": 2}", "Authorization", "Bearer s3cret");
        assertEquals(200, moved.code(), moved.body());
        assertLogits(expectedB, 0, call("POST", "/v1/models/fashion/labels/stable:predict", one).json().getAsJsonArray("predictions").get(0)
                .getAsJsonArray());
        // rollback
        assertEquals(200, call("PUT", "/v1/models/fashion/labels/stable", "{\"version\": \"1\"}", "Authorization", "Bearer s3cret").code());
        assertLogits(expectedA, 0, call("POST", "/v1/models/fashion/labels/stable:predict", one).json().getAsJsonArray("predictions").get(0)
                .getAsJsonArray());
        Resp notAvailable = call("PUT", "/v1/models/fashion/labels/canary", "{\"version\": 9}", "Authorization", "Bearer s3cret");
        assertEquals(400, notAvailable.code(), notAvailable.body());
        assertEquals(400, call("PUT", "/v1/models/fashion/labels/bad-label", "{\"version\": 1}", "Authorization", "Bearer s3cret").code());
        assertEquals(401, call("POST", "/v1/models/fashion:reload", "").code());
        Resp reload = call("POST", "/v1/models/fashion:reload", "", "Authorization", "Bearer s3cret");
        assertEquals(200, reload.code(), reload.body());
        assertTrue(reload.body().contains("model_version_status"));
    }

    @Test
    void labelMovesOutliveARestart() throws Exception {
        repoWith(pkgA, pkgB);
        List<ModelConfig> cfg = List.of(new ModelConfig("fashion", new VersionPolicy.Latest(1), Map.of("stable", 1L),
                new BatchSettings(false, 8, 500, 1, 64)));
        BatchSettings b = new BatchSettings(false, 8, 500, 1, 64);
        start("s3cret", cfg, b, 0, () -> { }, 1 << 20);
        assertEquals(200, call("PUT", "/v1/models/fashion/labels/stable", "{\"version\": 2}", "Authorization", "Bearer s3cret").code());
        assertEquals(200, call("PUT", "/v1/models/fashion/labels/canary", "{\"version\": 2}", "Authorization", "Bearer s3cret").code());
        Path file = repoDir.resolve("fashion").resolve("labels.json");
        assertEquals("{\"canary\": 2, \"stable\": 2}\n", Files.readString(file));
        server.close();
        // the config still says stable -> 1; the move by hand wins, and the labelled version is loaded for it
        start("s3cret", cfg, b, 0, () -> { }, 1 << 20);
        String one = "{\"instances\": [" + flat(images[0]) + "]}";
        Resp byLabel = call("GET", "/v1/models/fashion/labels/stable", null);
        assertEquals("2", byLabel.json().getAsJsonArray("model_version_status").get(0).getAsJsonObject().get("version").getAsString(),
                byLabel.body());
        assertLogits(expectedB, 0, call("POST", "/v1/models/fashion/labels/canary:predict", one).json().getAsJsonArray("predictions")
                .get(0).getAsJsonArray());
        server.close();
        // a damaged file is reported and ignored: the model is served with the config's labels
        Files.writeString(file, "{\"stable\": 2, \"stable\": 1}");
        start("s3cret", cfg, b, 0, () -> { }, 1 << 20);
        String logText = logBytes.toString(StandardCharsets.UTF_8);
        assertTrue(logText.contains("ignoring the labels moved by hand before") && logText.contains("given twice")
                && logText.contains("labels.json"), logText);
        Resp fromConfig = call("GET", "/v1/models/fashion/labels/stable", null);
        assertEquals("1", fromConfig.json().getAsJsonArray("model_version_status").get(0).getAsJsonObject().get("version").getAsString(),
                fromConfig.body());
    }

    @Test
    void refusesManagementWithoutAConfiguredToken() throws Exception {
        repoWith(pkgA);
        startDefault();
        assertEquals(403, call("PUT", "/v1/models/fashion/labels/stable", "{\"version\": 1}", "Authorization", "Bearer x").code());
        Resp r = call("POST", "/v1/models/fashion:reload", "", "Authorization", "Bearer x");
        assertEquals(403, r.code());
        assertTrue(r.body().contains("--token-file"), r.body());
    }

    @Test
    void namesFromUrlsNeverEscapeTheRepository() throws Exception {
        repoWith(pkgA);
        Files.createDirectories(dir.resolve("outside").resolve("1"));
        Files.copy(pkgA.resolve("model.json"), dir.resolve("outside").resolve("1").resolve("model.json"));
        startDefault();
        assertEquals(400, rawStatus("GET /v1/models/..%2Foutside HTTP/1.1"));
        assertEquals(400, rawStatus("GET /v1/models/%2e%2e/versions/1 HTTP/1.1"));
        assertEquals(400, rawStatus("GET /v1/models/fashion/versions/..%2F1 HTTP/1.1"));
        assertEquals(400, rawStatus("GET /v1/models/fashion/labels/..%2Fx HTTP/1.1"));
        assertEquals(400, rawStatus("GET /v2/models/..%2F..%2Fetc HTTP/1.1"));
        int plain = rawStatus("GET /v1/models/../outside HTTP/1.1");
        assertTrue(plain == 400 || plain == 404, "status " + plain);
        assertEquals(404, rawStatus("GET /v1/models/outside HTTP/1.1")); // only loaded models are looked up, never folders
    }

    @Test
    void exposesPrometheusMetrics() throws Exception {
        repoWith(pkgA);
        startDefault();
        String one = "{\"instances\": [" + flat(images[0]) + "]}";
        for (int i = 0; i < 5; i++) {
            assertEquals(200, call("POST", "/v1/models/fashion:predict", one).code());
        }
        call("POST", "/v1/models/fashion:predict", "{}");
        Resp m = call("GET", "/metrics", null);
        assertEquals(200, m.code());
        Map<String, Double> samples = new HashMap<>();
        for (String line : m.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int sp = line.lastIndexOf(' ');
            samples.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
        }
        assertEquals(5.0, samples.get("anvil_serve_requests_total{model=\"fashion\",version=\"1\",code=\"200\"}"));
        assertEquals(1.0, samples.get("anvil_serve_requests_total{model=\"fashion\",version=\"1\",code=\"400\"}"));
        assertEquals(6.0, samples.get("anvil_serve_request_duration_seconds_count{model=\"fashion\"}"));
        assertEquals(6.0, samples.get("anvil_serve_request_duration_seconds_bucket{model=\"fashion\",le=\"+Inf\"}"));
        assertTrue(samples.get("anvil_serve_batch_size_count{model=\"fashion\"}") >= 5); // plus the warm-up passes
        assertTrue(samples.get("anvil_serve_queue_duration_seconds_count{model=\"fashion\"}") >= 5);
        assertEquals(1.0, samples.get("anvil_serve_loaded_versions{model=\"fashion\"}"));
        assertTrue(samples.keySet().stream().anyMatch(k -> k.startsWith("anvil_native_live_bytes{backend=")));
        double previous = 0;
        for (String le : new String[] {"5.0E-5", "0.001", "0.1", "1", "+Inf"}) {
            double v = samples.get("anvil_serve_request_duration_seconds_bucket{model=\"fashion\",le=\"" + le + "\"}");
            assertTrue(v >= previous, "buckets are cumulative");
            previous = v;
        }
    }

    @Test
    void shutdownAnswersRequestsInFlightThenStopsAccepting() throws Exception {
        repoWith(pkgA);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean block = new AtomicBoolean(false);
        start(null, null, new BatchSettings(true, 8, 500, 1, 64), 0, () -> {
            if (block.get()) {
                entered.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, 1 << 20);
        int port = server.port();
        block.set(true);
        CompletableFuture<Resp> inFlight = CompletableFuture.supplyAsync(() -> quietly("POST", "/v1/models/fashion:predict",
                "{\"instances\": [" + flat(images[0]) + "]}"));
        assertTrue(entered.await(10, TimeUnit.SECONDS));
        CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
        waitFor(() -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return false;
            } catch (IOException e) {
                return true; // the listener is closed
            }
        }, 10_000);
        assertTrue(!closing.isDone(), "close waits for the request in flight");
        release.countDown();
        Resp r = inFlight.get(20, TimeUnit.SECONDS);
        assertEquals(200, r.code(), r.body());
        closing.get(20, TimeUnit.SECONDS);
        assertEquals(ServedVersion.State.END, server.model("fashion").version(1).state());
        server = null;
    }

    @Test
    void readsTheConfigFile() throws Exception {
        repoWith(pkgA, pkgB);
        Path cfg = Files.writeString(dir.resolve("serve.json"), "{\"models\": [{\"name\": \"fashion\", \"version_policy\": {\"specific\": [1]},"
                + " \"labels\": {\"stable\": 1}, \"batching\": {\"max_batch_size\": 4, \"enabled\": false}}]}");
        ServeOptions base = new ServeOptions(repoDir, "127.0.0.1", 0, new BatchSettings(true, 32, 1000, 1, 64), 0, 1 << 20, null, null, 5);
        ServeOptions o = base.withConfig(cfg);
        assertEquals(new VersionPolicy.Specific(List.of(1L)), o.models().get(0).policy());
        assertEquals(new BatchSettings(false, 4, 1000, 1, 64), o.models().get(0).batching());
        server = ModelServer.start(o, log, null);
        assertEquals(1, server.model("fashion").available());
        assertEquals(ServedVersion.State.AVAILABLE, server.model("fashion").version(1).state());
        assertLogits(expectedA, 0, call("POST", "/v1/models/fashion:predict", "{\"instances\": [" + flat(images[0]) + "]}").json()
                .getAsJsonArray("predictions").get(0).getAsJsonArray());
        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"models\": [{\"name\": \"fashion\", \"version_polcy\": \"all\"}]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> base.withConfig(bad));
        assertTrue(e.getMessage().contains("models[0]") && e.getMessage().contains("version_polcy"), e.getMessage());
    }

    @Test
    void readsInstancesLikeTheJdkParsesNumbers() {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
        StringBuilder sb = new StringBuilder("[");
        float[] expected = new float[2000];
        for (int i = 0; i < expected.length; i++) {
            String s = switch (i % 5) {
                case 0 -> Float.toString((float) rng.nextDouble(-1, 1));
                case 1 -> Double.toString(rng.nextDouble(-1e6, 1e6));
                case 2 -> Integer.toString(rng.nextInt(-1000, 1000));
                case 3 -> String.format(java.util.Locale.ROOT, "%.3e", rng.nextDouble(-1e-30, 1e30));
                default -> "0.000" + rng.nextInt(1, 99999);
            };
            expected[i] = Float.parseFloat(s);
            sb.append(i == 0 ? "" : ", ").append(s);
        }
        byte[] b = sb.append(']').toString().getBytes(StandardCharsets.UTF_8);
        JsonScanner s = new JsonScanner(b, b.length);
        s.expect('[');
        float[] got = new float[expected.length];
        for (int i = 0; i < got.length; i++) {
            got[i] = (float) s.readNumber();
            s.consume(',');
        }
        s.expect(']');
        assertArrayEquals(expected, got);
    }
}
