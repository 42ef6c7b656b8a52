import { defineConfig } from 'vitest/config';

// End-to-end: Debian's chromium driven by playwright-core against the built renderer
// (a fake bridge, and the real loopback studio). One file at a time: one browser each.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default'],
  },
});
