import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nobleCryptoProvider, systemRandom, webCryptoProvider } from '@susurro/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  isClientError,
  MemoryBackend,
  observeIdentity,
  VaultStore,
  type KeyValueBackend,
} from '../src/index.ts';
import { SqliteBackend } from '../src/node/index.ts';
import { decodeContent, encodeContent } from '../src/content.ts';
import { ClientStore, packStates, records } from '../src/store/client-store.ts';

const env = { crypto: webCryptoProvider, random: systemRandom, kdfLogN: 10 };
const text = (s: string) => new TextEncoder().encode(s);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (isClientError(e) ? e.code : String(e)),
  );
}

const backends: Array<[string, () => KeyValueBackend]> = [
  ['memory', () => new MemoryBackend()],
  [
    'sqlite',
    () => {
      const d = mkdtempSync(join(tmpdir(), 'susurro-store-'));
      dirs.push(d);
      return new SqliteBackend(join(d, 'store.db'));
    },
  ],
];

describe.each(backends)('encrypted store on %s', (_name, makeBackend) => {
  it('round-trips values and lists by prefix in key order', async () => {
    const vault = await VaultStore.open(makeBackend(), 'pass', env);
    await vault.write([
      ['msg:b', text('2')],
      ['msg:a', text('1')],
      ['other', text('x')],
    ]);
    expect(new TextDecoder().decode(await vault.get('msg:a'))).toBe('1');
    expect((await vault.list('msg:')).map(([k]) => k)).toEqual(['msg:a', 'msg:b']);
    await vault.write([['msg:a', undefined]]);
    expect(await vault.get('msg:a')).toBeUndefined();
  });

  it('stores only ciphertext, reopens with the passphrase, refuses a wrong one', async () => {
    const backend = makeBackend();
    const vault = await VaultStore.open(backend, 'right', env);
    await vault.write([['identity', text('very secret private key')]]);
    const raw = await backend.get('identity');
    expect(new TextDecoder().decode(raw)).not.toContain('very secret');
    expect(await codeOf(VaultStore.open(backend, 'wrong', env))).toBe('WRONG_PASSPHRASE');
    const again = await VaultStore.open(backend, 'right', { ...env, crypto: nobleCryptoProvider });
    expect(new TextDecoder().decode(await again.get('identity'))).toBe('very secret private key');
  });

  it('reports corruption clearly and never swallows it', async () => {
    const backend = makeBackend();
    const vault = await VaultStore.open(backend, 'p', env);
    await vault.write([
      ['a', text('alpha')],
      ['b', text('beta')],
    ]);
    const sealed = (await backend.get('a'))!;
    sealed[sealed.length - 1]! ^= 1;
    await backend.write([['a', sealed]]);
    expect(await codeOf(vault.get('a'))).toBe('STORE_CORRUPT');
    // A value moved to another record name does not decrypt there (name is bound as AAD).
    await backend.write([['a', (await backend.get('b'))!]]);
    expect(await codeOf(vault.get('a'))).toBe('STORE_CORRUPT');
    expect(new TextDecoder().decode(await vault.get('b'))).toBe('beta');
    await backend.write([['!vault', text('{not json')]]);
    expect(await codeOf(VaultStore.open(backend, 'p', env))).toBe('STORE_CORRUPT');
  });
});

describe('trust on first use', () => {
  const k1 = new Uint8Array(32).fill(1);
  const k2 = new Uint8Array(32).fill(2);
  it('trusts the first key, flags a different one, keeps accepted ones', () => {
    const first = observeIdentity(undefined, 'bob', k1, 1);
    expect(first.changed).toBe(false);
    expect(observeIdentity(first.contact, 'bob', k1, 2)).toEqual({
      contact: first.contact,
      changed: false,
    });
    const changed = observeIdentity({ ...first.contact, verified: true }, 'bob', k2, 3);
    expect(changed.changed).toBe(true);
    expect(changed.contact.pendingKey).toBeDefined();
    expect(changed.contact.verified).toBe(false);
  });
});

describe('message content', () => {
  it('round-trips and rejects unknown or malformed content', () => {
    const c = { v: 1, t: 'text', id: 'abc', body: 'hi', sentAt: 5 } as const;
    expect(decodeContent(encodeContent(c))).toEqual(c);
    for (const bad of [
      'not json',
      '{"v":2,"t":"text"}',
      '{"v":1,"t":"text","id":1}',
      '{"v":1,"t":"receipt","ids":[1]}',
    ]) {
      expect(() => decodeContent(text(bad))).toThrow(
        expect.objectContaining({ code: 'UNSUPPORTED_CONTENT' }),
      );
    }
  });
});

describe('previous session states', () => {
  it('packs several session states into one record and reads them back in order', async () => {
    const vault = await VaultStore.open(new MemoryBackend(), 'pass', env);
    const store = new ClientStore(vault);
    const states = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(9)];
    await vault.write([[records.previousSessions('bob', 1), packStates(states)]]);
    expect(await store.getPreviousSessions('bob', 1)).toEqual(states);
    expect(await store.getPreviousSessions('bob', 2)).toEqual([]);
  });

  it('refuses a truncated record instead of misreading it', async () => {
    const vault = await VaultStore.open(new MemoryBackend(), 'pass', env);
    const store = new ClientStore(vault);
    const packed = packStates([new Uint8Array(10)]);
    await vault.write([[records.previousSessions('bob', 1), packed.slice(0, 8)]]);
    await expect(store.getPreviousSessions('bob', 1)).rejects.toSatisfy(isClientError);
  });
});
