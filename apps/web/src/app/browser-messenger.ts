/**
 * Opens the SDK in a browser: IndexedDB backend, the device-sealed vault passphrase, the
 * encrypted vault, and a Messenger talking to the origin that served this page.
 */
import { ClientStore, Messenger, VaultStore, type WebSocketConstructor } from '@susurro/client';
import {
  nobleCryptoProvider,
  systemRandom,
  webCryptoProvider,
  type CryptoProvider,
  type ProtocolEnv,
} from '@susurro/protocol';
import { WebClientError } from '../errors.ts';
import { WEB_VAULT_KDF_LOG_N } from '../limits.ts';
import { loadDevicePassphrase } from '../storage/device-secret.ts';
import { IndexedDbBackend } from '../storage/idb-backend.ts';
import { openDatabase } from '../storage/idb.ts';

/**
 * WebCrypto X25519/Ed25519 (recent Chromium, Firefox and Safari) is fastest and keeps
 * private scalars out of JS heaps between calls; older engines get the audited pure-JS noble
 * provider, which the protocol suite runs against the same vectors.
 */
async function pickCryptoProvider(): Promise<CryptoProvider> {
  try {
    await crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits']);
    await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    return webCryptoProvider;
  } catch {
    return nobleCryptoProvider;
  }
}

export interface BrowserMessenger {
  readonly messenger: Messenger;
  readonly store: ClientStore;
}

export async function openBrowserMessenger(): Promise<BrowserMessenger> {
  // crypto.subtle and IndexedDB need a secure context (HTTPS, or http://localhost).
  if (!window.isSecureContext || !globalThis.crypto?.subtle)
    throw new WebClientError('INSECURE_CONTEXT');
  const db = await openDatabase();
  try {
    const env: ProtocolEnv = { crypto: await pickCryptoProvider(), random: systemRandom };
    const { passphrase } = await loadDevicePassphrase(db, env.random);
    const vault = await VaultStore.open(new IndexedDbBackend(db), passphrase, {
      crypto: env.crypto,
      random: env.random,
      kdfLogN: WEB_VAULT_KDF_LOG_N,
    });
    const store = new ClientStore(vault);
    const messenger = await Messenger.open({
      store,
      env,
      serverUrl: location.origin,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    });
    return { messenger, store };
  } catch (e) {
    db.close();
    throw e;
  }
}
