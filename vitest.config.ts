import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';

// One runner for the whole repo: Node projects for every package, plus the protocol suite
// again inside headless Chromium (Debian's /usr/bin/chromium) to prove it is isomorphic.
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: [
            'packages/*/test/**/*.test.ts',
            'apps/*/test/**/*.test.ts',
            'infra/test/**/*.test.ts',
          ],
          testTimeout: 30_000,
          // Node 20 is supported here; the AWS SDK's notice about its future Node 22 floor is noise.
          env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        },
      },
      {
        test: {
          name: 'chromium',
          include: ['packages/protocol/test/**/*.test.ts'],
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: chromiumPath,
                args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
