// `make run`: the monolith on SQLite (and `make backend`, the same service behind a gateway).
// All logic lives in @susurro/server; this only wires it.
import { ConfigError, loadConfig, runUntilSignal, startServer, type Config } from '@susurro/server';

let config: Config;
try {
  config = loadConfig(process.env);
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(78); // EX_CONFIG
}
let server: Awaited<ReturnType<typeof startServer>>;
try {
  server = await startServer(config);
} catch (e) {
  // Storage, Redis or the port unavailable: one clear line, not a stack trace.
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`Susurro server could not start: ${message}\n`);
  process.exit(1);
}
runUntilSignal(server);
process.stdout.write(`Susurro server listening on ${server.url} (WebSocket ${server.wsUrl})\n`);
