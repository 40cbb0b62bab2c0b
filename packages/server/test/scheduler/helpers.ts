/**
 * Shared pieces of the scheduler tests: a worker on a fresh test database with a fake clock,
 * handlers that record their calls, and child processes running the fixture scripts.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Job } from '../../src/db/schema.js';
import { Worker, type JobHandlers, type WorkerOptions } from '../../src/jobs/worker.js';
import { FakeClock } from '../../src/support/clock.js';
import { createLogger } from '../../src/support/logger.js';
import { createTestDatabase, type DialectName, type TestDatabase } from '../support/databases.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const CLI = path.join(REPO_ROOT, 'packages/server/dist/cli/main.js');

export const testLogger = () => createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

/** The child-process tests run the compiled server: say how to get it rather than fail obscurely. */
export function assertBuilt(): void {
  for (const file of [CLI, path.join(REPO_ROOT, 'packages/server/dist/textback.js'), path.join(REPO_ROOT, 'packages/server/dist/jobs/worker.js')]) {
    if (!fs.existsSync(file)) {
      throw new Error(`${path.relative(REPO_ROOT, file)} is missing: these tests run the compiled server in child processes. Build it first with \`npx tsc -b\` (or \`npm run build\`) from ${REPO_ROOT}.`);
    }
  }
}

export interface Scheduler {
  database: TestDatabase;
  clock: FakeClock;
  /** Makes another worker on the same database and clock (a second process, in effect). */
  worker(handlers: JobHandlers, options?: Partial<WorkerOptions>): Worker;
  job(id: string): Promise<Job>;
  jobs(): Promise<Job[]>;
  close(): Promise<void>;
}

export async function createScheduler(dialect: DialectName): Promise<Scheduler> {
  const database = await createTestDatabase(dialect);
  const clock = new FakeClock();
  const logger = testLogger();
  return {
    database,
    clock,
    worker: (handlers, options = {}) => new Worker({ db: database.db, clock, logger, handlers, ...options }),
    job: (id) => database.db.kysely.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
    jobs: () => database.db.kysely.selectFrom('jobs').selectAll().orderBy('created_at').orderBy('id').execute(),
    close: () => database.destroy(),
  };
}

/** A handler that records each call (payload, attempt, fake time) and then does what `behaviour` says. */
export function recorder<T = unknown>(clock: FakeClock, behaviour: (call: number, payload: T) => unknown = () => undefined) {
  const calls: { payload: T; attempt: number; at: number; jobId: string }[] = [];
  const handler = async (payload: T, ctx: { job: { id: string; attempts: number } }) => {
    calls.push({ payload, attempt: ctx.job.attempts, at: clock.now(), jobId: ctx.job.id });
    return (await behaviour(calls.length, payload)) as never;
  };
  return { calls, handler };
}

/** Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface Child {
  process: ChildProcessWithoutNullStreams;
  /** Everything written so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Resolves with the first stdout line matching `pattern` (already seen or still to come). */
  line(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const children = new Set<Child>();

/** Runs a fixture script (plain ESM against packages/server/dist) with `node`. */
export function startFixture(script: string, args: string[], env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [path.join(FIXTURES, script), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let stdoutLines: string[] = [];
  let partial = '';
  const waiters = new Set<() => void>();
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => {
    out += chunk;
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    stdoutLines = stdoutLines.concat(parts);
    for (const w of waiters) w();
  });
  proc.stderr.on('data', (chunk: string) => {
    out += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => {
      resolve({ code, signal });
      for (const w of waiters) w();
    });
  });
  const child: Child = {
    process: proc,
    output: () => out,
    exited,
    line: (pattern, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          for (const l of stdoutLines) {
            const m = l.match(pattern);
            if (m) return finish(() => resolve(m));
          }
          if (proc.exitCode !== null || proc.signalCode !== null) {
            finish(() => reject(new Error(`${script} exited (${proc.exitCode ?? proc.signalCode}) before printing ${pattern}; output:\n${out}`)));
          }
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`${script} did not print ${pattern} within ${timeoutMs} ms; output:\n${out}`))), timeoutMs);
        const finish = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      }),
    kill: async (signal = 'SIGKILL') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
      children.delete(child);
    },
  };
  children.add(child);
  return child;
}

/** Kills whatever fixture processes a test left running (afterEach). */
export async function killChildren(): Promise<void> {
  await Promise.all([...children].map((c) => c.kill('SIGKILL')));
}
