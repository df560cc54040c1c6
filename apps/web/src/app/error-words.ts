/**
 * Error codes → words a person understands (STYLE §4: branch on codes, never on message text).
 * Server codes come from packages/server/src/errors.ts and pass through the SDK unchanged;
 * client codes from packages/client/src/errors.ts. Unknown codes get a generic sentence, never
 * the raw message (which may be technical or in the wrong voice).
 */
import { isClientError, MAX_TEXT_BYTES } from '@susurro/client';
import { isWebClientError } from '../errors.ts';

const RELOAD = "The server didn't understand this version of Susurro. Reload the page to update.";

const WORDS: Record<string, string> = {
  // Accounts (server)
  USERNAME_TAKEN: 'That username is already taken. Try another one.',
  INVALID_USERNAME:
    'Usernames are 3 to 32 characters: lowercase letters, digits and underscores only.',
  WEAK_PASSWORD: 'Passwords need at least 8 characters.',
  INVALID_CREDENTIALS: 'Wrong username or password.',
  RATE_LIMITED: 'Too many attempts. Wait a minute, then try again.',
  SERVER_BUSY: 'The server is busy right now. Try again in a moment.',
  TOO_MANY_DEVICES: 'This account is signed in on too many devices. Log out on one of them first.',
  UNAUTHORIZED: 'Your session has ended. Please log in again.',
  DEVICE_NOT_FOUND: 'That device is no longer registered. Log in again.',
  NOT_FOUND: 'There is no user with that name.',
  QUEUE_FULL: 'Their inbox is full right now. Try again later.',
  PAYLOAD_TOO_LARGE: 'That message is too large to send.',
  INTERNAL: 'Something went wrong on the server. Try again.',
  TICKET_INVALID: "Couldn't open the live connection. Trying again.",
  BAD_SIGNATURE: "The server rejected this browser's keys. Log out and in again.",
  INVALID_KEY: "The server rejected this browser's keys. Log out and in again.",
  NO_IDENTITY_KEY: "This browser's keys aren't published yet. Log out and in again.",
  TOO_MANY_PREKEYS: 'The server already holds plenty of keys for this browser.',
  // Gateway-internal: a browser never calls these routes, but say something sane if it does.
  FORBIDDEN: 'The server refused that request.',
  CONNECTION_GONE: 'The live connection was lost. Reconnecting.',
  // The server did not understand us: an outdated page talking to a newer server.
  BAD_JSON: RELOAD,
  VALIDATION_FAILED: RELOAD,
  BAD_BASE64: RELOAD,
  UNSUPPORTED_MEDIA_TYPE: RELOAD,
  UNKNOWN_FRAME: RELOAD,
  UNSUPPORTED_VERSION: RELOAD,
  // Client (SDK)
  NETWORK_ERROR: "Can't reach the Susurro server. Check your connection.",
  NOT_LOGGED_IN: 'Please log in first.',
  NOT_REGISTERED: 'This browser has no keys yet. Please log in again.',
  ALREADY_REGISTERED:
    'This browser is set up for another account. Log in as that account, or erase this ' +
    "browser's data to use a different one.",
  UNTRUSTED_IDENTITY: 'Their safety number changed. Review it before sending.',
  NO_DEVICES: "They haven't finished setting up Susurro yet, so they can't receive messages.",
  INVALID_ARGUMENT: "That didn't work. Check what you entered.",
  WRONG_PASSPHRASE: "This browser's saved data can't be unlocked.",
  STORE_CORRUPT: "This browser's saved data is damaged.",
  STORE_LOCKED: 'Susurro is busy in another tab.',
  UNSUPPORTED_CONTENT: 'A message arrived in a format this version cannot show.',
  // Web client
  DEVICE_KEY_MISSING: "This browser's storage key is missing, so saved data can't be unlocked.",
  DEVICE_KEY_INVALID: "This browser's storage key doesn't match its saved data.",
  INSECURE_CONTEXT:
    'Susurro needs a secure connection. Open it over HTTPS (or on localhost) to use it.',
  STORAGE_FULL: 'This browser has no room left to store messages.',
  STORAGE_UNAVAILABLE:
    "This browser won't let Susurro store data (private browsing can do that). Try a normal window.",
  SELF: "That's you. Enter someone else's username.",
  MESSAGE_TOO_LONG: `Messages can be at most ${MAX_TEXT_BYTES.toLocaleString('en')} bytes long.`,
};

const FALLBACK = 'Something went wrong. Try again.';

/**
 * The stable code of an SDK/server error or a web-client error, or a code for the browser's
 * storage failures. Other families' codes (ProtocolError's INVALID_KEY is not the server's
 * INVALID_KEY) are not guessed at.
 */
export function errorCode(e: unknown): string | undefined {
  if (isClientError(e) || isWebClientError(e)) return e.code;
  if (e instanceof DOMException) {
    if (e.name === 'QuotaExceededError') return 'STORAGE_FULL';
    if (e.name === 'InvalidStateError' || e.name === 'SecurityError') return 'STORAGE_UNAVAILABLE';
  }
  return undefined;
}

export function wordsForCode(code: string | undefined): string {
  return (code !== undefined ? WORDS[code] : undefined) ?? FALLBACK;
}

export function describeError(e: unknown): string {
  // A web-client error may carry its own, more precise sentence (e.g. form validation).
  if (isWebClientError(e) && e.message !== e.code) return e.message;
  const code = errorCode(e);
  if (code === undefined) return FALLBACK;
  // 5xx without a catalogue code (e.g. a proxy's 502) reads like the server being down.
  if (WORDS[code] === undefined && /^HTTP_5\d\d$/.test(code)) return WORDS.SERVER_BUSY!;
  return wordsForCode(code);
}
