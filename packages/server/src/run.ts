import type { RunningServer } from './server.ts';

/**
 * Graceful shutdown on SIGTERM/SIGINT (DESIGN: an acked message survives any crash; a clean
 * stop also lets in-flight sends get their acks). A second signal exits at once.
 */
export function runUntilSignal(server: RunningServer): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    server.log.info({ signal }, 'signal received');
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        server.log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
