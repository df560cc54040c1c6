import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { Envelope, MessageService } from '../../chat/message-service.ts';
import { encodeBase64 } from '../../encoding.ts';
import { MAX_UNACKED_DELIVERIES } from '../../limits.ts';
import type { Storage } from '../../storage/types.ts';
import { envelopeProperties, serverIdInput } from '../../schemas.ts';
import { principalOf } from '../auth.ts';
import { BEARER, errorResponses, obj } from './route-kit.ts';

const queued = obj({
  serverId: { type: 'string' },
  id: { type: 'string' },
  from: { type: 'string' },
  fromDevice: { type: 'integer' },
  body: { type: 'string' },
  sentAt: { type: 'integer' },
});

/** The HTTP equivalent of the WebSocket `send`, plus a pull/ack fallback for the queue. */
export function messageRoutes(
  app: FastifyInstance,
  messages: MessageService,
  storage: Storage,
  auth: preHandlerAsyncHookHandler,
): void {
  app.post(
    '/v1/messages',
    {
      preHandler: auth,
      schema: {
        summary: 'Send an encrypted envelope to one device (RF03)',
        description:
          "Answers once the envelope is durable in the recipient device's queue. Resending the " +
          'same id is idempotent (duplicate: true).',
        tags: ['messages'],
        security: BEARER,
        body: obj(envelopeProperties),
        response: {
          200: obj({
            id: { type: 'string' },
            serverId: { type: 'string' },
            duplicate: { type: 'boolean' },
          }),
          ...errorResponses(400, 401, 404, 413, 429),
        },
      },
    },
    async (request) => {
      const envelope = request.body as Envelope;
      const result = await messages.send(principalOf(request), envelope, 'http');
      return { id: envelope.id, ...result };
    },
  );

  app.get(
    '/v1/messages',
    {
      preHandler: auth,
      schema: {
        summary: "Read this device's queue (oldest first) without a WebSocket",
        tags: ['messages'],
        security: BEARER,
        querystring: obj({ after: { type: 'string', maxLength: 64 } }, []),
        response: {
          200: obj({ messages: { type: 'array', items: queued } }),
          ...errorResponses(401),
        },
      },
    },
    async (request) => {
      const { after } = request.query as { after?: string };
      const list = await storage.listMessages(principalOf(request), after, MAX_UNACKED_DELIVERIES);
      return {
        messages: list.map((m) => ({
          serverId: m.serverId,
          id: m.clientId,
          from: m.senderUsername,
          fromDevice: m.senderDeviceId,
          body: encodeBase64(m.body),
          sentAt: m.createdAt,
        })),
      };
    },
  );

  app.delete(
    '/v1/messages/:serverId',
    {
      preHandler: auth,
      schema: {
        summary: 'Ack (delete) a delivered message; idempotent',
        tags: ['messages'],
        security: BEARER,
        params: obj({ serverId: serverIdInput }),
        response: { 204: { type: 'null' }, ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      const { serverId } = request.params as { serverId: string };
      await messages.ack(principalOf(request), serverId);
      return reply.status(204).send();
    },
  );
}
