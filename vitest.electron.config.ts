import { defineConfig } from 'vitest/config';

// The real desktop app (needs Electron's binary, downloaded once; see test/electron/smoke.electron.test.ts).
export default defineConfig({
  test: {
    include: ['test/electron/**/*.electron.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    pool: 'forks',
  },
});
