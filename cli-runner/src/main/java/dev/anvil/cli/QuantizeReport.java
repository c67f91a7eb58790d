package dev.anvil.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The before/after comparison that {@code anvil quantize} prints, as a table or as JSON. */
record QuantizeReport(Path beforePackage, Path afterPackage, String calibration, int calibrationSamples,
                      String calibrationData, String testData, List<Layer> layers, Side before, Side after) {

    /** One layer: its module before and after, the dtype of its weights, the input step it was calibrated to. */
    record Layer(int index, String before, String after, String beforeDtype, String afterDtype, Double inputScale) {
    }

    /** One model's figures. */
    record Side(double accuracy, int examples, long weightsBytes, long parameters, double samplesPerSecondBatch1,
                double samplesPerSecondBatch256) {
        JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("accuracy", accuracy);
            o.addProperty("examples", examples);
            o.addProperty("weights_bytes", weightsBytes);
            o.addProperty("parameters", parameters);
            o.addProperty("samples_per_second_batch1", samplesPerSecondBatch1);
            o.addProperty("samples_per_second_batch256", samplesPerSecondBatch256);
            return o;
        }
    }

    JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("model", beforePackage.toString());
        o.addProperty("out", afterPackage.toString());
        o.addProperty("calibration", calibration);
        o.addProperty("calibration_samples", calibrationSamples);
        o.addProperty("calibration_data", calibrationData);
        o.addProperty("test_data", testData);
        JsonArray ls = new JsonArray();
        for (Layer l : layers) {
            JsonObject e = new JsonObject();
            e.addProperty("index", l.index());
            e.addProperty("before", l.before());
            e.addProperty("after", l.after());
            e.addProperty("before_dtype", l.beforeDtype());
            e.addProperty("after_dtype", l.afterDtype());
            e.addProperty("input_scale", l.inputScale());
            ls.add(e);
        }
        o.add("layers", ls);
        o.add("before", before.toJson());
        o.add("after", after.toJson());
        JsonObject ratio = new JsonObject();
        ratio.addProperty("accuracy_change_points", 100 * (after.accuracy() - before.accuracy()));
        ratio.addProperty("size_ratio", before.weightsBytes() / (double) after.weightsBytes());
        ratio.addProperty("speedup_batch1", after.samplesPerSecondBatch1() / before.samplesPerSecondBatch1());
        ratio.addProperty("speedup_batch256", after.samplesPerSecondBatch256() / before.samplesPerSecondBatch256());
        o.add("change", ratio);
        return o;
    }

    void print(PrintWriter out) {
        out.printf(Locale.ROOT, "Quantized %s to int8 -> %s (calibration %s on %d samples of %s)%n%n", beforePackage,
                afterPackage, calibration, calibrationSamples, calibrationData);
        Table t = new Table(">#", "LAYER", "BEFORE", "AFTER", ">INPUT SCALE");
        for (Layer l : layers) {
            boolean changed = !l.before().equals(l.after());
            t.add(Integer.toString(l.index()), changed ? l.before() + " -> " + l.after() : l.before(),
                    l.beforeDtype(), l.afterDtype(),
                    l.inputScale() == null ? "" : String.format(Locale.ROOT, "%.5g", l.inputScale()));
        }
        t.print(out, "  ");
        out.println();
        Table s = new Table("", ">F32", ">INT8", ">CHANGE");
        s.add("test accuracy (" + testData + ")", pct(before.accuracy()), pct(after.accuracy()),
                String.format(Locale.ROOT, "%+.2f points", 100 * (after.accuracy() - before.accuracy())));
        s.add("weights file", size(before.weightsBytes()), size(after.weightsBytes()),
                String.format(Locale.ROOT, "%.2fx smaller", before.weightsBytes() / (double) after.weightsBytes()));
        s.add("parameters", String.format(Locale.ROOT, "%,d", before.parameters()),
                String.format(Locale.ROOT, "%,d", after.parameters()), "");
        s.add("samples/s, batch 1", rate(before.samplesPerSecondBatch1()), rate(after.samplesPerSecondBatch1()),
                String.format(Locale.ROOT, "%.2fx", after.samplesPerSecondBatch1() / before.samplesPerSecondBatch1()));
        s.add("samples/s, batch 256", rate(before.samplesPerSecondBatch256()), rate(after.samplesPerSecondBatch256()),
                String.format(Locale.ROOT, "%.2fx", after.samplesPerSecondBatch256() / before.samplesPerSecondBatch256()));
        s.print(out, "  ");
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    /** Bytes in KiB below 10 MiB (so a 4x change stays visible), else MiB. */
    private static String size(long bytes) {
        return bytes < 10L << 20 ? String.format(Locale.ROOT, "%,.1f KiB", bytes / 1024.0)
                : String.format(Locale.ROOT, "%,.1f MiB", bytes / (1024.0 * 1024));
    }

    private static String rate(double v) {
        return String.format(Locale.ROOT, "%,.0f", v);
    }
}
