import { ERROR_CATALOGUE, ServerError, isServerError, type ErrorCode } from './errors.ts';

/** The part of a logger this needs; pino and fastify's request logger both fit. */
export interface ErrorLog {
  error(details: object, message: string): void;
}

export interface ErrorResponse {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
  readonly retryAfterSeconds: number | undefined;
}

/**
 * The one place an error becomes what a client sees, for HTTP and WebSocket alike. Anything
 * that is not a ServerError is a bug or an outage: it is logged in full here and the client
 * gets INTERNAL with the catalogue's generic message, never a stack, SQL or a path.
 */
export function toErrorResponse(error: unknown, log: ErrorLog): ErrorResponse {
  const known: ServerError = isServerError(error)
    ? error
    : new ServerError('INTERNAL', undefined, { cause: error });
  if (known.code === 'INTERNAL') {
    log.error({ err: known.cause ?? known }, 'internal error');
  }
  return {
    status: known.status,
    code: known.code,
    message: known.code === 'INTERNAL' ? ERROR_CATALOGUE.INTERNAL.message : known.message,
    retryAfterSeconds: known.retryAfterSeconds,
  };
}
