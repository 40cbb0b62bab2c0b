/**
 * The composition root: the one place that wires configuration, database, carriers, scheduler and
 * HTTP server together. The CLI, the tests and the benchmarks all start Textback through here.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext, Signals } from './app-context.js';
import type { CarrierAdapter } from './carriers/carrier.js';
import { SandboxCarrier } from './carriers/sandbox/sandbox-carrier.js';
import type { Config } from './config/config.js';
import { openDatabase, type Db } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { EventHub } from './events/event-hub.js';
import { buildHttpServer } from './http/server.js';
import { batchJobHandlers, jobHandlers } from './jobs/handlers.js';
import { scheduleJobPruning } from './jobs/retention.js';
import { Worker, type JobHandlers } from './jobs/worker.js';
import { systemClock, type Clock } from './support/clock.js';
import { createLogger, type Logger } from './support/logger.js';

export interface TextbackOptions {
  config: Config;
  clock?: Clock;
  logger?: Logger;
  /** An open database (tests pass one); otherwise opened from config.databaseUrl. */
  db?: Db;
  /** Extra or replacement carriers (tests and benchmarks point real adapters at fakes). */
  carriers?: CarrierAdapter[];
  /** Extra job handlers (tests). */
  handlers?: JobHandlers;
  /** Called on the HTTP server before any route is added (tests check every answer against its schema). */
  instrumentHttp?: (app: FastifyInstance) => void;
}

export interface Textback {
  ctx: AppContext & { hub: EventHub };
  worker: Worker;
  /** Builds (once) the HTTP server; it is not listening until `listen`. */
  http(): Promise<FastifyInstance>;
  listen(): Promise<string>;
  /**
   * While true, /health answers 503 (`startup: in progress`): `serve` listens first (so that a port in
   * use ends the start before anything is set up), then creates the first organization and its key;
   * a client that waits for /health must not call the API before that.
   */
  setStarting(starting: boolean): void;
  startWorkers(): void;
  close(): Promise<void>;
}

export async function createTextback(options: TextbackOptions): Promise<Textback> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const log = options.logger ?? createLogger(config.logLevel);
  const db = options.db ?? openDatabase(config.databaseUrl, {
      poolSize: config.pgPoolSize,
      onIdleConnectionError: (error) => log.warn({ err: { message: error.message } }, 'an idle PostgreSQL connection ended; the next query opens another'),
    });
  await migrateToLatest(db);

  const hub = new EventHub();
  // The worker needs the context and the context's signals wake the worker: break the cycle here.
  const workerRef: { current?: Worker } = {};
  const signals: Signals = {
    jobsEnqueued: () => workerRef.current?.wake(),
    eventsAppended: (orgIds) => {
      for (const id of orgIds) hub.notify(id);
    },
  };
  const carriers = new Map<string, CarrierAdapter>();
  const ctx: AppContext & { hub: EventHub } = { db, clock, log, config, carriers, signals, hub };
  carriers.set('sandbox', new SandboxCarrier(() => ctx, config.sandboxReceiptDelayMs));
  for (const c of options.carriers ?? []) carriers.set(c.kind, c);

  const theWorker = new Worker({
    db,
    clock,
    logger: log,
    handlers: { ...jobHandlers(ctx), ...(options.handlers ?? {}) },
    // A kind given its own handler (tests) is not batched.
    batchHandlers: Object.fromEntries(Object.entries(batchJobHandlers(ctx)).filter(([kind]) => !options.handlers?.[kind])),
    concurrency: config.workerConcurrency,
    leaseMs: config.jobLeaseMs,
    pollIntervalMs: config.pollIntervalMs,
  });
  workerRef.current = theWorker;

  let server: FastifyInstance | undefined;
  let starting = false;
  const http = async () => {
    server ??= await buildHttpServer(ctx, {
      ...(options.instrumentHttp ? { instrument: options.instrumentHttp } : {}),
      health: async () => {
        const checks: Record<string, string> = {};
        let ok = true;
        if (starting) {
          checks.startup = 'in progress';
          ok = false;
        }
        try {
          await db.kysely.selectFrom('organizations').select('id').limit(1).execute();
          checks.database = 'up';
        } catch {
          checks.database = 'down';
          ok = false;
        }
        if (config.runWorkers) {
          const alive = theWorker.isRunning && clock.now() - theWorker.lastTickAt < Math.max(30_000, config.pollIntervalMs * 100);
          checks.workers = alive ? 'up' : 'down';
          ok &&= alive;
        } else {
          checks.workers = 'external';
        }
        return { ok, checks };
      },
    });
    return server;
  };

  return {
    ctx,
    worker: theWorker,
    http,
    async listen() {
      const app = await http();
      return app.listen({ port: config.port, host: config.host });
    },
    setStarting: (value: boolean) => {
      starting = value;
    },
    startWorkers: () => {
      theWorker.start();
      scheduleJobPruning(ctx).catch((error: unknown) => log.error({ err: error }, 'could not schedule the pruning of finished jobs'));
    },
    async close() {
      if (server) await server.close();
      await theWorker.stop();
      if (!options.db) await db.close();
    },
  };
}
