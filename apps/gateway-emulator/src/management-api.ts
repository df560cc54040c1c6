/**
 * The emulator's `@connections` management API (`/{stage}/@connections/{connectionId}`), as
 * the unmodified AWS SDK client calls it: POST sends to the connection, GET describes it,
 * DELETE ends it; an unknown or closed connection answers 410 with
 * `x-amzn-errortype: GoneException`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import { readBody, sendJson } from './http-wire.ts';

const MANAGEMENT_PATH = /^\/([^/]+)\/@connections\/([^/?]+)$/;

/** What the management API reads of a connection. */
export interface ManagedConnection {
  readonly ws: WebSocket;
  readonly connectedAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly lastActiveAt: number;
  readonly closed: boolean;
}

export interface ManagementHost<C extends ManagedConnection> {
  readonly stage: string;
  /** The largest POST body (API Gateway's message limit). */
  readonly messageBytes: number;
  connection(id: string): C | undefined;
  /** Ends a connection as a DELETE asks (close 1000, then `$disconnect`). */
  drop(connection: C): Promise<void>;
}

export async function serveManagement<C extends ManagedConnection>(
  req: IncomingMessage,
  res: ServerResponse,
  host: ManagementHost<C>,
): Promise<void> {
  const match = MANAGEMENT_PATH.exec((req.url ?? '/').split('?')[0] ?? '/');
  if (match === null || match[1] !== host.stage) {
    sendJson(res, 404, { message: 'Not Found' }, 'NotFoundException');
    return;
  }
  const connection = host.connection(decodeURIComponent(match[2] ?? ''));
  const body = await readBody(req, host.messageBytes);
  if (connection === undefined || connection.closed) {
    sendJson(res, 410, { message: null }, 'GoneException');
    return;
  }
  switch (req.method) {
    case 'POST':
      if (body === undefined) {
        sendJson(res, 413, { message: 'Request entity too large' }, 'PayloadTooLargeException');
        return;
      }
      connection.ws.send(body.toString('utf8'));
      res.writeHead(200).end();
      return;
    case 'GET':
      // The wire names are camelCase (the SDK maps them to ConnectedAt, Identity, …).
      sendJson(res, 200, {
        connectedAt: new Date(connection.connectedAt).toISOString(),
        identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
        lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
      });
      return;
    case 'DELETE':
      res.writeHead(204).end();
      await host.drop(connection);
      return;
    default:
      sendJson(res, 405, { message: 'Method Not Allowed' });
  }
}
