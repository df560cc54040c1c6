/**
 * Pairwise sessions with a peer's devices, and the trust decisions around them: trust on
 * first use, and a changed identity key blocks sending until the user accepts it (Signal's
 * "safety number changed").
 */
import {
  decodeInitialMessage,
  decodePublicKey,
  equalBytes,
  isProtocolError,
  messageType,
  Session,
  type IdentityKeyPair,
  type ProtocolEnv,
} from '@susurro/protocol';
import type { HttpApi } from '../api/http-api.ts';
import { fromBase64, toBase64 } from '../base64.ts';
import { ClientError } from '../errors.ts';
import { MAX_PREVIOUS_SESSIONS } from '../limits.ts';
import {
  Batch,
  packStates,
  records,
  type ClientStore,
  type ContactRecord,
} from '../store/client-store.ts';

export interface TrustDecision {
  /** The contact record as it should be stored after this observation. */
  contact: ContactRecord;
  /** The key is new for a contact we already knew: the user must accept it. */
  changed: boolean;
}

/** Pure TOFU rule: the first key seen is trusted; any other unaccepted key is pending. */
export function observeIdentity(
  existing: ContactRecord | undefined,
  peer: string,
  key: Uint8Array,
  now: number,
): TrustDecision {
  const b64 = toBase64(key);
  if (!existing)
    return {
      contact: { username: peer, trustedKeys: [b64], verified: false, firstSeenAt: now },
      changed: false,
    };
  if (existing.trustedKeys.includes(b64)) return { contact: existing, changed: false };
  return { contact: { ...existing, pendingKey: b64, verified: false }, changed: true };
}

const untrusted = (peer: string) =>
  new ClientError(
    'UNTRUSTED_IDENTITY',
    `${peer}'s safety number changed; accept the new key to send`,
  );

export class PeerSessions {
  private readonly cache = new Map<string, Session>();
  private readonly previousCache = new Map<string, Session[]>();

  constructor(
    private readonly env: ProtocolEnv,
    private readonly store: ClientStore,
    private readonly api: HttpApi,
    private readonly now: () => number,
  ) {}

  private async load(peer: string, deviceId: number): Promise<Session | undefined> {
    const key = records.session(peer, deviceId);
    let session = this.cache.get(key);
    if (!session) {
      const state = await this.store.getSession(peer, deviceId);
      if (state) this.cache.set(key, (session = Session.deserialize(this.env, state)));
    }
    return session;
  }

  private async loadPrevious(peer: string, deviceId: number): Promise<Session[]> {
    const key = records.previousSessions(peer, deviceId);
    let list = this.previousCache.get(key);
    if (!list) {
      const states = await this.store.getPreviousSessions(peer, deviceId);
      list = states.map((state) => Session.deserialize(this.env, state));
      this.previousCache.set(key, list);
    }
    return list;
  }

  private stagePrevious(batch: Batch, peer: string, deviceId: number, list: Session[]): void {
    const key = records.previousSessions(peer, deviceId);
    this.previousCache.set(key, list);
    if (list.length > 0) batch.put(key, packStates(list.map((s) => s.serialize())));
    else batch.delete(key);
  }

  /** Stage the session's new state into a batch; the caller commits it with related records. */
  stage(batch: Batch, peer: string, deviceId: number, session: Session): void {
    this.cache.set(records.session(peer, deviceId), session);
    batch.put(records.session(peer, deviceId), session.serialize());
  }

  /** Drop cached sessions (after a failed commit, so memory never runs ahead of disk). */
  forget(peer: string, deviceId?: number): void {
    for (const k of [...this.cache.keys()]) {
      if (
        deviceId === undefined
          ? k.startsWith(`session:${peer}:`)
          : k === records.session(peer, deviceId)
      )
        this.cache.delete(k);
    }
    for (const k of [...this.previousCache.keys()]) {
      if (
        deviceId === undefined
          ? k.startsWith(`prev-sessions:${peer}:`)
          : k === records.previousSessions(peer, deviceId)
      )
        this.previousCache.delete(k);
    }
  }

  /** Deletes a device's session and its previous ones (the device left or changed key). */
  private drop(batch: Batch, peer: string, deviceId: number): void {
    batch.delete(records.session(peer, deviceId));
    batch.delete(records.previousSessions(peer, deviceId));
  }

  /**
   * Sessions for every current device of `peer`. The directory's device list is checked on
   * each send (no prekey consumed), so a reinstall or a new device is noticed before we
   * encrypt: unknown keys of a known contact become pending and block sending
   * (UNTRUSTED_IDENTITY); devices without a session get one via X3DH; sessions with devices
   * that left, or whose key changed, are dropped.
   */
  async forSending(
    identity: IdentityKeyPair,
    peer: string,
    batch: Batch,
  ): Promise<Array<{ deviceId: number; session: Session }>> {
    let contact = await this.store.getContact(peer);
    if (contact?.pendingKey) throw untrusted(peer);
    const directory = await this.api.identities(peer);
    if (!directory.length)
      throw new ClientError('NO_DEVICES', `${peer} has no device with published keys yet`);
    const firstContact = contact === undefined;
    for (const d of directory) {
      const key = decodePublicKey(fromBase64(d.identityKey, 'identityKey'));
      // First use trusts every device the directory lists; later, any new key needs the user.
      const decision =
        firstContact && contact
          ? {
              contact: {
                ...contact,
                trustedKeys: [...new Set([...contact.trustedKeys, toBase64(key)])],
              },
              changed: false,
            }
          : observeIdentity(contact, peer, key, this.now());
      if (decision.changed) {
        await this.store.commit(new Batch().put(records.contact(peer), decision.contact));
        throw untrusted(peer);
      }
      contact = decision.contact;
    }
    batch.put(records.contact(peer), contact!);

    const current = new Map(directory.map((d) => [d.deviceId, d.identityKey]));
    const out: Array<{ deviceId: number; session: Session }> = [];
    for (const { deviceId } of await this.store.getSessions(peer)) {
      const session = (await this.load(peer, deviceId))!;
      const key = current.get(deviceId);
      if (
        key !== undefined &&
        equalBytes(decodePublicKey(fromBase64(key)), session.remoteIdentityKey)
      ) {
        out.push({ deviceId, session });
        current.delete(deviceId);
      } else {
        this.drop(batch, peer, deviceId);
        this.forget(peer, deviceId);
      }
    }
    for (const deviceId of current.keys()) {
      const [d] = await this.api.bundles(peer, deviceId);
      if (!d) continue; // the device left between the two calls
      const identityKey = decodePublicKey(fromBase64(d.identityKey, 'identityKey'));
      if (!contact!.trustedKeys.includes(toBase64(identityKey))) throw untrusted(peer);
      const session = await Session.initiate(this.env, identity, {
        identityKey,
        signedPreKey: {
          keyId: d.signedPreKey.keyId,
          publicKey: decodePublicKey(fromBase64(d.signedPreKey.publicKey)),
          signature: fromBase64(d.signedPreKey.signature),
        },
        oneTimePreKey: d.oneTimePreKey && {
          keyId: d.oneTimePreKey.keyId,
          publicKey: decodePublicKey(fromBase64(d.oneTimePreKey.publicKey)),
        },
      });
      out.push({ deviceId: d.deviceId, session });
    }
    return out;
  }

  /**
   * Decrypts one envelope from `peer`'s device, staging the new session state (and the used
   * one-time prekey's deletion) into `batch`. Returns the plaintext and what we learned about
   * the sender's identity key.
   */
  async decrypt(
    identity: IdentityKeyPair,
    peer: string,
    deviceId: number,
    wire: Uint8Array,
    batch: Batch,
  ): Promise<{ plaintext: Uint8Array; trust: TrustDecision }> {
    const current = await this.load(peer, deviceId);
    const previous = await this.loadPrevious(peer, deviceId);
    let session: Session | undefined;
    let plaintext: Uint8Array | undefined;
    if (messageType(wire) === 'initial') {
      const initial = decodeInitialMessage(wire);
      session = [current, ...previous].find((s) => s?.matchesInitialMessage(initial));
      if (session) {
        plaintext = await session.decrypt(wire);
      } else {
        // A new session from this device (first contact, the peer reinstalled, or it started
        // one while we were starting ours: then both are kept, see MAX_PREVIOUS_SESSIONS).
        const result = await Session.respond(
          this.env,
          {
            ourIdentity: identity,
            signedPreKey: (id) => this.store.getSignedPreKey(id),
            oneTimePreKey: (id) => this.store.getOneTimePreKey(id),
          },
          initial,
        );
        session = result.session;
        plaintext = result.plaintext;
        if (result.usedOneTimePreKeyId !== undefined)
          batch.delete(records.oneTimePreKey(result.usedOneTimePreKeyId));
      }
    } else {
      if (!current)
        throw new ClientError('INVALID_ARGUMENT', `no session with ${peer} device ${deviceId}`);
      try {
        plaintext = await current.decrypt(wire);
        session = current;
      } catch (e) {
        // Not ours to retry: a replay stays a replay whichever state we try.
        if (isProtocolError(e, 'DUPLICATE_MESSAGE')) throw e;
        for (const old of previous) {
          try {
            plaintext = await old.decrypt(wire); // leaves `old` as it was on failure
            session = old;
            break;
          } catch {
            // try the next one
          }
        }
        if (session === undefined) throw e;
      }
    }
    if (session !== current) {
      // The session that just worked becomes current; the one it replaces is kept.
      const kept = [current, ...previous].filter(
        (s): s is Session => s !== undefined && s !== session,
      );
      this.stagePrevious(batch, peer, deviceId, kept.slice(0, MAX_PREVIOUS_SESSIONS));
    }
    this.stage(batch, peer, deviceId, session);
    const contact = await this.store.getContact(peer);
    const trust = observeIdentity(contact, peer, session.remoteIdentityKey, this.now());
    if (trust.contact !== contact) batch.put(records.contact(peer), trust.contact);
    return { plaintext: plaintext!, trust };
  }

  /** The user accepted `peer`'s new key: trust it and drop sessions under other keys. */
  async acceptIdentity(peer: string): Promise<ContactRecord | undefined> {
    const contact = await this.store.getContact(peer);
    if (!contact?.pendingKey) return contact;
    const accepted: ContactRecord = {
      ...contact,
      trustedKeys: [...contact.trustedKeys, contact.pendingKey],
      verified: false,
    };
    delete accepted.pendingKey;
    const batch = new Batch().put(records.contact(peer), accepted);
    const key = fromBase64(contact.pendingKey);
    for (const { deviceId } of await this.store.getSessions(peer)) {
      const s = await this.load(peer, deviceId);
      if (s && !equalBytes(s.remoteIdentityKey, key)) this.drop(batch, peer, deviceId);
    }
    await this.store.commit(batch);
    this.forget(peer);
    return accepted;
  }
}
