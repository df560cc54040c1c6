/**
 * V8 flags the chat service runs with (`make run`, `make backend`, the container image and
 * the load benchmark; infra/test checks that they all pass the same ones). Measured with
 * `make bench` on the 2-core machine, server pinned to one core (packages/server/README.md):
 *
 * - `--max-semi-space-size=64` (MiB): every message allocates a few KiB of short-lived
 *   objects (frames, promises, buffers). With Node's default young generation a scavenge ran
 *   every ~100 ms under load and copied whatever was in flight at that moment, ~20 % of the
 *   server's CPU; with 64 MiB semi-spaces scavenges are ~4× rarer and the in-flight set is
 *   about the same, so GC costs much less. It costs up to 128 MiB more RSS under load.
 * - `--no-allocation-site-pretenuring`: after a burst (the saturation phase), V8 saw the
 *   message path's objects survive and started allocating them straight into the old
 *   generation. At a steady 10k msg/s that filled the old space at ~150 MB/s and forced a
 *   full mark-compact about once a second, each stalling delivery for tens of ms. Without
 *   pretenuring they stay in the young generation, where they die.
 * - `--heap-growing-percent=300`: after a full collection V8 let the old generation grow only
 *   a little past what survived (~25 MiB), so the few hundred bytes per message that outlive
 *   two scavenges (connection and queue state, promises waiting for the fsync) brought a full
 *   mark-compact every ~2 s at 5k msg/s, each pausing delivery for 10-50 ms: that was the p99.
 *   Letting the old generation reach 4× its live size before the next one makes them minutes
 *   apart. It costs old-generation headroom (RSS), not CPU; a heap that is mostly live (19k
 *   idle sockets) collects as before.
 * - `--single-threaded-gc`: no background GC threads. The service runs on one core or less
 *   (the benchmark pins it; a Fargate task defaults to 0.5 vCPU), where helper threads only
 *   take turns with the event loop: concurrent marking fell behind and the final pause of a
 *   full collection did the rest of the marking at once (25-35 ms of `mark` in
 *   `--trace-gc-nvp`). Marking on the main thread comes in short incremental steps instead.
 *
 * Measured together (packages/server/README.md, round 6): p99 at 5k msg/s from 15-58 ms to
 * 6-12 ms, at 10k from 28-92 ms to 21-52 ms; saturated throughput up from ~19k to 20-25k.
 *
 * All are command-line flags: V8 reads them when the heap is set up, so they cannot be set
 * from inside the process (`v8.setFlagsFromString` was measured to have no effect here).
 */
export const SERVER_NODE_FLAGS = [
  '--max-semi-space-size=64',
  '--no-allocation-site-pretenuring',
  '--heap-growing-percent=300',
  '--single-threaded-gc',
];
