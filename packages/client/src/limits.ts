/** Every client-side limit and schedule in one place (STYLE §2), each with its trade-off. */

/** Signal refills below 10: fewer means a burst of new contacts falls back to SPK-only X3DH. */
export const ONE_TIME_PREKEY_REFILL_THRESHOLD = 10;
/** Keys per upload; the server accepts at most 100 per request. */
export const ONE_TIME_PREKEY_BATCH = 100;
/** Signal rotates the signed prekey every 2 days: shorter limits exposure of a stolen SPK. */
export const SIGNED_PREKEY_ROTATION_MS = 2 * 24 * 60 * 60 * 1000;
/**
 * Old signed prekeys stay usable this long after rotation so initial messages already in
 * flight (offline recipients) still decrypt; longer weakens forward secrecy of SPK-only X3DH.
 */
export const SIGNED_PREKEY_GRACE_MS = 30 * 24 * 60 * 60 * 1000;
/**
 * Earlier sessions kept per peer device (libsignal keeps 40 "previous states"). When both
 * sides start a session at once, each answers the other's X3DH and the two end up current on
 * different sessions; messages under the other one still decrypt with a kept state, which then
 * becomes current, so the pair converges instead of failing.
 */
export const MAX_PREVIOUS_SESSIONS = 4;
/** Message ids remembered to drop duplicates (at-least-once delivery). */
export const PROCESSED_ID_MEMORY = 10_000;
/** Reconnect backoff: first retry after ~0.5 s, doubling, capped at 30 s, with full jitter. */
export const RECONNECT_BASE_MS = 500;
export const RECONNECT_MAX_MS = 30_000;
/** Heartbeat well inside API Gateway's 10-minute idle timeout and common proxies' 60 s. */
export const HEARTBEAT_INTERVAL_MS = 25_000;
/** A heartbeat unanswered this long means the connection is dead: reconnect. */
export const HEARTBEAT_TIMEOUT_MS = 10_000;
/** Longest text message, in UTF-8 bytes; keeps the encrypted envelope inside a 32 KB frame. */
export const MAX_TEXT_BYTES = 16 * 1024;
/**
 * scrypt cost for the at-rest key: OWASP's N = 2^17, r = 8, p = 1 (128 MiB). A stolen store
 * is attacked offline, so this is the only brake on guessing; unlocking costs ~0.4 s once.
 */
export const STORE_KDF_LOG_N = 17;
/**
 * After a transient send failure (network, rate limit, busy server), the outbox tries again
 * this often. Reconnects flush it at once anyway; shorter would hammer a busy server.
 */
export const OUTBOX_RETRY_MS = 5_000;
