/**
 * The baseline: a bare `ws` relay with no auth and no storage. Clients connect with `?id=N`;
 * a `send` frame is forwarded at once as a `message` frame to client `to`. Same frame shapes as
 * the real server so one load generator drives both.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export async function startBareRelay(port: number): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => res.end('relay'));
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  const clients = new Map<string, WebSocket>();
  wss.on('connection', (ws, req) => {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
    clients.set(id, ws);
    ws.on('close', () => clients.delete(id));
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as { id: string; to: string; body: string };
      clients.get(frame.to)?.send(
        JSON.stringify({
          v: 1,
          type: 'message',
          serverId: frame.id,
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
