import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { AccountService } from '../accounts/account-service.ts';
import { ServerError } from '../errors.ts';
import type { Principal } from '../principal.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9_-]{16,128})$/;

export function bearerToken(request: FastifyRequest): string {
  const match = BEARER.exec(request.headers.authorization ?? '');
  if (match?.[1] === undefined) throw new ServerError('UNAUTHORIZED');
  return match[1];
}

/** preHandler for authenticated routes: resolves the bearer token to a principal. */
export function requireAuth(accounts: AccountService): preHandlerAsyncHookHandler {
  return async (request) => {
    request.principal = await accounts.authenticate(bearerToken(request));
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new ServerError('UNAUTHORIZED');
  return request.principal;
}
