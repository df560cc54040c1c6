import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Structured JSON logs (STYLE §13). Nothing secret may reach them: headers that carry
 * credentials are redacted, URLs are logged without their query string (a WebSocket ticket
 * rides there), and bodies (passwords, ciphertext) are never logged at all.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'susurro-server' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["sec-websocket-protocol"]',
          'res.headers["set-cookie"]',
          '*.password',
          '*.token',
          '*.ticket',
          '*.body',
        ],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: { method?: string; url?: string; id?: string; ip?: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url?.split('?')[0],
          ip: req.ip,
        }),
      },
    },
    destination,
  );
}
