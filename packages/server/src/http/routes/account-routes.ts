import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { AccountService } from '../../accounts/account-service.ts';
import type { ChatService } from '../../chat/chat-service.ts';
import { deviceId, passwordInput, usernameInput } from '../../schemas.ts';
import { bearerToken, principalOf } from '../auth.ts';
import { BEARER, errorResponses, obj } from './route-kit.ts';

export function accountRoutes(
  app: FastifyInstance,
  accounts: AccountService,
  chat: ChatService | undefined,
  auth: preHandlerAsyncHookHandler,
  /** Where clients open the WebSocket: this server's path, or the gateway's URL. */
  wsUrl: string,
): void {
  app.post(
    '/v1/accounts',
    {
      schema: {
        summary: 'Register an account (RF01)',
        tags: ['accounts'],
        body: obj({ username: usernameInput, password: passwordInput }),
        response: {
          201: obj({ username: { type: 'string' } }),
          ...errorResponses(400, 409, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body as { username: string; password: string };
      return reply.status(201).send(await accounts.register(username, password, request.ip));
    },
  );

  app.post(
    '/v1/sessions',
    {
      schema: {
        summary: 'Log in a device (RF02)',
        description:
          'Returns a bearer token for one device. Omit deviceId on a new install: a device is ' +
          'created and its id returned; pass it on later logins from the same install.',
        tags: ['accounts'],
        body: obj({ username: usernameInput, password: passwordInput, deviceId }, [
          'username',
          'password',
        ]),
        response: {
          200: obj({
            token: { type: 'string' },
            expiresAt: { type: 'integer', description: 'epoch ms' },
            username: { type: 'string' },
            deviceId: { type: 'integer' },
          }),
          ...errorResponses(400, 401, 404, 409, 429, 503),
        },
      },
    },
    async (request) => {
      const body = request.body as { username: string; password: string; deviceId?: number };
      return accounts.login(body.username, body.password, body.deviceId, request.ip);
    },
  );

  app.delete(
    '/v1/sessions/current',
    {
      preHandler: auth,
      schema: {
        summary: 'Log out: revoke this token and close its WebSocket (4003)',
        tags: ['accounts'],
        security: BEARER,
        response: { 204: { type: 'null' }, ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      await accounts.logout(bearerToken(request));
      await chat?.closeDevice(principalOf(request));
      return reply.status(204).send();
    },
  );

  app.post(
    '/v1/ws-ticket',
    {
      preHandler: auth,
      schema: {
        summary: 'Get a single-use WebSocket ticket',
        description:
          'Open the WebSocket at `path` (resolved against this server, e.g. `/v1/ws`, or an ' +
          'absolute `wss://` URL when API Gateway holds the sockets) with `?ticket=…` within ' +
          '30 s; each ticket works once.',
        tags: ['accounts'],
        security: BEARER,
        response: {
          200: obj({
            ticket: { type: 'string' },
            expiresAt: { type: 'integer' },
            path: { type: 'string' },
          }),
          ...errorResponses(401),
        },
      },
    },
    async (request) => ({ ...(await accounts.issueTicket(principalOf(request))), path: wsUrl }),
  );
}
