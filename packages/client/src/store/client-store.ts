/**
 * The client's typed records over the encrypted vault: account, identity, prekeys, sessions,
 * contacts and message history. One record per concept instance; multi-record changes (e.g.
 * "session updated + message stored + one-time prekey deleted") go through one atomic write,
 * so a crash never leaves a session advanced without its message, or the reverse.
 */
import type { KeyPair, SignedPreKey } from '@susurro/protocol';
import { fromBase64, toBase64 } from '../base64.ts';
import { ClientError } from '../errors.ts';
import type { WriteOp } from './backend.ts';
import type { VaultStore } from './vault.ts';

export interface AccountRecord {
  serverUrl: string;
  username: string;
  deviceId?: number;
  accessToken?: string;
  tokenExpiresAt?: number;
}

export interface ContactRecord {
  username: string;
  /** Identity keys the user has accepted (TOFU or explicitly), base64 of the 32-byte key. */
  trustedKeys: string[];
  /** A key seen in the directory or a message that the user has not accepted yet. */
  pendingKey?: string;
  verified: boolean;
  firstSeenAt: number;
}

export type MessageStatus = 'sending' | 'sent' | 'delivered' | 'received' | 'failed';

export interface MessageRecord {
  id: string;
  peer: string;
  direction: 'in' | 'out';
  body: string;
  sentAt: number;
  receivedAt?: number;
  status: MessageStatus;
}

interface StoredSignedPreKey {
  keyId: number;
  publicKey: string;
  privateKey: string;
  signature: string;
  timestamp: number;
  retiredAt?: number;
}

const enc = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const dec = <T>(bytes: Uint8Array | undefined): T | undefined =>
  bytes === undefined ? undefined : (JSON.parse(new TextDecoder().decode(bytes)) as T);
const keyPairOut = (kp: KeyPair) => ({
  publicKey: toBase64(kp.publicKey),
  privateKey: toBase64(kp.privateKey),
});
const keyPairIn = (r: { publicKey: string; privateKey: string }): KeyPair => ({
  publicKey: fromBase64(r.publicKey),
  privateKey: fromBase64(r.privateKey),
});
/** Ids padded so record keys sort numerically. */
const pad = (n: number) => n.toString().padStart(10, '0');

export const records = {
  account: 'account',
  identity: 'identity',
  counters: 'counters',
  signedPreKey: (id: number) => `spk:${pad(id)}`,
  oneTimePreKey: (id: number) => `opk:${pad(id)}`,
  session: (peer: string, deviceId: number) => `session:${peer}:${pad(deviceId)}`,
  /** Earlier sessions with that device, newest first (see MAX_PREVIOUS_SESSIONS). */
  previousSessions: (peer: string, deviceId: number) => `prev-sessions:${peer}:${pad(deviceId)}`,
  contact: (peer: string) => `contact:${peer}`,
  message: (peer: string, id: string) => `msg:${peer}:${id}`,
};

export interface Counters {
  nextOneTimePreKeyId: number;
  nextSignedPreKeyId: number;
}

/** Collects writes for one atomic commit. */
export class Batch {
  readonly ops: WriteOp[] = [];
  put(key: string, value: unknown): this {
    this.ops.push([key, value instanceof Uint8Array ? value : enc(value)]);
    return this;
  }
  delete(key: string): this {
    this.ops.push([key, undefined]);
    return this;
  }
  putSignedPreKey(spk: SignedPreKey, retiredAt?: number): this {
    const r: StoredSignedPreKey = {
      keyId: spk.keyId,
      ...keyPairOut(spk.keyPair),
      signature: toBase64(spk.signature),
      timestamp: spk.timestamp,
      ...(retiredAt === undefined ? {} : { retiredAt }),
    };
    return this.put(records.signedPreKey(spk.keyId), r);
  }
  putOneTimePreKey(keyId: number, keyPair: KeyPair): this {
    return this.put(records.oneTimePreKey(keyId), keyPairOut(keyPair));
  }
}

export class ClientStore {
  constructor(readonly vault: VaultStore) {}

  commit(batch: Batch): Promise<void> {
    return this.vault.write(batch.ops);
  }

  async getAccount(): Promise<AccountRecord | undefined> {
    return dec<AccountRecord>(await this.vault.get(records.account));
  }

  async getIdentity(): Promise<KeyPair | undefined> {
    const r = dec<{ publicKey: string; privateKey: string }>(
      await this.vault.get(records.identity),
    );
    return r && keyPairIn(r);
  }

  async getCounters(): Promise<Counters> {
    return (
      (await this.readJson<Counters>(records.counters)) ?? {
        nextOneTimePreKeyId: 1,
        nextSignedPreKeyId: 1,
      }
    );
  }

  async getSignedPreKeys(): Promise<Array<SignedPreKey & { retiredAt?: number }>> {
    const rows = await this.vault.list('spk:');
    return rows.map(([, v]) => {
      const r = dec<StoredSignedPreKey>(v)!;
      return {
        keyId: r.keyId,
        keyPair: keyPairIn(r),
        signature: fromBase64(r.signature),
        timestamp: r.timestamp,
        ...(r.retiredAt === undefined ? {} : { retiredAt: r.retiredAt }),
      };
    });
  }

  async getSignedPreKey(keyId: number): Promise<KeyPair | undefined> {
    const r = await this.readJson<StoredSignedPreKey>(records.signedPreKey(keyId));
    return r && keyPairIn(r);
  }

  async getOneTimePreKey(keyId: number): Promise<KeyPair | undefined> {
    const r = await this.readJson<{ publicKey: string; privateKey: string }>(
      records.oneTimePreKey(keyId),
    );
    return r && keyPairIn(r);
  }

  getSession(peer: string, deviceId: number): Promise<Uint8Array | undefined> {
    return this.vault.get(records.session(peer, deviceId));
  }

  async getPreviousSessions(peer: string, deviceId: number): Promise<Uint8Array[]> {
    const packed = await this.vault.get(records.previousSessions(peer, deviceId));
    return packed === undefined ? [] : unpackStates(packed);
  }

  async getSessions(peer: string): Promise<Array<{ deviceId: number; state: Uint8Array }>> {
    const rows = await this.vault.list(`session:${peer}:`);
    return rows.map(([k, state]) => ({ deviceId: Number(k.slice(k.lastIndexOf(':') + 1)), state }));
  }

  getContact(peer: string): Promise<ContactRecord | undefined> {
    return this.readJson<ContactRecord>(records.contact(peer));
  }

  async getContacts(): Promise<ContactRecord[]> {
    return (await this.vault.list('contact:')).map(([, v]) => dec<ContactRecord>(v)!);
  }

  getMessage(peer: string, id: string): Promise<MessageRecord | undefined> {
    return this.readJson<MessageRecord>(records.message(peer, id));
  }

  /** History with one peer (or everyone), oldest first. */
  async getMessages(peer?: string): Promise<MessageRecord[]> {
    const rows = await this.vault.list(peer === undefined ? 'msg:' : `msg:${peer}:`);
    return rows
      .map(([, v]) => dec<MessageRecord>(v)!)
      .sort((a, b) => a.sentAt - b.sentAt || a.id.localeCompare(b.id));
  }

  private async readJson<T>(key: string): Promise<T | undefined> {
    return dec<T>(await this.vault.get(key));
  }
}

/** Several serialized sessions in one record: each as a 4-byte big-endian length, then bytes. */
export function packStates(states: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(states.reduce((n, s) => n + 4 + s.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const s of states) {
    view.setUint32(at, s.length);
    out.set(s, at + 4);
    at += 4 + s.length;
  }
  return out;
}

function unpackStates(packed: Uint8Array): Uint8Array[] {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const states: Uint8Array[] = [];
  let at = 0;
  while (at < packed.length) {
    if (at + 4 > packed.length) throw new ClientError('INVALID_ARGUMENT', 'corrupt session list');
    const length = view.getUint32(at);
    if (at + 4 + length > packed.length) {
      throw new ClientError('INVALID_ARGUMENT', 'corrupt session list');
    }
    states.push(packed.slice(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return states;
}
