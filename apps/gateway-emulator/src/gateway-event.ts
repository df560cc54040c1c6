/**
 * The event objects API Gateway hands a WebSocket API's integrations (`$connect`,
 * `$disconnect` and message routes), with the `requestContext` fields our handlers and the
 * AWS docs' examples use.
 */
import { randomBytes } from 'node:crypto';
import type { WebSocketRouteEvent } from '@susurro/server/gateway';

const API_ID = 'local';

/** Which API the event comes from. */
export interface GatewayApi {
  readonly stage: string;
  readonly domainName: string;
}

export function gatewayEvent(
  api: GatewayApi,
  connectionId: string,
  routeKey: string,
  eventType: 'CONNECT' | 'DISCONNECT' | 'MESSAGE',
  now: number,
  rest: Record<string, unknown>,
  client: { sourceIp: string; userAgent: string; connectedAt?: number },
  extra: Record<string, unknown> = {},
): WebSocketRouteEvent {
  const requestId = randomBytes(6).toString('base64url');
  return {
    ...rest,
    requestContext: {
      routeKey,
      eventType,
      ...(eventType === 'MESSAGE' && { messageId: randomBytes(6).toString('base64url') }),
      extendedRequestId: requestId,
      requestTime: new Date(now).toUTCString(),
      messageDirection: 'IN',
      stage: api.stage,
      connectedAt: client.connectedAt ?? now,
      requestTimeEpoch: now,
      identity: { sourceIp: client.sourceIp, userAgent: client.userAgent },
      requestId,
      domainName: api.domainName,
      connectionId,
      apiId: API_ID,
      ...extra,
    },
  } as WebSocketRouteEvent;
}
