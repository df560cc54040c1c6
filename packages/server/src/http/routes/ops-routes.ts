import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics.ts';
import type { Storage } from '../../storage/types.ts';
import type { OpenApiCollector } from '../openapi.ts';

const status = { type: 'object', properties: { status: { type: 'string' } } };

export function opsRoutes(
  app: FastifyInstance,
  deps: { storage: Storage; metrics: Metrics; openapi: OpenApiCollector; isReady: () => boolean },
): void {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process answers',
        tags: ['ops'],
        response: { 200: status },
      },
    },
    (_request, reply) => reply.send({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: storage reachable and not shutting down',
        tags: ['ops'],
        response: { 200: status, 503: status },
      },
    },
    async (request, reply) => {
      let ready = deps.isReady();
      if (ready) {
        try {
          await deps.storage.ping();
        } catch (e) {
          request.log.warn({ err: e }, 'storage ping failed');
          ready = false;
        }
      }
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready' });
    },
  );

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['ops'] } },
    async (_request, reply) => {
      const body = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(body);
    },
  );

  app.get(
    '/openapi.json',
    { schema: { summary: 'This OpenAPI document', tags: ['ops'] } },
    (_request, reply) => reply.send(deps.openapi.document('1')),
  );
}
