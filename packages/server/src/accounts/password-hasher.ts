import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ServerError } from '../errors.ts';
import {
  PASSWORD_HASH_CONCURRENCY,
  PASSWORD_HASH_QUEUE_MAX,
  PASSWORD_MAX_BYTES,
  PASSWORD_MIN_LENGTH,
  SCRYPT_P,
  SCRYPT_R,
} from '../limits.ts';

const SALT_BYTES = 16;
const KEY_BYTES = 32;
// $scrypt$ln=17,r=8,p=1$<salt>$<hash> (PHC string format): the cost travels with each hash,
// so raising it later leaves old hashes verifiable.
const ENCODED =
  /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** NIST SP 800-63B §5.1.1.2: normalise Unicode passwords (NFKC) before hashing. */
export function checkPassword(password: string): string {
  const normalized = password.normalize('NFKC');
  if ([...normalized].length < PASSWORD_MIN_LENGTH) {
    throw new ServerError(
      'WEAK_PASSWORD',
      `Passwords have at least ${PASSWORD_MIN_LENGTH} characters.`,
    );
  }
  if (Buffer.byteLength(normalized, 'utf8') > PASSWORD_MAX_BYTES) {
    throw new ServerError('WEAK_PASSWORD', `Passwords have at most ${PASSWORD_MAX_BYTES} bytes.`);
  }
  return normalized;
}

function scryptAsync(password: string, salt: Uint8Array, log2N: number, r: number, p: number) {
  const N = 2 ** log2N;
  // Node refuses by default above 32 MiB; scrypt needs 128·N·r bytes.
  const options: ScryptOptions = { N, r, p, maxmem: 2 * 128 * N * r };
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password, salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/**
 * scrypt password hashing on libuv's thread pool (never on the event loop). At most
 * PASSWORD_HASH_CONCURRENCY run at once and PASSWORD_HASH_QUEUE_MAX wait; beyond that callers
 * get SERVER_BUSY, so a login flood costs bounded memory.
 */
export class PasswordHasher {
  readonly #log2N: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  #dummy: Promise<string> | undefined;

  constructor(log2N: number) {
    this.#log2N = log2N;
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await this.#limited(() =>
      scryptAsync(password, salt, this.#log2N, SCRYPT_R, SCRYPT_P),
    );
    const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64').replace(/=+$/, '');
    return `$scrypt$ln=${this.#log2N},r=${SCRYPT_R},p=${SCRYPT_P}$${b64(salt)}$${b64(key)}`;
  }

  async verify(password: string, encoded: string): Promise<boolean> {
    const m = ENCODED.exec(encoded);
    if (m === null) return false;
    const [, ln, r, p, salt, expected] = m as unknown as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const want = Buffer.from(expected, 'base64');
    const got = await this.#limited(() =>
      scryptAsync(password, Buffer.from(salt, 'base64'), Number(ln), Number(r), Number(p)),
    );
    return got.length === want.length && timingSafeEqual(got, want);
  }

  /**
   * Burns the same work as a real verification, for unknown usernames: "no such user" and
   * "wrong password" then take equally long (no user enumeration by timing).
   */
  async verifyDummy(password: string): Promise<void> {
    this.#dummy ??= this.hash('dummy password for timing equalisation');
    await this.verify(password, await this.#dummy);
  }

  async #limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= PASSWORD_HASH_CONCURRENCY) {
      if (this.#waiting.length >= PASSWORD_HASH_QUEUE_MAX) {
        throw new ServerError('SERVER_BUSY', undefined, { retryAfterSeconds: 1 });
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter (running count unchanged) or release it.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
