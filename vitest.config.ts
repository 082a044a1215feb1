import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Tests under test/server, test/simulators and test/scripts that start nothing (no server, child process, PostgreSQL or
 * Redis): they run with the unit project. Every other test there is an integration test, so a new file that starts a
 * server lands in the right project without being listed.
 */
const PURE_OUTSIDE_SHARED = [
  'test/scripts/fonts.test.ts',
  'test/server/case-sql.test.ts',
  'test/server/checkpoint-encoding.test.ts',
  'test/server/drill-summary.test.ts',
  'test/server/drills-records.test.ts',
  'test/server/env.test.ts',
  'test/server/failsafe.test.ts',
  'test/server/outbox-key.test.ts',
  'test/server/read-model-memory.test.ts',
  'test/server/review-history.test.ts',
  'test/server/walls-peers.test.ts',
  'test/simulators/calibration.test.ts',
  'test/simulators/day.test.ts',
  'test/simulators/desk.test.ts',
  'test/simulators/random.test.ts',
  'test/simulators/scenarios.test.ts',
  'test/simulators/sources.test.ts',
];

export default defineConfig({
  // `@shared/…` is the domain folder, as in tsconfig.base.json's paths (every project extends this).
  resolve: { alias: { '@shared': fileURLToPath(new URL('./shared', import.meta.url)) } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Browser and integration suites start real servers; files run in parallel on the two cores, tests within a file in order.
    fileParallelism: true,
    maxWorkers: 2,
    // The app logs JSON lines at LOG_LEVEL: in tests only warnings and errors, unless asked (tests that assert what is
    // logged inject their own logger).
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    // `npm run test:unit` while working (seconds); `test:integration` starts real servers, PostgreSQL and Redis;
    // `test:e2e` drives the built pages in Chromium (`npm run build` first).
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/shared/**/*.test.ts', ...PURE_OUTSIDE_SHARED] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/server/**/*.test.ts', 'test/simulators/**/*.test.ts', 'test/scripts/**/*.test.ts'],
          exclude: PURE_OUTSIDE_SHARED,
        },
      },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
    ],
  },
});
