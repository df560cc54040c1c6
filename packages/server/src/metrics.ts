import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics on a registry of our own (not prom-client's global one), so several
 * servers can live in one test process. Labels never carry user data: only codes, routes,
 * transports.
 */
export function createMetrics(queueDepth: () => Promise<number>) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'susurro_' });
  const registers = [registry];
  return {
    registry,
    connections: new Gauge({
      name: 'susurro_ws_connections',
      help: 'Open authenticated WebSocket connections.',
      registers,
    }),
    messagesReceived: new Counter({
      name: 'susurro_messages_received_total',
      help: 'Envelopes stored (duplicates excluded), by transport.',
      labelNames: ['transport'] as const,
      registers,
    }),
    messagesDelivered: new Counter({
      name: 'susurro_messages_delivered_total',
      help: 'Envelopes pushed to a recipient connection (redeliveries included).',
      registers,
    }),
    messagesAcked: new Counter({
      name: 'susurro_messages_acked_total',
      help: 'Envelopes acked by their recipient and deleted.',
      registers,
    }),
    deliveryLatency: new Histogram({
      name: 'susurro_delivery_latency_seconds',
      help: 'Time from durable enqueue to push to the recipient (includes offline time).',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 10, 60, 3600],
      registers,
    }),
    errors: new Counter({
      name: 'susurro_errors_total',
      help: 'Errors returned to clients, by stable error code.',
      labelNames: ['code'] as const,
      registers,
    }),
    httpRequests: new Counter({
      name: 'susurro_http_requests_total',
      help: 'HTTP requests by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'] as const,
      registers,
    }),
    queueDepth: new Gauge({
      name: 'susurro_queue_depth',
      help: 'Messages stored and not yet acked, all devices.',
      registers,
      async collect() {
        this.set(await queueDepth());
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
