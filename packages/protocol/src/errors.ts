/**
 * The protocol package's one error family (STYLE §4). Callers branch on `code`, never on
 * the message text; messages name the field that was wrong and never include key material.
 */
export const PROTOCOL_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'INVALID_KEY',
  'INVALID_SIGNATURE',
  'LOW_ORDER_POINT',
  'MALFORMED_MESSAGE',
  'UNSUPPORTED_VERSION',
  'UNKNOWN_PREKEY',
  'DECRYPTION_FAILED',
  'DUPLICATE_MESSAGE',
  'TOO_MANY_SKIPPED_MESSAGES',
  'MALFORMED_SESSION_STATE',
  'SESSION_NOT_READY',
] as const;

export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Narrowing guard: `isProtocolError(e, 'DUPLICATE_MESSAGE')`. */
export function isProtocolError(e: unknown, code?: ProtocolErrorCode): e is ProtocolError {
  return e instanceof ProtocolError && (code === undefined || e.code === code);
}
