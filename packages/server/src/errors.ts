/**
 * The server's one error family (STYLE §4). Every failure a client can see has a stable `code`
 * from this catalogue; clients branch on the code, never on the message. The catalogue also
 * fixes each code's HTTP status, so HTTP and WebSocket agree (see `error-response.ts`, the one
 * place errors become wire responses).
 */
export const ERROR_CATALOGUE = {
  BAD_JSON: { status: 400, message: 'The body is not valid JSON.' },
  VALIDATION_FAILED: { status: 400, message: 'The request does not match its schema.' },
  BAD_BASE64: { status: 400, message: 'A field is not valid standard base64.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send application/json.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request or frame is too large.' },
  UNAUTHORIZED: { status: 401, message: 'A valid bearer token is required.' },
  INVALID_CREDENTIALS: { status: 401, message: 'Wrong username or password.' },
  TICKET_INVALID: { status: 401, message: 'The WebSocket ticket is unknown, used or expired.' },
  USERNAME_TAKEN: { status: 409, message: 'That username is taken.' },
  INVALID_USERNAME: {
    status: 400,
    message: 'Usernames are 3-32 characters: lowercase letters, digits, underscore.',
  },
  WEAK_PASSWORD: { status: 400, message: 'The password is too short or too long.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; retry later.' },
  BAD_SIGNATURE: { status: 400, message: 'The signed prekey signature does not verify.' },
  INVALID_KEY: { status: 400, message: 'A public key is malformed or a low-order point.' },
  NO_IDENTITY_KEY: { status: 409, message: 'Upload an identity key and signed prekey first.' },
  TOO_MANY_PREKEYS: { status: 409, message: 'The device stores too many one-time prekeys.' },
  TOO_MANY_DEVICES: { status: 409, message: 'The account has too many devices.' },
  FORBIDDEN: { status: 403, message: 'This route is for the API Gateway integration only.' },
  CONNECTION_GONE: { status: 410, message: 'The gateway connection is unknown or closed.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  DEVICE_NOT_FOUND: { status: 404, message: 'The recipient has no such device.' },
  QUEUE_FULL: { status: 429, message: "The recipient device's queue is full." },
  UNKNOWN_FRAME: { status: 400, message: 'Unknown frame type.' },
  UNSUPPORTED_VERSION: { status: 400, message: 'Unsupported frame version.' },
  SERVER_BUSY: { status: 503, message: 'The server is busy or shutting down; retry later.' },
  INTERNAL: { status: 500, message: 'Internal server error.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

export class ServerError extends Error {
  override readonly name = 'ServerError';
  readonly code: ErrorCode;
  /** Seconds a client should wait before retrying (429/503), surfaced as `Retry-After`. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string = ERROR_CATALOGUE[code].message,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }
}

/** Narrowing guard: `isServerError(e, 'RATE_LIMITED')`. */
export function isServerError(e: unknown, code?: ErrorCode): e is ServerError {
  return e instanceof ServerError && (code === undefined || e.code === code);
}
