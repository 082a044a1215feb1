import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Browser and integration suites start real servers; files run in parallel on the two cores, tests within a file in order.
    fileParallelism: true,
    maxWorkers: 2,
    // The app logs JSON lines at LOG_LEVEL: in tests only warnings and errors, unless asked (tests that assert what is
    // logged inject their own logger).
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  },
});
