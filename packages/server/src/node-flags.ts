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
 * - `--heap-growing-percent=100`: after a full collection V8 let the old generation grow only
 *   a little past what survived (~25 MiB), so the few hundred bytes per message that outlive
 *   two scavenges brought a full mark-compact every ~2 s at 5k msg/s, each pausing delivery
 *   for 10-50 ms. Now the old generation may double first. 300 (4×) spaced them further and
 *   lowered p99 more, but the process then kept ~1 KiB more RSS per idle connection after a
 *   forced GC (5.6 vs 4.5 KiB, close to the 2× budget against the relay); 100 costs none.
 * - `--single-threaded-gc`: no background GC threads. The service runs on one core or less
 *   (the benchmark pins it; a Fargate task defaults to 0.5 vCPU), where helper threads only
 *   take turns with the event loop: concurrent marking fell behind and the final pause of a
 *   full collection did the rest of the marking at once (25-35 ms of `mark` in
 *   `--trace-gc-nvp`). On the main thread marking comes in short incremental steps instead.
 *
 * Measured in packages/server/README.md, round 6.
 *
 * All are command-line flags: V8 reads them when the heap is set up, so they cannot be set
 * from inside the process (`v8.setFlagsFromString` was measured to have no effect here).
 */
export const SERVER_NODE_FLAGS = [
  '--max-semi-space-size=64',
  '--no-allocation-site-pretenuring',
  '--heap-growing-percent=100',
  '--single-threaded-gc',
];
