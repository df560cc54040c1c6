import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse } from '../error-response.ts';
import { ServerError, isServerError, type ErrorCode } from '../errors.ts';
import type { Metrics } from '../metrics.ts';

// Fastify's own failures (before our handlers run) translated into catalogue codes.
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
};

function toServerError(error: unknown): unknown {
  if (isServerError(error)) return error;
  const e = error as Partial<FastifyError> | null;
  if (e?.validation !== undefined) {
    return new ServerError('VALIDATION_FAILED', e.message, { cause: error });
  }
  const mapped = typeof e?.code === 'string' ? FASTIFY_CODES[e.code] : undefined;
  if (mapped !== undefined) return new ServerError(mapped, undefined, { cause: error });
  // Any other client error fastify raised (e.g. a malformed URL) is still the client's fault.
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new ServerError(e.statusCode === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED', undefined, {
      cause: error,
    });
  }
  return error;
}

/** HTTP side of the one error mapping: `{ code, message }` with the catalogue's status. */
export function sendError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  metrics: Metrics,
) {
  const response = toErrorResponse(toServerError(error), request.log);
  metrics.errors.inc({ code: response.code });
  if (response.retryAfterSeconds !== undefined) {
    void reply.header('retry-after', String(response.retryAfterSeconds));
  }
  if (response.status === 401 && response.code === 'UNAUTHORIZED') {
    void reply.header('www-authenticate', 'Bearer');
  }
  return reply.status(response.status).send({ code: response.code, message: response.message });
}
