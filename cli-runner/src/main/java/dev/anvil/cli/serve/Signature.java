package dev.anvil.cli.serve;

import dev.anvil.cli.SavedModel;
import dev.anvil.format.ModelJson;
import java.util.Arrays;
import java.util.List;

/**
 * What a served version takes and gives, from its {@code model.json}: the single input (name, per-instance
 * shape) and output, class labels, and the input normalisation applied to every request.
 *
 * @param inputName the input's name ({@code "input"})
 * @param featureShape one instance's shape, without the batch dimension
 * @param featureSize values per instance
 * @param outputName the output's name ({@code "logits"})
 * @param outputSize values per instance of the output
 * @param meta the whole {@code model.json}
 * @param normalize {mean, std} applied to inputs, or null
 */
record Signature(String inputName, int[] featureShape, int featureSize, String outputName, int outputSize,
        ModelJson meta, double[] normalize) {
    static final String DEFAULT_SIGNATURE = "serving_default";

    static Signature of(SavedModel.Loaded loaded) {
        ModelJson meta = loaded.meta();
        if (meta.inputs().size() != 1 || meta.outputs().size() != 1) {
            throw new IllegalArgumentException("model.json of " + meta.name() + " declares " + meta.inputs().size()
                    + " inputs and " + meta.outputs().size() + " outputs; the server serves models with one of each");
        }
        ModelJson.Io in = meta.inputs().get(0);
        ModelJson.Io out = meta.outputs().get(0);
        int[] feature = dims(in, "input");
        int[] outDims = dims(out, "output");
        return new Signature(in.name(), feature, product(feature), out.name(), product(outDims), meta, loaded.normalize());
    }

    private static int[] dims(ModelJson.Io io, String what) {
        List<Integer> s = io.shape();
        if (s.isEmpty() || s.get(0) != -1) {
            throw new IllegalArgumentException("the " + what + " '" + io.name() + "' has shape " + s
                    + "; the server needs -1 (any batch size) as its first dimension");
        }
        int[] d = new int[s.size() - 1];
        for (int i = 1; i < s.size(); i++) {
            if (s.get(i) < 1) {
                throw new IllegalArgumentException("the " + what + " '" + io.name() + "' has shape " + s
                        + "; only the batch dimension may be -1");
            }
            d[i - 1] = s.get(i);
        }
        return d;
    }

    private static int product(int[] d) {
        int p = 1;
        for (int v : d) {
            p = Math.multiplyExact(p, v);
        }
        return p;
    }

    /** The batch shape {@code [n, featureShape...]}. */
    int[] batchShape(int n) {
        int[] s = new int[featureShape.length + 1];
        s[0] = n;
        System.arraycopy(featureShape, 0, s, 1, featureShape.length);
        return s;
    }

    /** The class labels, one per output value; empty when the model has none. */
    List<String> classLabels() {
        return meta.classLabels();
    }

    String describeInput() {
        return Arrays.toString(featureShape) + (featureShape.length > 1 ? " (or " + featureSize + " flat values)" : "");
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public String toString() {
        return "Signature[" + inputName + " " + Arrays.toString(featureShape) + " -> " + outputName + " " + outputSize + "]";
    }
}
