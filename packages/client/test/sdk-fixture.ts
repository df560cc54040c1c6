/**
 * A real server process plus a factory of SDK clients against it, for end-to-end suites. One
 * fixture per test file: the server's per-IP registration limit counts every client a file
 * registers, so files that register many users each get their own server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Messenger } from '../src/index.ts';
import { openNodeMessenger } from '../src/node/index.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';

export const PASSWORD = 'correct horse battery staple';

export interface SdkFixture {
  readonly server: ServerProcess;
  /** A client with its own config directory (a new device), or reopened from `configDir`. */
  readonly client: (configDir?: string) => Promise<{ m: Messenger; dir: string }>;
  /** Two freshly registered clients, Alice and Bob, with unique names `a` and `b`. */
  readonly registeredPair: () => Promise<{
    alice: { m: Messenger; dir: string };
    bob: { m: Messenger; dir: string };
    a: string;
    b: string;
  }>;
  readonly uniqueName: (base: string) => string;
  /** Every messenger opened so far (closed by `close`). */
  readonly clients: readonly Messenger[];
  readonly close: () => Promise<void>;
}

export async function startSdkFixture(): Promise<SdkFixture> {
  const server = await startServerProcess();
  const dirs: string[] = [];
  const open: Messenger[] = [];
  let n = 0;
  const uniqueName = (base: string) => `${base}_${process.pid % 1000}_${n++}`;
  const client = async (configDir?: string) => {
    const dir = configDir ?? mkdtempSync(join(tmpdir(), 'susurro-client-'));
    if (!configDir) dirs.push(dir);
    const m = await openNodeMessenger({
      configDir: dir,
      serverUrl: server.url,
      passphrase: 'test',
      kdfLogN: 10,
    });
    open.push(m);
    return { m, dir };
  };
  return {
    server,
    client,
    uniqueName,
    clients: open,
    registeredPair: async () => {
      const alice = await client();
      const bob = await client();
      const a = uniqueName('alice');
      const b = uniqueName('bob');
      await alice.m.register(a, PASSWORD);
      await bob.m.register(b, PASSWORD);
      return { alice, bob, a, b };
    },
    close: async () => {
      for (const m of open) await m.close().catch(() => undefined);
      await server.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
