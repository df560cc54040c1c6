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
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'apps/cli/src/main.ts',
        '--server',
        server.url,
        '--config',
        configDir,
        ...args,
      ],
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

  it('two users register, exchange messages and see the same safety number', async () => {
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
  });

  it('fails with meaningful exit codes', async () => {
    const dir = tmp();
    expect((await cli(dir, ['send', 'nobody', 'hi'])).code).toBe(3); // not logged in
    const wrong = await cli(dir, ['login', 'no_such_user_x'], 'password123\n');
    expect(wrong.code).toBe(3);
    expect(wrong.err).toContain('INVALID_CREDENTIALS');
    const unreachable = await cli(dir, ['--server', 'http://127.0.0.1:9', 'login', 'x'], 'pw\n');
    expect(unreachable.code).toBe(5);
  });
});
