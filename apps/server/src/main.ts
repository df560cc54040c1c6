// `make run`: the monolith on SQLite. All logic lives in @susurro/server; this only wires it.
import { ConfigError, loadConfig, runUntilSignal, startServer, type Config } from '@susurro/server';

let config: Config;
try {
  config = loadConfig(process.env);
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(78); // EX_CONFIG
}
const server = await startServer(config);
runUntilSignal(server);
process.stdout.write(`Susurro server listening on ${server.url} (WebSocket ${server.wsUrl})\n`);
