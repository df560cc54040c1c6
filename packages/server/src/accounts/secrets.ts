import { createHash, randomBytes } from 'node:crypto';

/**
 * Bearer tokens and WebSocket tickets: 256 random bits, base64url. The server keeps only
 * SHA-256 of them; a fast hash is enough because the input is random, not a password.
 */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(secret, 'utf8').digest());
}
