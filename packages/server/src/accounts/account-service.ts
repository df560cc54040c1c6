import type { Clock } from '../clock.ts';
import { ServerError } from '../errors.ts';
import type { RateLimits } from '../limits.ts';
import type { Principal } from '../principal.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import { isStorageError, type Storage } from '../storage/types.ts';
import { checkPassword, type PasswordHasher } from './password-hasher.ts';
import { hashSecret, newSecret } from './secrets.ts';
import { normalizeUsername, tryNormalizeUsername } from './username.ts';

export interface AccountServiceOptions {
  readonly storage: Storage;
  readonly hasher: PasswordHasher;
  readonly limiter: RateLimiter;
  readonly clock: Clock;
  readonly rateLimits: RateLimits;
  readonly tokenLifetimeMs: number;
  readonly ticketLifetimeMs: number;
  readonly maxDevices: number;
}

export interface LoginResult {
  readonly token: string;
  readonly expiresAt: number;
  readonly username: string;
  readonly deviceId: number;
}

/** RF01/RF02: registration, login, logout, bearer tokens and WebSocket tickets. */
export class AccountService {
  readonly #o: AccountServiceOptions;

  constructor(options: AccountServiceOptions) {
    this.#o = options;
  }

  async register(rawUsername: string, password: string, ip: string): Promise<{ username: string }> {
    this.#o.limiter.take(`register:ip:${ip}`, this.#o.rateLimits.registerPerIp);
    const username = normalizeUsername(rawUsername);
    const hash = await this.#o.hasher.hash(checkPassword(password));
    try {
      await this.#o.storage.createAccount(username, hash, this.#o.clock());
    } catch (e) {
      if (isStorageError(e, 'CONFLICT'))
        throw new ServerError('USERNAME_TAKEN', undefined, { cause: e });
      throw e;
    }
    return { username };
  }

  /**
   * Logs a device in. Without `deviceId` a new device is created (one per client install; the
   * client keeps the id and passes it on later logins). Unknown user and wrong password give
   * the same INVALID_CREDENTIALS after the same amount of hashing.
   */
  async login(
    rawUsername: string,
    password: string,
    deviceId: number | undefined,
    ip: string,
  ): Promise<LoginResult> {
    const { limiter, rateLimits, storage, hasher } = this.#o;
    limiter.take(`login:ip:${ip}`, rateLimits.loginPerIp);
    const username = tryNormalizeUsername(rawUsername);
    if (username !== undefined) limiter.take(`login:user:${username}`, rateLimits.loginPerUsername);
    const normalizedPassword = password.normalize('NFKC');
    const account =
      username === undefined ? undefined : await storage.getAccountByUsername(username);
    if (account === undefined) {
      await hasher.verifyDummy(normalizedPassword);
      throw new ServerError('INVALID_CREDENTIALS');
    }
    if (!(await hasher.verify(normalizedPassword, account.passwordHash))) {
      throw new ServerError('INVALID_CREDENTIALS');
    }
    const now = this.#o.clock();
    let device = deviceId;
    if (device === undefined) {
      try {
        device = await storage.createDevice(account.accountId, now, this.#o.maxDevices);
      } catch (e) {
        if (isStorageError(e, 'LIMIT'))
          throw new ServerError('TOO_MANY_DEVICES', undefined, { cause: e });
        throw e;
      }
    } else if ((await storage.getDevice(account.accountId, device)) === undefined) {
      throw new ServerError('DEVICE_NOT_FOUND', 'This account has no such device.');
    }
    const token = newSecret();
    const expiresAt = now + this.#o.tokenLifetimeMs;
    await storage.createSession(hashSecret(token), {
      accountId: account.accountId,
      username: account.username,
      deviceId: device,
      expiresAt,
    });
    return { token, expiresAt, username: account.username, deviceId: device };
  }

  async logout(token: string): Promise<void> {
    await this.#o.storage.deleteSession(hashSecret(token));
  }

  /** Bearer token → principal, or UNAUTHORIZED (unknown, revoked and expired look alike). */
  async authenticate(token: string): Promise<Principal> {
    const session = await this.#o.storage.getSession(hashSecret(token), this.#o.clock());
    if (session === undefined) throw new ServerError('UNAUTHORIZED');
    return { accountId: session.accountId, username: session.username, deviceId: session.deviceId };
  }

  /**
   * A single-use WebSocket ticket: browsers cannot set headers on a WebSocket, and a
   * long-lived token must never sit in a URL (proxy logs, history), so the URL carries this.
   */
  async issueTicket(principal: Principal): Promise<{ ticket: string; expiresAt: number }> {
    const ticket = newSecret();
    const expiresAt = this.#o.clock() + this.#o.ticketLifetimeMs;
    await this.#o.storage.createTicket(hashSecret(ticket), principal, expiresAt);
    return { ticket, expiresAt };
  }

  async redeemTicket(ticket: string): Promise<Principal> {
    const record = await this.#o.storage.consumeTicket(hashSecret(ticket), this.#o.clock());
    if (record === undefined) throw new ServerError('TICKET_INVALID');
    return record;
  }
}
