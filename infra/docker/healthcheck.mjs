// Container health probe (Docker HEALTHCHECK and the ECS task definition): GET /healthz on this
// container's own port, exit 0 on HTTP 200 and 1 otherwise. It checks liveness, not identity,
// so with TLS_CERT set it accepts the server's certificate whatever its name or issuer.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const TIMEOUT_MS = 3000;
const env = process.env;
const port = Number(env.PORT ?? '8080');
const bindHost = env.HOST ?? '127.0.0.1';
// A wildcard bind is reachable on loopback; a specific address only on itself.
const host = bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost;
const tls = (env.TLS_CERT ?? '') !== '';

const request = tls ? httpsRequest : httpRequest;
const req = request(
  { host, port, path: '/healthz', method: 'GET', timeout: TIMEOUT_MS, rejectUnauthorized: false },
  (res) => {
    res.resume();
    process.exit(res.statusCode === 200 ? 0 : 1);
  },
);
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
req.end();
