import { defineConfig } from 'vitest/config';

// Unit and integration tests: plain Node, no Electron, no browser.
export default defineConfig({
  test: {
    include: ['test/core/**/*.test.ts', 'test/main/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
