// The HTTP side of the emulator: what API Gateway puts on the wire (ids, headers, error
// responses) and the small request/response helpers its handlers share.
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** API Gateway connection ids look like `L0SM9cOFvHcCIhw=`: 11 random bytes in base64. */
export function newConnectionId(): string {
  return randomBytes(11).toString('base64').replace(/\//g, '_').replace(/\+/g, '-');
}

export function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  }
  return headers;
}

export function multiHeaders(req: IncomingMessage): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v : [v];
  }
  return headers;
}

export function rejectUpgrade(
  socket: Duplex,
  status: number,
  body: string | object | undefined,
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? {});
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n` +
      `x-amzn-RequestId: ${randomUUID()}\r\n` +
      'Connection: close\r\n\r\n' +
      text,
  );
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: object,
  errorType?: string,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(errorType !== undefined && { 'x-amzn-errortype': errorType }),
  });
  res.end(text);
}

/** The request body, or undefined if it exceeds `limit` bytes (the rest is drained). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return size > limit ? undefined : Buffer.concat(chunks);
}
