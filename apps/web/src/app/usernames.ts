/**
 * The username rule as the server applies it (packages/server/src/accounts/username.ts), so
 * forms can say what is wrong before a round trip. The server stays the authority.
 */
export const USERNAME_MIN = 3;
export const USERNAME_MAX = 32;
/** NIST SP 800-63B minimum, as the server enforces (PASSWORD_MIN_LENGTH). */
export const PASSWORD_MIN = 8;

const USERNAME = new RegExp(`^[a-z0-9_]{${USERNAME_MIN},${USERNAME_MAX}}$`);

export function normalizeUsername(raw: string): string {
  return raw.trim().normalize('NFKC').toLowerCase();
}

/** A sentence saying what is wrong with `raw`, or undefined if it is a valid username. */
export function usernameProblem(raw: string): string | undefined {
  const name = normalizeUsername(raw);
  if (name.length === 0) return 'Enter a username.';
  if (name.length < USERNAME_MIN) return `Usernames have at least ${USERNAME_MIN} characters.`;
  if (name.length > USERNAME_MAX) return `Usernames have at most ${USERNAME_MAX} characters.`;
  if (!USERNAME.test(name)) return 'Use only letters, digits and underscores.';
  return undefined;
}

export function passwordProblem(password: string): string | undefined {
  if (password.length === 0) return 'Enter a password.';
  if (password.length < PASSWORD_MIN) return `Passwords need at least ${PASSWORD_MIN} characters.`;
  return undefined;
}
