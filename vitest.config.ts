import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@closedloop/source'] },
  ssr: { resolve: { conditions: ['@closedloop/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'examples/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/fail-on-console.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
