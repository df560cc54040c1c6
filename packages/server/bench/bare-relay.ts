/**
 * The baseline: a bare `ws` relay with no auth and no storage. Clients connect with `?id=N`.
 * It does the same frame work as the real protocol, minus auth and storage, so the comparison
 * prices exactly those: each `send` frame is parsed, answered with a serialised `sent` ack to
 * the sender and forwarded as a serialised `message` frame to client `to`; the recipient's
 * `ack` frame is parsed too (and dropped: there is nothing to delete). An earlier version
 * skipped the `sent` ack and the recipient's ack, so it did half the frame work per message
 * (and its load generator half the client work) and looked 2–3× faster than a fair relay.
 * Frame shapes match the real server so one load generator drives both.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export async function startBareRelay(port: number): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => res.end('relay'));
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  const clients = new Map<string, WebSocket>();
  let serverId = 0;
  wss.on('connection', (ws, req) => {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
    clients.set(id, ws);
    ws.on('close', () => clients.delete(id));
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as {
        type: string;
        id: string;
        to: string;
        body: string;
      };
      if (frame.type !== 'send') return; // `ack`: parsed, nothing to do without storage
      const sid = String(++serverId);
      ws.send(
        JSON.stringify({ v: 1, type: 'sent', id: frame.id, serverId: sid, duplicate: false }),
      );
      clients.get(frame.to)?.send(
        JSON.stringify({
          v: 1,
          type: 'message',
          serverId: sid,
          id: frame.id,
          from: id,
          fromDevice: 1,
          body: frame.body,
          sentAt: 0,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
