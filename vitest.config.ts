import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests run against the sources of @textback/core, not its build.
  resolve: { alias: { '@textback/core': fileURLToPath(new URL('./packages/core/src/index.ts', import.meta.url)) } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    globalSetup: ['packages/server/test/support/global-setup.ts'],
    pool: 'forks',
    // A test file spends most of its time waiting (PostgreSQL, the processes it starts), so run one
    // more file than there are cores: vitest's default is one fewer, a single file at a time on two
    // cores. At most 4, to stay well within PostgreSQL's 100 connections (a file may hold a few pools).
    maxWorkers: Math.min(4, os.availableParallelism() + 1),
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', './packages/server/test/support/summary-reporter.ts'] : ['default'],
  },
});
