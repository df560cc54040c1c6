/**
 * The client SDK's error family (STYLE §4). Errors the server returned keep the server's
 * stable code in `code` (e.g. USERNAME_TAKEN) with `source: 'server'`; the SDK's own codes
 * are listed here. UIs map codes to words; nobody matches on message text.
 */
export const CLIENT_ERROR_CODES = [
  'NOT_REGISTERED',
  'NOT_LOGGED_IN',
  'ALREADY_REGISTERED',
  'WRONG_PASSPHRASE',
  'STORE_CORRUPT',
  'STORE_LOCKED',
  'UNTRUSTED_IDENTITY',
  'NO_DEVICES',
  'NETWORK_ERROR',
  'INVALID_ARGUMENT',
  'UNSUPPORTED_CONTENT',
] as const;

export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

export class ClientError extends Error {
  override readonly name = 'ClientError';

  constructor(
    /** A ClientErrorCode, or the server's stable error code when `source` is 'server'. */
    readonly code: ClientErrorCode | (string & {}),
    message: string,
    options?: { cause?: unknown; source?: 'client' | 'server'; status?: number },
  ) {
    super(message, options);
    this.source = options?.source ?? 'client';
    this.status = options?.status;
  }

  readonly source: 'client' | 'server';
  /** HTTP status for server errors. */
  readonly status: number | undefined;
}

export function isClientError(
  e: unknown,
  code?: ClientErrorCode | (string & {}),
): e is ClientError {
  return e instanceof ClientError && (code === undefined || e.code === code);
}
