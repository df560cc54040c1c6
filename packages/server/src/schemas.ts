/**
 * JSON Schemas shared by the HTTP routes (fastify validates with them and the OpenAPI document
 * is built from them) and the WebSocket frames (validated with Ajv). Inputs are checked here,
 * where they enter; past this edge types are trusted (STYLE §3). Base64 contents are *not*
 * checked by pattern: decoding does that and answers BAD_BASE64, a more useful code.
 */
import {
  MAX_CLIENT_MESSAGE_ID_LENGTH,
  MAX_PREKEYS_PER_UPLOAD,
  PASSWORD_MAX_BYTES,
  USERNAME_MAX_LENGTH,
} from './limits.ts';

const UINT32_MAX = 0xffff_ffff;
const DEVICE_ID_MAX = 0x7fff_ffff;

// Raw input: NFKC may shrink full-width characters, so allow some slack before normalising.
export const usernameInput = {
  type: 'string',
  minLength: 1,
  maxLength: 4 * USERNAME_MAX_LENGTH,
} as const;
export const passwordInput = {
  type: 'string',
  minLength: 1,
  maxLength: PASSWORD_MAX_BYTES,
} as const;
export const deviceId = { type: 'integer', minimum: 1, maximum: DEVICE_ID_MAX } as const;
export const keyId = { type: 'integer', minimum: 0, maximum: UINT32_MAX } as const;
/** Base64 of a 33-byte key is 44 chars; a little slack lets bad lengths reach INVALID_KEY. */
export const base64Key = { type: 'string', minLength: 1, maxLength: 128 } as const;
export const base64Signature = { type: 'string', minLength: 1, maxLength: 256 } as const;
export const clientMessageId = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_CLIENT_MESSAGE_ID_LENGTH,
  pattern: '^[A-Za-z0-9._:-]+$',
} as const;
/** A server id as a client hands it back (an ack); ids the server never issued match nothing. */
export const serverIdInput = { type: 'string', minLength: 1, maxLength: 64 } as const;
/** Size is enforced after decoding (PAYLOAD_TOO_LARGE), the frame/body caps bound it first. */
export const base64Body = { type: 'string', minLength: 1 } as const;

export const signedPreKey = {
  type: 'object',
  required: ['keyId', 'publicKey', 'signature'],
  additionalProperties: false,
  properties: { keyId, publicKey: base64Key, signature: base64Signature },
} as const;

export const oneTimePreKey = {
  type: 'object',
  required: ['keyId', 'publicKey'],
  additionalProperties: false,
  properties: { keyId, publicKey: base64Key },
} as const;

export const oneTimePreKeys = {
  type: 'array',
  maxItems: MAX_PREKEYS_PER_UPLOAD,
  items: oneTimePreKey,
} as const;

/** The envelope a sender submits, over WebSocket (`send` frame) or HTTP. */
export const envelopeProperties = {
  id: clientMessageId,
  to: usernameInput,
  deviceId,
  body: base64Body,
} as const;

export const errorBody = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' } },
} as const;
