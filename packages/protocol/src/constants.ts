/**
 * Every protocol constant and DoS/retention limit in one place (STYLE §2), each with its
 * trade-off. Values marked "Signal" match libsignal's `consts.rs`.
 */

/** Encode(PK) type byte for Curve25519 (X3DH §2.5; Signal's DJB_TYPE). */
export const CURVE25519_KEY_TYPE = 0x05;
export const PUBLIC_KEY_LENGTH = 32;
export const ENCODED_PUBLIC_KEY_LENGTH = 33;
export const PRIVATE_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

/** X3DH §2.1 "info": names the application and its primitives; changing it breaks every session. */
export const X3DH_INFO = 'Susurro_X3DH_Curve25519_SHA-256_v1';
/** Double Ratchet §5.2 KDF_RK info. */
export const ROOT_KDF_INFO = 'Susurro_Ratchet_v1';
/** Info for deriving the AEAD key and nonce from a message key (Double Ratchet §5.2 ENCRYPT). */
export const MESSAGE_KEYS_INFO = 'Susurro_MessageKeys_v1';

/** AES-256-GCM: 32-byte key, 12-byte nonce, 16-byte tag. A message key is used exactly once. */
export const AEAD_KEY_LENGTH = 32;
export const AEAD_NONCE_LENGTH = 12;
export const AEAD_TAG_LENGTH = 16;

/**
 * Signal: a single message may skip at most 25 000 keys in one chain. Higher tolerates longer
 * loss bursts; lower bounds the HMAC work an attacker can force with one forged header.
 */
export const MAX_FORWARD_JUMPS = 25_000;
/** Signal: at most 2 000 skipped message keys kept per receiving chain (oldest evicted first). */
export const MAX_SKIPPED_KEYS_PER_CHAIN = 2_000;
/** Signal: skipped keys are kept for at most 5 receiving chains (older chains are forgotten). */
export const MAX_RECEIVER_CHAINS = 5;

/** Upper bound on a plaintext we encrypt: well over API Gateway's 128 KB message limit. */
export const MAX_PLAINTEXT_LENGTH = 256 * 1024;
/** Upper bound on any wire message we parse, so a hostile length prefix cannot allocate much. */
export const MAX_WIRE_MESSAGE_LENGTH = MAX_PLAINTEXT_LENGTH + 1024;
