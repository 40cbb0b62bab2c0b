/**
 * Group commit for the webhook fast path: enqueues requested while the database is busy are
 * written together, by one multi-row INSERT that commits on its own, and each caller is answered
 * once it has committed (so nothing is acknowledged before it is durable). Under load this turns
 * many small commits into a few larger ones (see `lingerMs`); with a single request it costs one tick.
 *
 * The INSERT is one statement, autocommitted, with the "already done" check (a stored message
 * for a carrier id: a retried webhook writes nothing) and the "already pending" check (the
 * pending job's unique key) inside it, so a batch costs one statement on SQLite and one round
 * trip on PostgreSQL. Only the rows it did not insert are looked up afterwards, to tell a retry of
 * a stored message (null) from one still pending (that job's id); on PostgreSQL the same statement
 * already says which, and a second look is needed only when another process's insert raced ours.
 * The SQL is written once per batch size (SQLite) or once (PostgreSQL: arrays), not built per batch.
 */
import { CompiledQuery } from 'kysely';
import type { Db } from '../db/database.js';
import type { Clock } from '../support/clock.js';
import { newId } from '../support/ids.js';
import { DEFAULT_MAX_ATTEMPTS } from './job-queue.js';

export interface KeyedJob {
  kind: string;
  orgId: string;
  payload: unknown;
  /** At most one pending job per key: a duplicate while one is pending returns the pending job's id. */
  uniqueKey: string;
  maxAttempts?: number;
}

interface Waiting {
  job: KeyedJob;
  resolve: (id: Enqueued) => void;
  reject: (error: unknown) => void;
}

/**
 * When a job's work is already done, as a row of another table: e.g. a message stored with this
 * carrier and carrier message id. Such a job is not enqueued (the caller gets null). The two
 * columns must be covered by an index (they are looked up once per job of a batch).
 */
export interface AlreadyDone {
  table: 'messages';
  columns: readonly ['carrier', 'carrier_message_id'];
  /** The two values the row would have for this job. */
  values(job: KeyedJob): readonly [string, string];
}

/** The id of the enqueued (or already pending) job, or null when the work was already done. */
export type Enqueued = string | null;

/** A batch after its INSERT: what each unique key became. */
type Outcome = Map<string, Enqueued>;

export class GroupCommitter {
  private queue: Waiting[] = [];
  private scheduled = false;
  private inFlight = 0;
  /** Callers expected in the next batch: those of the last one (answered, they usually send again) and those left waiting. */
  private expected = 0;
  private linger: NodeJS.Timeout | undefined;
  private readonly sqliteInserts = new Map<number, string>();
  private readonly sqliteLookups = new Map<number, string>();
  /** SQLite's statements are written (and prepared) per batch size: at most 100 rows keeps them to 200. */
  private readonly batchLimit: number;

  /**
   * `maxInFlight`: batches on their way to the database at once (PostgreSQL; SQLite writes a batch
   * synchronously). Requests arriving meanwhile wait for the next batch: fewer, larger commits.
   *
   * `lingerMs`: a batch smaller than the last one waits up to this long for the rest (the callers
   * just answered come back with their next webhook a moment later), like PostgreSQL's
   * commit_delay. Without it, the callers of one batch and those that waited for it stay two
   * groups that take turns, and every commit carries half as much. A batch at least as large as
   * the last one is written at once, so a lone webhook waits for nothing.
   */
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly onCommitted: () => void,
    private readonly alreadyDone?: AlreadyDone,
    maxBatch = 500,
    private readonly maxInFlight = 1,
    private readonly lingerMs = 1,
  ) {
    this.batchLimit = db.dialect.name === 'sqlite' ? Math.min(maxBatch, 100) : maxBatch;
  }

  enqueue(job: KeyedJob): Promise<Enqueued> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.maxInFlight) return;
    if (this.lingerMs > 0 && this.queue.length < this.expected) {
      this.linger ??= setTimeout(() => {
        this.linger = undefined;
        this.expected = 0;
        this.schedule();
      }, this.lingerMs);
      return;
    }
    if (this.linger) {
      clearTimeout(this.linger);
      this.linger = undefined;
    }
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue.splice(0, this.batchLimit);
    if (batch.length === 0) return;
    this.inFlight++;
    this.schedule();
    try {
      const outcome = await this.write(batch.map((w) => w.job));
      let inserted = false;
      for (const w of batch) {
        const id = outcome.get(w.job.uniqueKey);
        // Not inserted, not done, and no longer pending: another process's job took it and ran.
        w.resolve(id === undefined ? '' : id);
        if (id) inserted = true;
      }
      if (inserted) this.onCommitted();
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      this.inFlight--;
      // A batch cut at the limit leaves a backlog: no waiting for more then.
      this.expected = batch.length === this.batchLimit ? 0 : Math.min(this.batchLimit, batch.length + this.queue.length);
      this.schedule();
    }
  }

  private async write(jobs: KeyedJob[]): Promise<Outcome> {
    const now = this.clock.now();
    // Two webhooks for one key in one batch: the first one counts (the other gets its outcome).
    const rows = new Map<string, KeyedJob>();
    for (const job of jobs) if (!rows.has(job.uniqueKey)) rows.set(job.uniqueKey, job);
    const todo = [...rows.values()];
    const outcome = this.db.dialect.name === 'postgres' ? await this.insertPostgres(todo, now) : await this.insertSqlite(todo, now);
    const missing = todo.filter((job) => !outcome.has(job.uniqueKey));
    if (missing.length > 0) await this.lookup(missing, outcome);
    return outcome;
  }

  private async run<R>(text: string, parameters: readonly unknown[]): Promise<R[]> {
    return (await this.db.kysely.executeQuery<R>(CompiledQuery.raw(text, parameters as unknown[]))).rows;
  }

  private doneValues(job: KeyedJob): readonly [string, string] {
    // Without a check, values that match nothing (the condition is then left out of the SQL).
    return this.alreadyDone ? this.alreadyDone.values(job) : ['', ''];
  }

  /** SQLite: INSERT … SELECT from VALUES, skipping done jobs and pending keys; RETURNING what it inserted. */
  private async insertSqlite(jobs: KeyedJob[], now: number): Promise<Outcome> {
    let text = this.sqliteInserts.get(jobs.length);
    if (!text) {
      const done = this.alreadyDone;
      text =
        'insert into "jobs" ("id", "org_id", "kind", "payload", "state", "run_at", "attempts", "max_attempts", "unique_key", "created_at", "updated_at") ' +
        `select "column1", "column2", "column3", "column4", 'pending', ?, 0, "column5", "column6", ?, ? ` +
        `from (values ${Array.from({ length: jobs.length }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}) as "v" ` +
        (done
          ? `where not exists (select 1 from "${done.table}" as "d" where "d"."${done.columns[0]}" = "v"."column7" and "d"."${done.columns[1]}" = "v"."column8") `
          : 'where true ') +
        // The conflict target repeats the partial index's predicate literally (SQLite matches it textually).
        `on conflict ("unique_key") where "state" = 'pending' do nothing returning "id", "unique_key"`;
      this.sqliteInserts.set(jobs.length, text);
    }
    const parameters: unknown[] = [now, now, now];
    for (const job of jobs) {
      const [a, b] = this.doneValues(job);
      parameters.push(newId('job'), job.orgId, job.kind, JSON.stringify(job.payload ?? {}), job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, job.uniqueKey, a, b);
    }
    const inserted = await this.run<{ id: string; unique_key: string }>(text, parameters);
    return new Map(inserted.map((r) => [r.unique_key, r.id]));
  }

  /**
   * PostgreSQL: one statement (one round trip) over arrays: the done check, the INSERT, and the
   * keys already pending before it (its snapshot); a key inserted meanwhile by another process's
   * statement is in none of the three (looked up after).
   */
  private async insertPostgres(jobs: KeyedJob[], now: number): Promise<Outcome> {
    const done = this.alreadyDone;
    const text =
      // Columns named, not `*`: the statement stays prepared on its connection (db/database.ts).
      'with "v" as (select "id", "org_id", "kind", "payload", "max_attempts", "unique_key", "a", "b" ' +
      'from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::text[], $7::text[], $8::text[]) ' +
      'as "v" ("id", "org_id", "kind", "payload", "max_attempts", "unique_key", "a", "b")), ' +
      (done
        ? `"done" as (select "v"."unique_key" from "v" join "${done.table}" as "d" on "d"."${done.columns[0]}" = "v"."a" and "d"."${done.columns[1]}" = "v"."b"), `
        : '"done" as (select "unique_key" from "v" where false), ') +
      '"ins" as (insert into "jobs" ("id", "org_id", "kind", "payload", "state", "run_at", "attempts", "max_attempts", "unique_key", "created_at", "updated_at") ' +
      `select "id", "org_id", "kind", "payload", 'pending', $9::bigint, 0, "max_attempts", "unique_key", $9::bigint, $9::bigint from "v" ` +
      'where "unique_key" not in (select "unique_key" from "done") ' +
      `on conflict ("unique_key") where "state" = 'pending' do nothing returning "id", "unique_key") ` +
      'select "unique_key", "id" from "ins" ' +
      'union all select "unique_key", null from "done" ' +
      `union all select "j"."unique_key", "j"."id" from "jobs" as "j" join "v" on "j"."unique_key" = "v"."unique_key" where "j"."state" = 'pending'`;
    const columns: unknown[][] = [[], [], [], [], [], [], [], []];
    for (const job of jobs) {
      const [a, b] = this.doneValues(job);
      const values = [newId('job'), job.orgId, job.kind, JSON.stringify(job.payload ?? {}), job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, job.uniqueKey, a, b];
      values.forEach((value, i) => columns[i]!.push(value));
    }
    const rows = await this.run<{ unique_key: string; id: string | null }>(text, [...columns, now]);
    const outcome: Outcome = new Map();
    // A key both done and pending (a job retried by hand after its message was stored): done wins.
    for (const r of rows) if (r.id === null || !outcome.has(r.unique_key)) outcome.set(r.unique_key, r.id);
    return outcome;
  }

  /** The rows not inserted: done (null) or pending (that job's id), as they are now. */
  private async lookup(jobs: KeyedJob[], outcome: Outcome): Promise<void> {
    const postgres = this.db.dialect.name === 'postgres';
    let text = postgres ? undefined : this.sqliteLookups.get(jobs.length);
    if (!text) {
      const done = this.alreadyDone;
      const v = postgres
        ? 'select "unique_key", "a", "b" from unnest($1::text[], $2::text[], $3::text[]) as "v" ("unique_key", "a", "b")'
        : `select "column1" as "unique_key", "column2" as "a", "column3" as "b" from (values ${Array.from({ length: jobs.length }, () => '(?, ?, ?)').join(', ')})`;
      text =
        `with "v" as (${v}) ` +
        (done
          ? `select "v"."unique_key", null as "id" from "v" join "${done.table}" as "d" on "d"."${done.columns[0]}" = "v"."a" and "d"."${done.columns[1]}" = "v"."b" union all `
          : '') +
        `select "j"."unique_key", "j"."id" from "jobs" as "j" join "v" on "j"."unique_key" = "v"."unique_key" where "j"."state" = 'pending'`;
      if (!postgres) this.sqliteLookups.set(jobs.length, text);
    }
    const values = jobs.map((job) => [job.uniqueKey, ...this.doneValues(job)] as const);
    const parameters = postgres ? [0, 1, 2].map((i) => values.map((v) => v[i])) : values.flat();
    const rows = await this.run<{ unique_key: string; id: string | null }>(text, parameters);
    for (const r of rows) if (r.id === null || !outcome.has(r.unique_key)) outcome.set(r.unique_key, r.id);
  }
}
