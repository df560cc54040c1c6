// `npm run dev -w @susurro/web`: Vite dev server with hot reload; API and WebSocket are proxied
// to SUSURRO_SERVER (default http://127.0.0.1:8080, i.e. `make run`).
import { createServer } from 'vite';
import { webViteConfig } from './vite-config.ts';

const server = await createServer(
  webViteConfig({ command: 'serve', serverUrl: process.env.SUSURRO_SERVER }),
);
await server.listen();
server.printUrls();
