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
 *
 * Both are command-line flags: V8 reads them when the heap is set up, so they cannot be set
 * from inside the process (`v8.setFlagsFromString` was measured to have no effect here).
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=64', '--no-allocation-site-pretenuring'];
