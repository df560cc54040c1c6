/**
 * A pairwise session: X3DH to start, Double Ratchet after (X3DH §3.3–3.4, Double Ratchet §3).
 *
 * Until Alice hears back from Bob, every message she sends is an InitialMessage carrying the
 * X3DH fields, so Bob can set up the session from whichever of them arrives first. Bob
 * recognises repeats by Alice's base key and decrypts them with the session he already has.
 */
import { ByteReader, ByteWriter, equalBytes } from './bytes.ts';
import { PUBLIC_KEY_LENGTH } from './constants.ts';
import type { ProtocolEnv } from './crypto-provider.ts';
import { ProtocolError } from './errors.ts';
import type { IdentityKeyPair, KeyPair, PreKeyBundle } from './keys.ts';
import { initAlice, initBob, ratchetDecrypt, ratchetEncrypt } from './ratchet/double-ratchet.ts';
import {
  readRatchetState,
  wipeRatchetState,
  writeRatchetState,
  type RatchetState,
} from './ratchet/state.ts';
import {
  decodeInitialMessage,
  decodeRatchetMessage,
  encodeInitialMessage,
  messageType,
  type InitialMessage,
} from './wire.ts';
import { associatedData as x3dhAssociatedData, x3dhInitiate, x3dhRespond } from './x3dh.ts';

interface PendingPreKey {
  readonly baseKey: Uint8Array;
  readonly signedPreKeyId: number;
  readonly oneTimePreKeyId: number | undefined;
}

interface SessionState {
  /** Alice started the session with X3DH; Bob responded. Fixes the order of AD. */
  readonly role: 'initiator' | 'responder';
  readonly localIdentityKey: Uint8Array;
  readonly remoteIdentityKey: Uint8Array;
  readonly associatedData: Uint8Array;
  /** Alice's X3DH base key (EK_A) — on both sides — to recognise repeated initial messages. */
  readonly baseKey: Uint8Array;
  /** Alice only, until Bob's first reply: the fields every outgoing InitialMessage repeats. */
  pendingPreKey: PendingPreKey | undefined;
  readonly ratchet: RatchetState;
}

export interface RespondOptions {
  readonly ourIdentity: IdentityKeyPair;
  /** Looks up our signed prekey by id (current or recently rotated). */
  readonly signedPreKey: (keyId: number) => KeyPair | undefined | Promise<KeyPair | undefined>;
  /** Looks up an unused one-time prekey by id; the caller deletes it once the session is stored. */
  readonly oneTimePreKey: (keyId: number) => KeyPair | undefined | Promise<KeyPair | undefined>;
}

const SESSION_MAGIC = 0x53; // 'S'
const SESSION_VERSION = 1;
const ROLE_INITIATOR = 1;
const ROLE_RESPONDER = 2;

export class Session {
  /** Serialises encrypt/decrypt: each one reads and then commits the whole state. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly env: ProtocolEnv,
    private readonly state: SessionState,
  ) {}

  /** Alice: process Bob's bundle (signature checked first) and get a session ready to send. */
  static async initiate(
    env: ProtocolEnv,
    ourIdentity: IdentityKeyPair,
    bundle: PreKeyBundle,
  ): Promise<Session> {
    const x3dh = await x3dhInitiate(env, ourIdentity, bundle);
    const ratchet = await initAlice(env, x3dh.sharedSecret, bundle.signedPreKey.publicKey);
    return new Session(env, {
      role: 'initiator',
      localIdentityKey: ourIdentity.publicKey.slice(),
      remoteIdentityKey: bundle.identityKey.slice(),
      associatedData: x3dh.associatedData,
      baseKey: x3dh.ephemeralPublicKey,
      pendingPreKey: {
        baseKey: x3dh.ephemeralPublicKey,
        signedPreKeyId: x3dh.signedPreKeyId,
        oneTimePreKeyId: x3dh.oneTimePreKeyId,
      },
      ratchet,
    });
  }

  /**
   * Bob: build a session from Alice's InitialMessage and decrypt its payload. The caller must
   * check `remoteIdentityKey` against what it trusts and delete `usedOneTimePreKeyId`.
   */
  static async respond(
    env: ProtocolEnv,
    options: RespondOptions,
    message: Uint8Array | InitialMessage,
  ): Promise<{ session: Session; plaintext: Uint8Array; usedOneTimePreKeyId: number | undefined }> {
    const initial = message instanceof Uint8Array ? decodeInitialMessage(message) : message;
    const signedPreKey = await options.signedPreKey(initial.signedPreKeyId);
    if (!signedPreKey) {
      throw new ProtocolError(
        'UNKNOWN_PREKEY',
        `signed prekey ${initial.signedPreKeyId} is unknown`,
      );
    }
    let oneTimePreKey: KeyPair | undefined;
    if (initial.oneTimePreKeyId !== undefined) {
      oneTimePreKey = await options.oneTimePreKey(initial.oneTimePreKeyId);
      if (!oneTimePreKey) {
        throw new ProtocolError(
          'UNKNOWN_PREKEY',
          `one-time prekey ${initial.oneTimePreKeyId} is unknown or used`,
        );
      }
    }
    const x3dh = await x3dhRespond(
      env,
      options.ourIdentity,
      signedPreKey,
      oneTimePreKey,
      initial.identityKey,
      initial.baseKey,
    );
    const session = new Session(env, {
      role: 'responder',
      localIdentityKey: options.ourIdentity.publicKey.slice(),
      remoteIdentityKey: initial.identityKey,
      associatedData: x3dh.associatedData,
      baseKey: initial.baseKey,
      pendingPreKey: undefined,
      ratchet: initBob(x3dh.sharedSecret, signedPreKey),
    });
    const plaintext = await ratchetDecrypt(
      env,
      session.state.ratchet,
      initial.ratchetMessage,
      x3dh.associatedData,
    );
    return { session, plaintext, usedOneTimePreKeyId: initial.oneTimePreKeyId };
  }

  get remoteIdentityKey(): Uint8Array {
    return this.state.remoteIdentityKey.slice();
  }

  get localIdentityKey(): Uint8Array {
    return this.state.localIdentityKey.slice();
  }

  /** Alice's X3DH base key; equal on both sides of one session. */
  get baseKey(): Uint8Array {
    return this.state.baseKey.slice();
  }

  /** True while Alice has not yet received anything from Bob. */
  get awaitingReply(): boolean {
    return this.state.pendingPreKey !== undefined;
  }

  /** Does this InitialMessage belong to this session (a repeat from the same X3DH run)? */
  matchesInitialMessage(message: InitialMessage): boolean {
    return (
      equalBytes(message.baseKey, this.state.baseKey) &&
      equalBytes(message.identityKey, this.state.remoteIdentityKey)
    );
  }

  encrypt(plaintext: Uint8Array): Promise<Uint8Array> {
    return this.serialised(async () => {
      const ratchetMessageBytes = await ratchetEncrypt(
        this.env,
        this.state.ratchet,
        plaintext,
        this.state.associatedData,
      );
      const pending = this.state.pendingPreKey;
      if (!pending) return ratchetMessageBytes;
      return encodeInitialMessage({
        identityKey: this.state.localIdentityKey,
        baseKey: pending.baseKey,
        signedPreKeyId: pending.signedPreKeyId,
        oneTimePreKeyId: pending.oneTimePreKeyId,
        ratchetMessageBytes,
      });
    });
  }

  /**
   * Decrypts a RatchetMessage, or a repeated InitialMessage of this session. Errors carry codes
   * (DECRYPTION_FAILED, DUPLICATE_MESSAGE, TOO_MANY_SKIPPED_MESSAGES, …) and leave the state as
   * it was.
   */
  decrypt(message: Uint8Array): Promise<Uint8Array> {
    return this.serialised(async () => {
      let ratchetMessage;
      if (messageType(message) === 'initial') {
        const initial = decodeInitialMessage(message);
        if (!this.matchesInitialMessage(initial)) {
          throw new ProtocolError(
            'INVALID_ARGUMENT',
            'initial message belongs to a different session',
          );
        }
        ratchetMessage = initial.ratchetMessage;
      } else {
        ratchetMessage = decodeRatchetMessage(message);
      }
      const plaintext = await ratchetDecrypt(
        this.env,
        this.state.ratchet,
        ratchetMessage,
        this.state.associatedData,
      );
      // Anything Alice decrypts came from Bob, so he has the session: stop repeating X3DH fields.
      this.state.pendingPreKey = undefined;
      return plaintext;
    });
  }

  /** Versioned binary form for persistence. Contains private keys: store it encrypted. */
  serialize(): Uint8Array {
    const s = this.state;
    const w = new ByteWriter()
      .u8(SESSION_MAGIC)
      .u8(SESSION_VERSION)
      .u8(s.role === 'initiator' ? ROLE_INITIATOR : ROLE_RESPONDER)
      .bytes(s.localIdentityKey)
      .bytes(s.remoteIdentityKey)
      .bytes(s.baseKey)
      .u8(s.pendingPreKey ? 1 : 0);
    if (s.pendingPreKey) {
      w.u32(s.pendingPreKey.signedPreKeyId).u8(
        s.pendingPreKey.oneTimePreKeyId === undefined ? 0 : 1,
      );
      if (s.pendingPreKey.oneTimePreKeyId !== undefined) w.u32(s.pendingPreKey.oneTimePreKeyId);
    }
    writeRatchetState(w, s.ratchet);
    return w.finish();
  }

  static deserialize(env: ProtocolEnv, bytes: Uint8Array): Session {
    const r = new ByteReader(bytes, 'session state', 'MALFORMED_SESSION_STATE');
    if (r.u8('magic') !== SESSION_MAGIC) r.fail('not a Susurro session');
    const version = r.u8('version');
    if (version !== SESSION_VERSION) {
      throw new ProtocolError(
        'UNSUPPORTED_VERSION',
        `session state version ${version} is not supported`,
      );
    }
    const roleByte = r.u8('role');
    if (roleByte !== ROLE_INITIATOR && roleByte !== ROLE_RESPONDER)
      r.fail(`unknown role ${roleByte}`);
    const role = roleByte === ROLE_INITIATOR ? 'initiator' : 'responder';
    const localIdentityKey = r.bytes(PUBLIC_KEY_LENGTH, 'local identity key');
    const remoteIdentityKey = r.bytes(PUBLIC_KEY_LENGTH, 'remote identity key');
    const baseKey = r.bytes(PUBLIC_KEY_LENGTH, 'base key');
    let pendingPreKey: PendingPreKey | undefined;
    const hasPending = r.u8('pending prekey present');
    if (hasPending > 1) r.fail('pending prekey flag must be 0 or 1');
    if (hasPending) {
      const signedPreKeyId = r.u32('pending signed prekey id');
      const hasOneTime = r.u8('pending one-time prekey present');
      if (hasOneTime > 1) r.fail('pending one-time prekey flag must be 0 or 1');
      const oneTimePreKeyId = hasOneTime ? r.u32('pending one-time prekey id') : undefined;
      pendingPreKey = { baseKey, signedPreKeyId, oneTimePreKeyId };
    }
    const ratchet = readRatchetState(r);
    r.end();
    const associatedData =
      role === 'initiator'
        ? x3dhAssociatedData(localIdentityKey, remoteIdentityKey)
        : x3dhAssociatedData(remoteIdentityKey, localIdentityKey);
    return new Session(env, {
      role,
      localIdentityKey,
      remoteIdentityKey,
      associatedData,
      baseKey,
      pendingPreKey,
      ratchet,
    });
  }

  /** Wipes the in-memory secrets; the session is unusable afterwards. */
  destroy(): void {
    wipeRatchetState(this.state.ratchet);
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
