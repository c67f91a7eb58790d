package dev.anvil.data;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Reader of the IDX format of MNIST and Fashion-MNIST (gzipped or not): a magic number {@code 0x0000TTNN}
 * (type TT, NN dimensions), NN big-endian 32-bit sizes, then the data. Only unsigned bytes (type 0x08), the
 * type of every MNIST-family file, are read; anything else is a {@link DataFileException} naming the file
 * and the offset.
 */
public final class Idx {
    /** Decoded file: dimensions and the raw unsigned bytes. */
    public record Data(int[] dims, byte[] values) {
        /** Number of items (the first dimension). */
        public int count() {
            return dims[0];
        }

        /** Value {@code i} as an unsigned int. */
        public int unsigned(int i) {
            return values[i] & 0xFF;
        }
    }

    private Idx() {
    }

    /** Reads {@code file}. */
    public static Data read(Path file) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            return read(raw, file.toString());
        } catch (IOException e) {
            throw new DataFileException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads an IDX stream (gzip is detected by its magic bytes); {@code name} is used in messages. */
    public static Data read(InputStream in, String name) throws IOException {
        InputStream s = in.markSupported() ? in : new BufferedInputStream(in);
        s.mark(2);
        int b0 = s.read();
        int b1 = s.read();
        s.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            try {
                s = new GZIPInputStream(s, 1 << 16);
            } catch (IOException e) {
                throw new DataFileException(name + ": corrupt gzip header: " + e.getMessage(), e);
            }
        }
        byte[] header = new byte[4];
        readFully(s, header, name, 0, "the magic number");
        if (header[0] != 0 || header[1] != 0) {
            throw new DataFileException(name + ": bad magic number 0x" + hex(header) + " at offset 0 (an IDX file starts with "
                    + "0x0000, then its type and its number of dimensions)");
        }
        if ((header[2] & 0xFF) != 0x08) {
            throw new DataFileException(name + ": IDX type 0x" + String.format("%02x", header[2] & 0xFF)
                    + " at offset 2 is not supported (only 0x08, unsigned bytes, as in MNIST)");
        }
        int rank = header[3] & 0xFF;
        if (rank < 1 || rank > 4) {
            throw new DataFileException(name + ": " + rank + " dimensions at offset 3 (expected 1 to 4)");
        }
        byte[] dimBytes = new byte[4 * rank];
        readFully(s, dimBytes, name, 4, "the dimension sizes");
        int[] dims = new int[rank];
        long total = 1;
        for (int i = 0; i < rank; i++) {
            dims[i] = ((dimBytes[4 * i] & 0xFF) << 24) | ((dimBytes[4 * i + 1] & 0xFF) << 16)
                    | ((dimBytes[4 * i + 2] & 0xFF) << 8) | (dimBytes[4 * i + 3] & 0xFF);
            if (dims[i] <= 0) {
                throw new DataFileException(name + ": dimension " + i + " is " + dims[i] + " at offset " + (4 + 4 * i));
            }
            total *= dims[i];
        }
        if (total > Integer.MAX_VALUE - 16) {
            throw new DataFileException(name + ": dimensions " + Arrays.toString(dims) + " describe more than 2 GB of data");
        }
        long offset = 4 + 4L * rank;
        // read in chunks so a lying header cannot make us allocate gigabytes for a small file
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(total, 1 << 20));
        byte[] buf = new byte[1 << 16];
        long remaining = total;
        while (remaining > 0) {
            int n = s.read(buf, 0, (int) Math.min(buf.length, remaining));
            if (n < 0) {
                throw new DataFileException(name + ": truncated: the header at offset 0 promises " + total + " bytes of data "
                        + Arrays.toString(dims) + " but the file ends after " + (total - remaining) + " of them (offset "
                        + (offset + total - remaining) + ")");
            }
            out.write(buf, 0, n);
            remaining -= n;
        }
        return new Data(dims, out.toByteArray());
    }

    private static void readFully(InputStream s, byte[] b, String name, long offset, String what) throws IOException {
        int got = 0;
        while (got < b.length) {
            int n = s.read(b, got, b.length - got);
            if (n < 0) {
                throw new DataFileException(name + ": truncated at offset " + (offset + got) + " while reading " + what);
            }
            got += n;
        }
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x", x & 0xFF));
        }
        return sb.toString();
    }

    /**
     * An image classification dataset from an images file {@code [n, h, w]} and a labels file {@code [n]},
     * pixels scaled to [0, 1]; features shaped {@code [1, h, w]}.
     */
    public static ArrayDataset dataset(Data images, Data labels, String name, int classes) {
        if (images.dims().length != 3) {
            throw new DataFileException(name + ": images must have 3 dimensions [n, h, w], got " + Arrays.toString(images.dims()));
        }
        if (labels.dims().length != 1 || labels.count() != images.count()) {
            throw new DataFileException(name + ": " + labels.count() + " labels for " + images.count() + " images");
        }
        float[] x = new float[images.values().length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (images.values()[i] & 0xFF) / 255f;
        }
        int[] y = new int[labels.count()];
        for (int i = 0; i < y.length; i++) {
            y[i] = labels.unsigned(i);
            if (y[i] >= classes) {
                throw new DataFileException(name + ": label " + y[i] + " at offset " + (8 + i) + " is not below " + classes);
            }
        }
        return new ArrayDataset(x, y, new int[] {1, images.dims()[1], images.dims()[2]}, classes);
    }
}
