/**
 * The durable scheduler's run side: claims due jobs, runs their handlers, records the outcome.
 *
 * - Claim: one statement, `UPDATE … WHERE id IN (SELECT … ORDER BY run_at LIMIT n FOR UPDATE SKIP LOCKED)`
 *   (graphile-worker's getJobs, Oban's engines). On PostgreSQL any number of workers claim side by side
 *   and no job is claimed twice; on SQLite one process runs them.
 * - Lease: a claimed job is locked until `locked_until`; the worker extends it while the handler runs.
 *   If the worker dies, the lease expires and any worker puts the job back (rescue).
 * - Start-up on SQLite: one process owns the database, so the jobs left `running` by a process that
 *   is gone (a crash, a `kill -9`) go back to pending at once instead of waiting out their lease
 *   (`recoverAbandoned`). PostgreSQL is shared by several processes: there the lease decides.
 * - Outcome: success → completed; an error → retried with exponential backoff and jitter, dead after
 *   `max_attempts`; `PermanentJobError` → dead at once; a `{ snoozeUntil }` result → rescheduled without
 *   counting as a failure (a text held for quiet hours is snoozed, not failed).
 *
 * Delivery is at least once: a crash after a handler's effect and before its completion is recorded
 * runs the handler again, so every handler is idempotent (the send handler checks the message state
 * and asks the carrier before sending again).
 */
import { sql } from 'kysely';
import os from 'node:os';
import { caseById } from '../db/batch-sql.js';
import type { Db } from '../db/database.js';
import type { Clock } from '../support/clock.js';
import { newId } from '../support/ids.js';
import type { Logger } from '../support/logger.js';

export interface ClaimedJob {
  id: string;
  org_id: string | null;
  kind: string;
  payload: string;
  attempts: number;
  max_attempts: number;
  run_at: number;
  unique_key: string | null;
}

export interface JobContext {
  job: ClaimedJob;
  log: Logger;
}

export type JobResult = void | { snoozeUntil: number };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JobHandler = (payload: any, ctx: JobContext) => Promise<JobResult>;
export type JobHandlers = Record<string, JobHandler>;

/**
 * Runs many claimed jobs of one kind together (the send worker decides and records a batch of texts
 * with a few statements instead of a dozen per text). Returns one outcome per job, in order: a
 * result as a `JobHandler` returns, or the error that job failed with (retried as usual).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BatchJobHandler = (jobs: Array<{ job: ClaimedJob; payload: any }>, ctx: { log: Logger }) => Promise<Array<JobResult | Error>>;
export type BatchJobHandlers = Record<string, BatchJobHandler>;

/** Thrown by a handler when retrying cannot help: the job goes dead at once. */
export class PermanentJobError extends Error {}

/** Thrown by a handler to be retried at a given time (e.g. a carrier's Retry-After). */
export class RetryAtError extends Error {
  constructor(
    message: string,
    readonly retryAt: number,
  ) {
    super(message);
  }
}

export interface WorkerOptions {
  db: Db;
  clock: Clock;
  handlers: JobHandlers;
  /** Kinds that are run a claimed batch at a time; a job claimed alone still goes to `handlers`. */
  batchHandlers?: BatchJobHandlers;
  logger: Logger;
  workerId?: string;
  /** Jobs run at the same time by this worker. */
  concurrency?: number;
  leaseMs?: number;
  /** Longest sleep when nothing is due, so jobs enqueued by other processes are seen quickly. */
  pollIntervalMs?: number;
  /** Backoff before retry number `attempt` (1-based), before jitter. */
  backoffMs?: (attempt: number) => number;
  random?: () => number;
}

/** Longest wait, once a slot is free, for more slots to free before claiming (see claimThreshold). */
const CLAIM_WAIT_MS = 2;

export const defaultBackoffMs = (attempt: number): number => Math.min(1000 * 2 ** (attempt - 1), 60 * 60 * 1000);

/** Ids of the workers constructed in this process and not stopped: their jobs are not abandoned. */
const liveWorkers = new Set<string>();

/** True when the process named by a worker id (`host:pid:suffix`) may still be running. */
function ownerMayBeAlive(workerId: string | null): boolean {
  if (workerId === null) return false;
  if (liveWorkers.has(workerId)) return true;
  const [host, pidText] = workerId.split(':');
  const pid = Number(pidText);
  // Another machine, or an id not made by this class: only its lease can tell.
  if (host !== os.hostname() || !Number.isSafeInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return false; // this process, but no live worker has that id: a previous life
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Worker {
  readonly id: string;
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly handlers: JobHandlers;
  private readonly batchHandlers: BatchJobHandlers;
  private readonly log: Logger;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly backoffMs: (attempt: number) => number;
  private readonly random: () => number;
  private readonly inFlight = new Map<string, Promise<void>>();
  private completed: string[] = [];
  private snoozed: Array<{ job: ClaimedJob; until: number }> = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private lastRescueAt = 0;
  private lastExtendAt = 0;
  private freeSince: number | undefined;
  private backlog = false;
  private recovered = false;
  /** When the loop last completed a cycle: the health check reads it. */
  lastTickAt = 0;

  constructor(options: WorkerOptions) {
    this.db = options.db;
    this.clock = options.clock;
    this.handlers = options.handlers;
    this.batchHandlers = options.batchHandlers ?? {};
    this.id = options.workerId ?? `${os.hostname()}:${process.pid}:${newId('w').slice(-6)}`;
    this.log = options.logger.child({ workerId: this.id });
    this.concurrency = options.concurrency ?? 16;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.backoffMs = options.backoffMs ?? defaultBackoffMs;
    this.random = options.random ?? Math.random;
    liveWorkers.add(this.id);
  }

  /**
   * SQLite only, once, before the first claim: the jobs left `running` by a process that is gone go
   * back to pending now (their attempt counts; out of attempts, they are dead), instead of after
   * their lease. A job of a live worker (of this process, or another process of this machine) keeps
   * its lease. Returns how many were taken back.
   */
  async recoverAbandoned(): Promise<number> {
    if (this.recovered) return 0;
    this.recovered = true;
    if (this.db.dialect.name !== 'sqlite') return 0;
    const now = this.clock.now();
    const running = await this.db.kysely.selectFrom('jobs').select(['id', 'attempts', 'max_attempts', 'locked_by']).where('state', '=', 'running').execute();
    let taken = 0;
    for (const job of running) {
      if (ownerMayBeAlive(job.locked_by)) continue;
      taken += await this.putBack(job, now, `worker ${job.locked_by ?? '?'} stopped while running it (taken back at start-up)`, false);
    }
    if (taken > 0) this.log.warn({ jobs: taken }, 'took back the jobs a previous process left running');
    return taken;
  }

  /** Claims up to `limit` due jobs. Exposed for tests and benchmarks. */
  async claim(limit: number): Promise<ClaimedJob[]> {
    const now = this.clock.now();
    const { rows } = await sql<ClaimedJob>`
      UPDATE jobs
         SET state = 'running', locked_by = ${this.id}, locked_until = ${now + this.leaseMs},
             attempts = attempts + 1, updated_at = ${now}
       WHERE id IN (
         SELECT id FROM jobs
          WHERE state = 'pending' AND run_at <= ${now}
          ORDER BY run_at, id
          LIMIT ${sql.lit(Math.max(1, Math.floor(limit)))}
          ${this.db.dialect.skipLocked})
      RETURNING id, org_id, kind, payload, attempts, max_attempts, run_at, unique_key`.execute(this.db.kysely);
    return rows;
  }

  /**
   * Runs every job due now, in batches, until none is left, and returns how many ran. Tests call
   * this after moving a fake clock; it never sleeps.
   */
  async drain(): Promise<number> {
    let total = 0;
    await this.recoverAbandoned();
    for (;;) {
      await this.rescueExpired();
      const jobs = await this.claim(this.concurrency);
      if (jobs.length === 0) return total;
      await Promise.all(this.dispatch(jobs).map((run) => run.done));
      await this.flushCompleted();
      total += jobs.length;
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run().catch((error: unknown) => {
      this.log.fatal({ err: error }, 'worker loop crashed');
      this.running = false;
    });
  }

  /** Stops claiming, and waits for the jobs in flight to finish. */
  async stop(): Promise<void> {
    this.running = false;
    liveWorkers.delete(this.id);
    this.wake();
    await this.loop;
    await Promise.allSettled(this.inFlight.values());
    await this.flushCompleted();
  }

  /**
   * Starts the claimed jobs: kinds with a batch handler together (when more than one was claimed),
   * the others one by one.
   */
  private dispatch(jobs: ClaimedJob[]): Array<{ jobs: ClaimedJob[]; done: Promise<void> }> {
    const runs: Array<{ jobs: ClaimedJob[]; done: Promise<void> }> = [];
    const batches = new Map<string, ClaimedJob[]>();
    for (const job of jobs) {
      if (this.batchHandlers[job.kind]) {
        const batch = batches.get(job.kind);
        if (batch) batch.push(job);
        else batches.set(job.kind, [job]);
      } else {
        runs.push({ jobs: [job], done: this.execute(job) });
      }
    }
    for (const [kind, batch] of batches) {
      runs.push({ jobs: batch, done: batch.length === 1 && this.handlers[kind] ? this.execute(batch[0]!) : this.executeBatch(kind, batch) });
    }
    return runs;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Tells a sleeping loop that something may be due (called after a local enqueue commits). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    this.log.info({ concurrency: this.concurrency }, 'worker started');
    try {
      await this.recoverAbandoned();
    } catch (error) {
      this.log.error({ err: error }, 'taking back abandoned jobs failed; their leases will');
    }
    while (this.running) {
      this.woken = false;
      try {
        await this.flushCompleted();
        const now = this.clock.now();
        // Extend first: a loop that woke late must keep the jobs it is still running, not rescue them from itself.
        if (now - this.lastExtendAt >= this.leaseMs / 3) await this.extendLeases();
        if (now - this.lastRescueAt >= this.leaseMs / 4) await this.rescueExpired();
        const free = this.concurrency - this.inFlight.size;
        // While jobs run, claim when a quarter of the slots are free, not one slot at a time: one
        // claim (and, for batch kinds, one batch) for several jobs.
        const worthClaiming = this.claimThreshold();
        let claimed = 0;
        if (free >= worthClaiming) {
          this.freeSince = undefined;
          const jobs = await this.claim(free);
          claimed = jobs.length;
          this.backlog = claimed === free;
          for (const run of this.dispatch(jobs)) {
            const p = run.done.finally(() => {
              for (const job of run.jobs) this.inFlight.delete(job.id);
              this.wake();
            });
            for (const job of run.jobs) this.inFlight.set(job.id, p);
          }
        }
        this.lastTickAt = this.clock.now();
        if (claimed > 0 && claimed === free) continue; // a full batch: there may be more
        if (this.woken) continue;
        await this.sleep(await this.timeUntilNextJob());
      } catch (error) {
        this.log.error({ err: error }, 'worker cycle failed; retrying');
        await this.sleep(this.pollIntervalMs * 10);
      }
    }
    this.log.info('worker stopped');
  }

  /**
   * How many free slots make a claim worth it now. Under a backlog (the last claim was full), a
   * claim waits for a quarter of the slots to be free (one claim, and for batch kinds one batch, for
   * several jobs), but never longer than CLAIM_WAIT_MS after the first slot freed: a few long jobs
   * cannot hold up the rest. Without a backlog, any free slot claims at once.
   */
  private claimThreshold(): number {
    const free = this.concurrency - this.inFlight.size;
    if (!this.backlog || this.inFlight.size === 0 || free <= 0) {
      this.freeSince = undefined;
      return 1;
    }
    const nowMs = performance.now();
    this.freeSince ??= nowMs;
    if (nowMs - this.freeSince >= CLAIM_WAIT_MS) return 1;
    return Math.max(1, Math.floor(this.concurrency / 4));
  }

  private async timeUntilNextJob(): Promise<number> {
    // Woken when a slot frees, but not later than the next lease extension is due.
    const free = this.concurrency - this.inFlight.size;
    if (free > 0 && free < this.claimThreshold()) return CLAIM_WAIT_MS;
    if (free <= 0) return Math.min(this.pollIntervalMs * 20, this.leaseMs / 3);
    const next = await this.db.kysely
      .selectFrom('jobs')
      .select((eb) => eb.fn.min('run_at').as('next'))
      .where('state', '=', 'pending')
      .executeTakeFirst();
    const nextAt = next?.next == null ? Infinity : Number(next.next);
    return Math.max(0, Math.min(this.pollIntervalMs, nextAt - this.clock.now()));
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || !this.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    }).then(() => {
      this.wakeUp = undefined;
    });
  }

  private async execute(job: ClaimedJob): Promise<void> {
    const log = this.log.child({ jobId: job.id, kind: job.kind, attempt: job.attempts });
    const handler = this.handlers[job.kind];
    let outcome: JobResult | Error;
    try {
      if (!handler) throw new PermanentJobError(`no handler for job kind ${job.kind}`);
      outcome = await handler(JSON.parse(job.payload), { job, log });
    } catch (error) {
      outcome = error instanceof Error ? error : new Error(String(error));
    }
    await this.settle(job, outcome, log);
  }

  private async executeBatch(kind: string, jobs: ClaimedJob[]): Promise<void> {
    const log = this.log.child({ kind, batch: jobs.length });
    let outcomes: Array<JobResult | Error>;
    try {
      outcomes = await this.batchHandlers[kind]!(
        jobs.map((job) => ({ job, payload: JSON.parse(job.payload) as unknown })),
        { log },
      );
      if (outcomes.length !== jobs.length) throw new Error(`batch handler for ${kind} returned ${outcomes.length} outcomes for ${jobs.length} jobs`);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      outcomes = jobs.map(() => failure);
    }
    await Promise.all(jobs.map((job, i) => this.settle(job, outcomes[i], this.log.child({ jobId: job.id, kind, attempt: job.attempts }), true)));
    await this.flushSnoozed();
  }

  /** Records a job's outcome: completed (batched), snoozed, retried later or dead. */
  private async settle(job: ClaimedJob, outcome: JobResult | Error, log: Logger, batchSnoozes = false): Promise<void> {
    if (!(outcome instanceof Error)) {
      if (outcome && typeof outcome === 'object' && 'snoozeUntil' in outcome) {
        log.debug({ until: outcome.snoozeUntil }, 'job snoozed');
        if (batchSnoozes) this.snoozed.push({ job, until: outcome.snoozeUntil });
        else await this.finish(job, { state: 'pending', run_at: outcome.snoozeUntil, attempts: job.attempts - 1 });
      } else {
        // Completions are recorded in batches, one UPDATE for many jobs (a crash before the batch is
        // written runs those jobs again: handlers are idempotent).
        this.completed.push(job.id);
      }
      return;
    }
    const message = outcome.message;
    const now = this.clock.now();
    if (outcome instanceof PermanentJobError || job.attempts >= job.max_attempts) {
      log.error({ err: { message } }, 'job is dead');
      await this.finish(job, { state: 'dead', last_error: message, finished_at: now });
    } else {
      const retryAt = outcome instanceof RetryAtError ? outcome.retryAt : now + Math.round(this.backoffMs(job.attempts) * (0.5 + this.random() * 0.5));
      log.warn({ err: { message }, retryAt }, 'job failed; will retry');
      await this.finish(job, { state: 'pending', run_at: retryAt, last_error: message });
    }
  }

  /** Puts the snoozed jobs of a batch back to pending, each at its own time, in one UPDATE. */
  private async flushSnoozed(): Promise<void> {
    if (this.snoozed.length === 0) return;
    const snoozed = this.snoozed;
    this.snoozed = [];
    const now = this.clock.now();
    const runAt = caseById(snoozed.map((s) => [s.job.id, s.until] as const));
    try {
      await this.db.kysely
        .updateTable('jobs')
        .set({ state: 'pending', run_at: runAt, attempts: sql<number>`attempts - 1`, locked_by: null, locked_until: null, updated_at: now })
        .where('id', 'in', snoozed.map((s) => s.job.id))
        .where('locked_by', '=', this.id)
        .where('state', '=', 'running')
        .execute();
    } catch (error) {
      if (!this.db.dialect.isUniqueViolation(error)) throw error;
      // A newer pending job holds one of the keys: one by one, so that only that one is superseded.
      for (const s of snoozed) await this.finish(s.job, { state: 'pending', run_at: s.until, attempts: s.job.attempts - 1 });
    }
  }

  /** Records an outcome, only if this worker still holds the job (its lease was not taken over). */
  private async finish(
    job: ClaimedJob,
    set: { state: 'pending' | 'completed' | 'dead'; run_at?: number; attempts?: number; last_error?: string; finished_at?: number },
  ): Promise<void> {
    const now = this.clock.now();
    const update = this.db.kysely
      .updateTable('jobs')
      .set({ ...set, locked_by: null, locked_until: null, updated_at: now })
      .where('id', '=', job.id)
      .where('locked_by', '=', this.id)
      .where('state', '=', 'running');
    try {
      await update.execute();
    } catch (error) {
      // Back to pending while another pending job holds the same key: the newer one supersedes it.
      if (set.state === 'pending' && this.db.dialect.isUniqueViolation(error)) {
        await this.finish(job, { state: 'completed', last_error: 'superseded by a newer job with the same key', finished_at: now });
        return;
      }
      throw error;
    }
  }

  private async flushCompleted(): Promise<void> {
    if (this.completed.length === 0) return;
    const ids = this.completed;
    this.completed = [];
    const now = this.clock.now();
    await this.db.kysely
      .updateTable('jobs')
      .set({ state: 'completed', finished_at: now, locked_by: null, locked_until: null, updated_at: now })
      .where('id', 'in', ids)
      .where('locked_by', '=', this.id)
      .where('state', '=', 'running')
      .execute();
  }

  private async extendLeases(): Promise<void> {
    const now = this.clock.now();
    this.lastExtendAt = now;
    const ids = [...this.inFlight.keys()];
    if (ids.length === 0) return;
    await this.db.kysely
      .updateTable('jobs')
      .set({ locked_until: now + this.leaseMs })
      .where('id', 'in', ids)
      .where('locked_by', '=', this.id)
      .where('state', '=', 'running')
      .execute();
  }

  /** Puts back the jobs of workers whose lease expired (they died), or buries them if out of attempts. */
  async rescueExpired(): Promise<number> {
    const now = this.clock.now();
    this.lastRescueAt = now;
    const expired = await this.db.kysely
      .selectFrom('jobs')
      .select(['id', 'attempts', 'max_attempts', 'unique_key', 'locked_by'])
      .where('state', '=', 'running')
      .where('locked_until', '<', now)
      .limit(1000)
      .execute();
    for (const job of expired) {
      await this.putBack(job, now, `lease expired: worker ${job.locked_by ?? '?'} stopped while running it`, true);
    }
    return expired.length;
  }

  /** A running job back to pending (or dead when out of attempts); 1 when it was put back. */
  private async putBack(job: { id: string; attempts: number; max_attempts: number; locked_by: string | null }, now: number, lastError: string, onlyExpired: boolean): Promise<number> {
    const dead = job.attempts >= job.max_attempts;
    let q = this.db.kysely
      .updateTable('jobs')
      .set(
        dead
          ? { state: 'dead', locked_by: null, locked_until: null, last_error: lastError, finished_at: now, updated_at: now }
          : { state: 'pending', run_at: now, locked_by: null, locked_until: null, last_error: lastError, updated_at: now },
      )
      .where('id', '=', job.id)
      .where('state', '=', 'running');
    if (onlyExpired) q = q.where('locked_until', '<', now);
    let changed: number;
    try {
      changed = Number((await q.executeTakeFirst()).numUpdatedRows);
    } catch (error) {
      if (!this.db.dialect.isUniqueViolation(error)) throw error;
      await this.db.kysely
        .updateTable('jobs')
        .set({ state: 'cancelled', last_error: 'superseded by a newer job with the same key', finished_at: now, updated_at: now })
        .where('id', '=', job.id)
        .where('state', '=', 'running')
        .execute();
      changed = 1;
    }
    this.log.warn({ jobId: job.id, dead }, onlyExpired ? 'rescued a job whose lease expired' : 'took back a job left running by a previous process');
    return changed > 0 ? 1 : 0;
  }
}
