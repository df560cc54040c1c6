/**
 * Route targets of the emulated WebSocket API and how a client message reaches one: an HTTP
 * proxy integration (POST of the body, the connection id as a header) or a Lambda handler
 * called in process.
 */
import type { WebSocketHandler, WebSocketRouteEvent } from '@susurro/server/gateway';

/** What a route does with a client message. */
export type RouteTarget =
  /** HTTP proxy integration: POST the body, with request parameters as headers. */
  | { readonly kind: 'http'; readonly url: string; readonly headers?: Record<string, string> }
  | { readonly kind: 'lambda'; readonly handler: WebSocketHandler };

/** API Gateway's integration timeout. */
const INTEGRATION_TIMEOUT_MS = 29_000;

/**
 * Hands `event` to `target`; resolves whether it succeeded as API Gateway judges it (a 5xx, a
 * throw or a timeout is a failure, which the client hears about). Never rejects.
 */
export async function integrate(
  target: RouteTarget,
  event: WebSocketRouteEvent,
  log: (line: string) => void,
): Promise<boolean> {
  const { routeKey, connectionId } = event.requestContext;
  try {
    if (target.kind === 'lambda') return (await target.handler(event)).statusCode < 500;
    const response = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...target.headers,
        'x-connection-id': connectionId,
      },
      body: event.body ?? '',
      signal: AbortSignal.timeout(INTEGRATION_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    if (!response.ok) log(`${routeKey} integration answered ${response.status}`);
    return response.status < 500;
  } catch (e) {
    log(`${routeKey} integration failed: ${String(e)}`);
    return false;
  }
}
