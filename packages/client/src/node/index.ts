/**
 * Node entry point of the SDK: a messenger whose store is an encrypted SQLite file in a
 * config directory. Passphrase: the one given (e.g. from SUSURRO_PASSPHRASE), or else a random
 * one kept in `<configDir>/store.key` (mode 0600) — which protects a copied database file but
 * not a copied directory; the README explains the trade-off.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemRandom } from '@susurro/protocol';
import { nodeCryptoProvider } from '@susurro/protocol/node';
import WebSocket from 'ws';
import { ClientError } from '../errors.ts';
import type { WebSocketConstructor } from '../realtime/connection.ts';
import { Messenger } from '../messenger.ts';
import { ClientStore } from '../store/client-store.ts';
import { VaultStore } from '../store/vault.ts';
import { SqliteBackend } from './sqlite-backend.ts';

export { SqliteBackend } from './sqlite-backend.ts';

export const STORE_FILE = 'susurro.db';
export const KEY_FILE = 'store.key';

export interface NodeMessengerOptions {
  configDir: string;
  serverUrl: string;
  passphrase?: string;
  /** Tests only: cheaper scrypt for new stores. */
  kdfLogN?: number;
}

function defaultPassphrase(configDir: string, storeExists: boolean): string {
  const keyFile = join(configDir, KEY_FILE);
  if (existsSync(keyFile)) return readFileSync(keyFile, 'utf8').trim();
  if (storeExists) {
    throw new ClientError(
      'WRONG_PASSPHRASE',
      `the store in ${configDir} is protected by a passphrase; set SUSURRO_PASSPHRASE`,
    );
  }
  const generated = randomBytes(32).toString('hex');
  writeFileSync(keyFile, generated + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(keyFile, 0o600);
  return generated;
}

export async function openNodeMessenger(options: NodeMessengerOptions): Promise<Messenger> {
  mkdirSync(options.configDir, { recursive: true, mode: 0o700 });
  const file = join(options.configDir, STORE_FILE);
  const passphrase = options.passphrase ?? defaultPassphrase(options.configDir, existsSync(file));
  const env = { crypto: nodeCryptoProvider, random: systemRandom };
  const backend = new SqliteBackend(file);
  let vault: VaultStore;
  try {
    vault = await VaultStore.open(backend, passphrase, {
      ...env,
      ...(options.kdfLogN ? { kdfLogN: options.kdfLogN } : {}),
    });
  } catch (e) {
    await backend.close();
    throw e;
  }
  return Messenger.open({
    store: new ClientStore(vault),
    env,
    serverUrl: options.serverUrl,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
  });
}
