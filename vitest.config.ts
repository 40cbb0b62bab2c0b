import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Tests that measure real time against a budget (worker processes draining jobs, leases, pacing,
 * processes killed mid-job): they run last, one file at a time, with nothing of ours beside them.
 */
const REAL_TIME = [
  'packages/server/test/scheduler/multi-worker.test.ts',
  'packages/server/test/scheduler/lease-extension.test.ts',
  'packages/server/test/scheduler/crash-safety.test.ts',
  'packages/server/test/compliance/rate-limits.test.ts',
  // The web app in a real browser, every file: pages wait for what the server does in real time.
  'packages/web/test/e2e/**/*.test.ts',
];

export default defineConfig({
  // Tests run against the sources of @textback/core, not its build.
  resolve: { alias: { '@textback/core': fileURLToPath(new URL('./packages/core/src/index.ts', import.meta.url)) } },
  test: {
    globalSetup: ['packages/server/test/support/global-setup.ts', 'packages/web/test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', './packages/server/test/support/summary-reporter.ts'] : ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'textback',
          include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...REAL_TIME],
          // A test file spends most of its time waiting (PostgreSQL, the processes it starts), so run
          // one more file than there are cores: vitest's default is one fewer, a single file at a time
          // on two cores. At most 4, to stay well within PostgreSQL's 100 connections.
          maxWorkers: Math.min(4, os.availableParallelism() + 1),
        },
      },
      { extends: true, test: { name: 'real-time', include: REAL_TIME, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
