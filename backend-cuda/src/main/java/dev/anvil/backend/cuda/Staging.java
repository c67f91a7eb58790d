package dev.anvil.backend.cuda;

import static org.bytedeco.cuda.global.cudart.cudaEventCreateWithFlags;
import static org.bytedeco.cuda.global.cudart.cudaEventDisableTiming;
import static org.bytedeco.cuda.global.cudart.cudaEventRecord;
import static org.bytedeco.cuda.global.cudart.cudaEventSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaHostAlloc;
import static org.bytedeco.cuda.global.cudart.cudaHostAllocDefault;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;

import java.lang.foreign.MemorySegment;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.Pointer;

/**
 * Host-device transfers through two pinned (page-locked) staging buffers, so that copies run at full PCIe
 * or NVLink speed whatever the host segment is (native or a Java array), and a large transfer overlaps the
 * host-side copy of one chunk with the DMA of the other.
 *
 * <p>Uploads return once the data sits in a staging buffer: the caller may free its segment, and the device
 * copy completes in stream order before any later kernel. Downloads wait for their data: that is the only
 * place results leave the device, so it is the only synchronisation the backend needs.
 */
final class Staging {
    static final long CHUNK = 8L << 20;

    private final CUstream_st stream;
    private final long[] pinned = new long[2];
    private final MemorySegment[] buffers = new MemorySegment[2];
    private final CUevent_st[] done = new CUevent_st[2];
    private final boolean[] pending = new boolean[2];

    Staging(CUstream_st stream) {
        this.stream = stream;
    }

    @SuppressWarnings("restricted") // reinterpret: the pinned block is CHUNK bytes, freed never (process lifetime)
    private void ensure() {
        if (buffers[0] != null) {
            return;
        }
        for (int b = 0; b < 2; b++) {
            Pointer p = new Pointer();
            Cuda.check(cudaHostAlloc(p, CHUNK, cudaHostAllocDefault), "cudaHostAlloc(" + CHUNK + ") for the staging buffer");
            pinned[b] = p.address();
            buffers[b] = MemorySegment.ofAddress(pinned[b]).reinterpret(CHUNK);
            done[b] = new CUevent_st();
            Cuda.check(cudaEventCreateWithFlags(done[b], cudaEventDisableTiming), "cudaEventCreateWithFlags");
        }
    }

    private void await(int b) {
        if (pending[b]) {
            pending[b] = false;
            Cuda.check(cudaEventSynchronize(done[b]), "waiting for a host transfer (an earlier kernel may have failed)");
        }
    }

    /** Copies {@code bytes} bytes of {@code src} (from {@code srcOffset}) to device address {@code dst}. */
    synchronized void toDevice(MemorySegment src, long srcOffset, long dst, long bytes) {
        ensure();
        int chunk = 0;
        for (long off = 0; off < bytes; off += CHUNK, chunk++) {
            long n = Math.min(CHUNK, bytes - off);
            int b = chunk & 1;
            await(b);
            MemorySegment.copy(src, srcOffset + off, buffers[b], 0, n);
            Cuda.check(cudaMemcpyAsync(Cuda.at(dst + off), Cuda.at(pinned[b]), n, cudaMemcpyHostToDevice, stream),
                    "cudaMemcpyAsync host to device");
            Cuda.check(cudaEventRecord(done[b], stream), "cudaEventRecord");
            pending[b] = true;
        }
    }

    /** Copies {@code bytes} bytes from device address {@code src} into {@code dst} (from {@code dstOffset}); waits. */
    synchronized void toHost(long src, MemorySegment dst, long dstOffset, long bytes) {
        ensure();
        long chunks = (bytes + CHUNK - 1) / CHUNK;
        if (chunks == 0) {
            return;
        }
        issueDownload(src, bytes, 0);
        for (long c = 0; c < chunks; c++) {
            if (c + 1 < chunks) {
                issueDownload(src, bytes, c + 1);
            }
            int b = (int) (c & 1);
            await(b);
            long off = c * CHUNK;
            MemorySegment.copy(buffers[b], 0, dst, dstOffset + off, Math.min(CHUNK, bytes - off));
        }
    }

    private void issueDownload(long src, long bytes, long c) {
        int b = (int) (c & 1);
        await(b); // the buffer may still feed an upload
        long off = c * CHUNK;
        long n = Math.min(CHUNK, bytes - off);
        Cuda.check(cudaMemcpyAsync(Cuda.at(pinned[b]), Cuda.at(src + off), n, cudaMemcpyDeviceToHost, stream),
                "cudaMemcpyAsync device to host");
        Cuda.check(cudaEventRecord(done[b], stream), "cudaEventRecord");
        pending[b] = true;
    }
}
