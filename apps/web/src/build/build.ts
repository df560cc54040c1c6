// `npm run build -w @susurro/web`: production build into apps/web/dist.
import { build } from 'vite';
import { webViteConfig } from './vite-config.ts';

await build(webViteConfig({ command: 'build' }));
