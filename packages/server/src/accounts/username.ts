import { ServerError } from '../errors.ts';
import { USERNAME_MAX_LENGTH, USERNAME_MIN_LENGTH } from '../limits.ts';

const USERNAME = new RegExp(`^[a-z0-9_]{${USERNAME_MIN_LENGTH},${USERNAME_MAX_LENGTH}}$`);

/**
 * The one spelling of a username: NFKC folds compatibility forms (full-width "ａｌｉｃｅ"
 * becomes "alice") and lowercasing makes "Alice" and "alice" the same account, so look-alike
 * registrations are impossible within the allowed alphabet.
 */
export function normalizeUsername(raw: string): string {
  const username = raw.normalize('NFKC').toLowerCase();
  if (!USERNAME.test(username)) throw new ServerError('INVALID_USERNAME');
  return username;
}

/** Like normalizeUsername, but `undefined` instead of an error (for look-ups). */
export function tryNormalizeUsername(raw: string): string | undefined {
  const username = raw.normalize('NFKC').toLowerCase();
  return USERNAME.test(username) ? username : undefined;
}
