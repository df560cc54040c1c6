/**
 * Every limit the server enforces, in one place, each with its trade-off (after libsignal's
 * consts.rs). Values here are production defaults; tests may pass smaller costs through
 * `Config`, never by editing these.
 */

const KIB = 1024;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// --- Wire sizes: API Gateway caps a WebSocket frame at 32 KB and a message at 128 KB. ---

/** Largest WebSocket frame we accept or emit; bigger frames would not cross API Gateway. */
export const MAX_FRAME_BYTES = 32 * KIB;
/** Frames above this are cut off by the WebSocket library (close 1009) before being buffered. */
export const MAX_WS_PAYLOAD_BYTES = 128 * KIB;
/**
 * Largest ciphertext per envelope. Base64 makes it 31 404 chars, leaving ~1.3 KiB of the 32 KiB
 * frame for JSON framing, ids and the sender's name on the delivery frame.
 */
export const MAX_ENVELOPE_BODY_BYTES = 23 * KIB;
/** HTTP JSON bodies: a full key upload (100 prekeys) is ~9 KiB; an envelope ~31 KiB. */
export const MAX_HTTP_BODY_BYTES = 64 * KIB;
/** Client-chosen message ids (UUIDs, ULIDs...). Long ids would eat into the frame budget. */
export const MAX_CLIENT_MESSAGE_ID_LENGTH = 64;

// --- Accounts ---

export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 32;
/** NIST SP 800-63B: at least 8 characters; longer minimums push users to patterns. */
export const PASSWORD_MIN_LENGTH = 8;
/** Caps hashing work on hostile input; far above any real passphrase. */
export const PASSWORD_MAX_BYTES = 1024;
/**
 * scrypt at OWASP's recommendation (N=2^17, r=8, p=1): ~128 MiB and ~0.2-0.4 s per hash here.
 * Cheaper makes offline guessing of a leaked database cheaper; dearer caps login throughput.
 */
export const SCRYPT_LOG2_N = 17;
export const SCRYPT_R = 8;
export const SCRYPT_P = 1;
/** Lowest cost the config accepts at all (tests only; startup warns below SCRYPT_LOG2_N). */
export const SCRYPT_MIN_LOG2_N = 10;
/**
 * Hashes run on libuv's 4 worker threads; at most this many at once (×128 MiB) and at most
 * PASSWORD_HASH_QUEUE_MAX waiting, so a login flood gets SERVER_BUSY instead of eating memory.
 */
export const PASSWORD_HASH_CONCURRENCY = 4;
export const PASSWORD_HASH_QUEUE_MAX = 64;
/**
 * Access tokens are device credentials, like Signal's: long-lived so a phone in a drawer keeps
 * working, revocable by logout. Shorter means more password prompts, longer more exposure.
 */
export const ACCESS_TOKEN_LIFETIME_MS = 30 * DAY;
/** WebSocket tickets ride in a URL, so they live just long enough to open the socket. */
export const WS_TICKET_LIFETIME_MS = 30 * SECOND;
/** Devices per account: multi-device without letting one account mint unbounded rows. */
export const MAX_DEVICES_PER_ACCOUNT = 16;

// --- Key directory ---

/** One-time prekeys per upload request (issue 3). Keeps a request well under the body cap. */
export const MAX_PREKEYS_PER_UPLOAD = 100;
/** Stored one-time prekeys per device: plenty between replenishments, bounded storage. */
export const MAX_STORED_PREKEYS_PER_DEVICE = 1000;

// --- Message queue and delivery ---

/** Queued (unacked) messages per device: an offline device cannot be used to fill the disk. */
export const MAX_QUEUED_MESSAGES_PER_DEVICE = 10_000;
/**
 * Deliveries sent but not yet acked per connection. Bounds memory for a slow or stalled reader
 * (≤ 100 × 32 KiB in flight); larger windows help only on high-latency links.
 */
export const MAX_UNACKED_DELIVERIES = 100;
/**
 * The same window in bytes. Kept at half of MAX_BUFFERED_BYTES_PER_CONNECTION so our own
 * deliveries can never make a reader look slow; a slow link just receives at its own pace.
 */
export const MAX_UNACKED_DELIVERY_BYTES = 512 * KIB;
/**
 * A socket with more unsent bytes than this is a slow consumer: closed (4002), queue kept.
 * Deliveries alone stay below it (byte window above); it catches clients that keep sending but
 * never read their acks.
 */
export const MAX_BUFFERED_BYTES_PER_CONNECTION = 1024 * KIB;
/**
 * Frames received but not yet handled per connection. At PAUSE_READING_AT_PENDING_FRAMES the
 * WebSocket transport stops reading the socket (TCP back-pressure slows a pipelining client
 * down without errors); MAX_PENDING_FRAMES_PER_CONNECTION is the backstop for transports that
 * cannot pause (API Gateway): frames beyond it get RATE_LIMITED.
 */
export const PAUSE_READING_AT_PENDING_FRAMES = 64;
export const MAX_PENDING_FRAMES_PER_CONNECTION = 1024;
/**
 * Recipient names → account ids kept in memory by the send path (usernames never change and
 * accounts are never renamed, so an entry cannot go stale). Saves a storage read per message;
 * ~100 bytes per entry, oldest dropped first beyond this.
 */
export const MAX_CACHED_RECIPIENTS = 10_000;
/**
 * How long a (sender, id) pair is remembered after the recipient acked it, so a late retry is
 * acked again instead of delivered twice. Clients still drop duplicates by id after that.
 */
export const DEDUPE_WINDOW_MS = 7 * DAY;

// --- Liveness ---

/** Protocol-level ping; a socket that misses one pong is terminated. */
export const HEARTBEAT_INTERVAL_MS = 30 * SECOND;
/** API Gateway drops idle sockets after 10 min; clients must heartbeat well within it. */
export const CLIENT_HEARTBEAT_MAX_INTERVAL_MS = 10 * MINUTE;
/** SIGTERM grace: in-flight frames finish and sockets close with 1001 before we exit. */
export const SHUTDOWN_GRACE_MS = 10 * SECOND;
/** Expired sessions, tickets and dedupe records are swept this often. */
export const SWEEP_INTERVAL_MS = 10 * MINUTE;

// --- Rate limits (token buckets: `burst` requests, refilled at `perSecond`) ---

export interface RateLimit {
  readonly burst: number;
  readonly perSecond: number;
}

/**
 * Login and registration per client IP: generous for NAT'd offices, hard on credential
 * stuffing; hashing capacity (~5-10 hashes/s) is the real ceiling anyway.
 */
export const LOGIN_PER_IP: RateLimit = { burst: 20, perSecond: 20 / 60 };
/**
 * Login per target username: 10 guesses then one every 30 s. An attacker can use this to slow
 * a victim's own logins (lockout), the price of stopping online guessing.
 */
export const LOGIN_PER_USERNAME: RateLimit = { burst: 10, perSecond: 1 / 30 };
export const REGISTER_PER_IP: RateLimit = { burst: 10, perSecond: 10 / 3600 };
/**
 * Bundle fetches per requesting account: each may consume a one-time prekey, so this bounds
 * how fast one account can drain someone's prekeys (X3DH still works without one).
 */
export const BUNDLE_FETCH_PER_ACCOUNT: RateLimit = { burst: 60, perSecond: 1 };
/** Messages per sending device; above human use, below what would flood a queue quickly. */
export const SEND_PER_DEVICE: RateLimit = { burst: 2000, perSecond: 1000 };
/** Distinct rate-limit keys held in memory; oldest are evicted first beyond this. */
export const MAX_RATE_LIMIT_KEYS = 100_000;

export interface RateLimits {
  readonly loginPerIp: RateLimit;
  readonly loginPerUsername: RateLimit;
  readonly registerPerIp: RateLimit;
  readonly bundleFetchPerAccount: RateLimit;
  readonly sendPerDevice: RateLimit;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  loginPerIp: LOGIN_PER_IP,
  loginPerUsername: LOGIN_PER_USERNAME,
  registerPerIp: REGISTER_PER_IP,
  bundleFetchPerAccount: BUNDLE_FETCH_PER_ACCOUNT,
  sendPerDevice: SEND_PER_DEVICE,
};
