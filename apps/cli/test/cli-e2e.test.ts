/**
 * The `susurro` CLI end to end, as a user or script drives it: two config directories, two
 * accounts, send and receive, and safety numbers that match on both sides.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REPO_ROOT,
  startServerProcess,
  type ServerProcess,
} from '../../../packages/client/test/server-process.ts';

let server: ServerProcess;
const dirs: string[] = [];
beforeAll(async () => {
  server = await startServerProcess();
});
afterAll(async () => {
  await server.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function cli(
  configDir: string,
  args: string[],
  stdin = '',
  url = server.url,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'apps/cli/src/main.ts', '--server', url, '--config', configDir, ...args],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, SUSURRO_PASSPHRASE: '' },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, out, err }));
    child.stdin.end(stdin);
  });
}

/** Every CLI run is a fresh process (~2 s here): the multi-step tests get room for a slow host. */
const MANY_RUNS_MS = 120_000;

const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'susurro-cli-'));
  dirs.push(d);
  return d;
};

describe('susurro CLI', () => {
  it('prints help and rejects unknown commands with the usage exit code', async () => {
    const help = await cli(tmp(), ['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/safety-number <username>/);
    const bad = await cli(tmp(), ['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown command/);
  });

  it(
    'two users register, exchange messages and see the same safety number',
    async () => {
      const aliceDir = tmp();
      const bobDir = tmp();
      const suffix = String(process.pid % 10_000);
      const alice = `alice_cli_${suffix}`;
      const bob = `bob_cli_${suffix}`;
      expect((await cli(aliceDir, ['register', alice], 'hunter2hunter2\n')).code).toBe(0);
      expect((await cli(bobDir, ['--json', 'register', bob], 'hunter2hunter2\n')).out).toContain(
        `"username":"${bob}"`,
      );

      const sent = await cli(aliceDir, ['send', bob, 'hello', 'from', 'the', 'terminal']);
      expect(sent.code, sent.err).toBe(0);
      const received = await cli(bobDir, ['--json', 'receive']);
      expect(received.code, received.err).toBe(0);
      const messages = JSON.parse(received.out) as Array<{ peer: string; body: string }>;
      expect(messages).toEqual([
        expect.objectContaining({ peer: alice, body: 'hello from the terminal' }),
      ]);

      expect(
        (await cli(bobDir, ['send', bob === alice ? alice : alice, '-'], 'reply via stdin\n')).code,
      ).toBe(0);
      const back = await cli(aliceDir, ['receive']);
      expect(back.out).toMatch(new RegExp(`${bob}: reply via stdin`));

      const a = JSON.parse((await cli(aliceDir, ['--json', 'safety-number', bob])).out) as {
        safetyNumber: string;
      };
      const b = JSON.parse((await cli(bobDir, ['--json', 'safety-number', alice])).out) as {
        safetyNumber: string;
      };
      expect(a.safetyNumber).toMatch(/^\d{60}$/);
      expect(a.safetyNumber).toBe(b.safetyNumber);
      expect((await cli(aliceDir, ['verify', bob])).code).toBe(0);
      expect((await cli(aliceDir, ['contacts'])).out).toContain('verified');
    },
    MANY_RUNS_MS,
  );

  it('fails with meaningful exit codes', async () => {
    const dir = tmp();
    expect((await cli(dir, ['send', 'nobody', 'hi'])).code).toBe(3); // not logged in
    const wrong = await cli(dir, ['login', 'no_such_user_x'], 'password123\n');
    expect(wrong.code).toBe(3);
    expect(wrong.err).toContain('INVALID_CREDENTIALS');
    const unreachable = await cli(dir, ['--server', 'http://127.0.0.1:9', 'login', 'x'], 'pw\n');
    expect(unreachable.code).toBe(5);
  });

  it(
    'keeps a message the server cannot take in the outbox and sends it with the next command',
    async () => {
      // A server of its own, stopped and started again on the same port and data directory.
      const dataDir = tmp();
      let own = await startServerProcess({ dataDir });
      const url = own.url;
      const port = new URL(url).port;
      const aliceDir = tmp();
      const bobDir = tmp();
      const suffix = String(process.pid % 10_000);
      const alice = `alice_out_${suffix}`;
      const bob = `bob_out_${suffix}`;
      try {
        expect((await cli(aliceDir, ['register', alice], 'hunter2hunter2\n', url)).code).toBe(0);
        expect((await cli(bobDir, ['register', bob], 'hunter2hunter2\n', url)).code).toBe(0);
        // Refused for good: reported with its exit code and not kept.
        const nobody = await cli(aliceDir, ['send', `nobody_${suffix}`, 'hi'], '', url);
        expect(nobody.code, nobody.err).toBe(6);

        await own.stop();
        const queued = await cli(aliceDir, ['send', bob, 'written', 'while', 'offline'], '', url);
        expect(queued.code).toBe(5);
        expect(queued.err).toMatch(/NETWORK_ERROR.*waits in the outbox/);
        const listed = await cli(aliceDir, ['outbox'], '', url);
        expect(listed.out).toMatch(new RegExp(`me → ${bob}: written while offline \\[queued\\]`));
        const asJson = JSON.parse(
          (await cli(aliceDir, ['--json', 'outbox'], '', url)).out,
        ) as unknown[];
        expect(asJson).toEqual([expect.objectContaining({ peer: bob, state: 'queued' })]);

        own = await startServerProcess({ dataDir, env: { PORT: port } });
        const later = await cli(aliceDir, ['receive'], '', url);
        expect(later.code, later.err).toBe(0);
        expect(later.err).toContain(`Sent queued message to ${bob}`);
        expect((await cli(aliceDir, ['outbox'], '', url)).out).toContain('The outbox is empty');
        const got = await cli(bobDir, ['--json', 'receive'], '', url);
        expect(JSON.parse(got.out)).toEqual([
          expect.objectContaining({ peer: alice, body: 'written while offline' }),
        ]);

        // `outbox clear` drops what waits, for one contact or all.
        await own.stop();
        expect((await cli(aliceDir, ['send', bob, 'never mind'], '', url)).code).toBe(5);
        const cleared = await cli(aliceDir, ['outbox', 'clear', bob], '', url);
        expect(cleared.out).toContain('Dropped 1 message(s)');
        expect((await cli(aliceDir, ['outbox', 'frobnicate'], '', url)).code).toBe(2);
      } finally {
        await own.stop();
      }
    },
    MANY_RUNS_MS,
  );
});
