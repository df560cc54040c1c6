/** Every limit and delay of the web client in one place (STYLE §2), each with its trade-off. */

/**
 * scrypt cost for the vault. The passphrase is 256 random bits (storage/device-secret.ts), so
 * the KDF adds no guessing resistance; 2^10 (the vault's minimum) keeps unlock under ~10 ms
 * on a phone instead of the ~0.5 s the SDK's human-passphrase default would cost per load.
 */
export const WEB_VAULT_KDF_LOG_N = 10;
/** An in-app toast stays this long: long enough to read a preview, short enough not to pile up. */
export const TOAST_DURATION_MS = 6_000;
/** At most this many toasts at once; older ones are dropped first. */
export const MAX_TOASTS = 3;
/**
 * Keep asking for the single-tab lock this long before telling the user another tab holds
 * it. A reloading tab releases its lock a moment after the new page asks, so 0 would misfire.
 */
export const TAB_LOCK_GRACE_MS = 1_500;
/** How often to ask for the lock during that grace period. */
export const TAB_LOCK_RETRY_MS = 100;
/** Characters of a message shown in toasts, notifications and the conversation list. */
export const PREVIEW_CHARS = 80;
