import { defineConfig } from 'vitest/config';

// Browser end-to-end tests (`npm run e2e`, run by `make test-e2e`): real daphne + PostgreSQL + Redis,
// driven through Debian's Chromium with playwright-core. Kept apart from the unit tests (`npm test`).
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    globalSetup: ['e2e/harness/global-setup.ts'],
    // One server, shared demo data: the files run one after the other, their tests in order.
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    retry: 0,
  },
});
