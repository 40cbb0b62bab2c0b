/**
 * Dead jobs are visible and can be run again, through the API (per organization) and through the
 * `textback jobs` commands (run as a real process against the compiled CLI).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { enqueue } from '../../src/jobs/job-queue.js';
import { PermanentJobError } from '../../src/jobs/worker.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { assertBuilt, CLI, REPO_ROOT } from './helpers.js';

const run = promisify(execFile);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function textback(databaseUrl: string, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe.each(DIALECTS)('dead jobs through the API and the CLI (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;
  let otherOrg: TestOrg;
  /** The handler fails for good until `healthy` is set: a job that died, then can succeed when retried. */
  let healthy: boolean;
  let runs: string[];

  beforeAll(() => {
    if (dialectAvailable(dialect)) assertBuilt();
  });
  beforeEach(async () => {
    if (!dialectAvailable(dialect)) return;
    healthy = false;
    runs = [];
    app = await createTestApp(dialect, {
      handlers: {
        'test.export': async (_payload, { job }) => {
          runs.push(job.id);
          if (!healthy) throw new PermanentJobError('export target rejected the upload (403)');
        },
      },
    });
    org = await createTestOrg(app);
    otherOrg = await createTestOrg(app);
  });
  afterEach(async () => app?.close());

  const deadJob = async (orgId: string) => {
    const id = await enqueue(app.tb.ctx.db.kysely, app.clock, { kind: 'test.export', payload: { file: 'contacts.csv' }, orgId });
    await app.drain();
    return id;
  };

  it.runIf(dialectAvailable(dialect))('GET /v1/jobs?state=dead lists a dead job for its organization only; POST /v1/jobs/:id/retry runs it again', async () => {
    const id = await deadJob(org.orgId);
    const pending = await enqueue(app.tb.ctx.db.kysely, app.clock, { kind: 'test.export', payload: {}, orgId: org.orgId, runAt: app.clock.now() + 3600_000 });

    const dead = await api(app, org, 'GET', '/v1/jobs?state=dead');
    expect(dead.status).toBe(200);
    expect(dead.json.data).toMatchObject([
      { id, object: 'job', kind: 'test.export', state: 'dead', attempts: 1, last_error: 'export target rejected the upload (403)', finished_at: new Date(app.clock.now()).toISOString() },
    ]);
    // All the organization's jobs, without the filter: the dead one and the pending one.
    expect((await api(app, org, 'GET', '/v1/jobs')).json.data.map((j: { id: string }) => j.id).sort()).toEqual([id, pending].sort());

    // Another organization's key sees none of it, and cannot retry it.
    expect((await api(app, otherOrg, 'GET', '/v1/jobs?state=dead')).json.data).toEqual([]);
    expect((await api(app, otherOrg, 'GET', '/v1/jobs')).json.data).toEqual([]);
    const foreign = await api(app, otherOrg, 'POST', `/v1/jobs/${id}/retry`);
    expect(foreign.status).toBe(404);
    expect((await app.tb.ctx.db.kysely.selectFrom('jobs').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state).toBe('dead');

    healthy = true;
    app.clock.advance(60_000);
    const retried = await api(app, org, 'POST', `/v1/jobs/${id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.json).toMatchObject({ id, state: 'pending', attempts: 0, last_error: null, finished_at: null, run_at: new Date(app.clock.now()).toISOString() });
    expect((await api(app, org, 'GET', '/v1/jobs?state=dead')).json.data).toEqual([]);

    expect(await app.drain()).toBe(1);
    expect(runs).toEqual([id, id]);
    const done = await api(app, org, 'GET', '/v1/jobs?state=completed');
    expect(done.json.data).toMatchObject([{ id, state: 'completed', attempts: 1 }]);

    // Only dead or cancelled jobs can be retried: a pending one (and a completed one) is a conflict.
    for (const notDead of [pending, id]) {
      const conflict = await api(app, org, 'POST', `/v1/jobs/${notDead}/retry`);
      expect(conflict.status).toBe(409);
      expect(conflict.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(conflict.json).toMatchObject({ status: 409, code: 'invalid_state' });
      expect(conflict.json.detail).toContain(notDead);
    }
    expect(runs).toEqual([id, id]);
    expect((await app.tb.ctx.db.kysely.selectFrom('jobs').select('state').where('id', '=', pending).executeTakeFirstOrThrow()).state).toBe('pending');
  });

  it.runIf(dialectAvailable(dialect))('a dead job cannot be retried while a newer job with its key is pending (409), and can once that one ran', async () => {
    const db = app.tb.ctx.db.kysely;
    const dead = await enqueue(db, app.clock, { kind: 'test.export', payload: {}, orgId: org.orgId, uniqueKey: 'export:daily' });
    await app.drain();
    healthy = true;
    const newer = await enqueue(db, app.clock, { kind: 'test.export', payload: {}, orgId: org.orgId, uniqueKey: 'export:daily', runAt: app.clock.now() + 60_000 });
    expect(newer).not.toBe(dead);

    const refused = await api(app, org, 'POST', `/v1/jobs/${dead}/retry`);
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await db.selectFrom('jobs').select('state').where('id', '=', dead).executeTakeFirstOrThrow()).state).toBe('dead');

    await app.advance(60_000);
    expect(runs).toEqual([dead, newer]);
    const retried = await api(app, org, 'POST', `/v1/jobs/${dead}/retry`);
    expect(retried.status).toBe(200);
    await app.drain();
    expect(runs).toEqual([dead, newer, dead]);
  });

  it.runIf(dialectAvailable(dialect))('`textback jobs list --state dead` shows a dead job and `textback jobs retry <id>` runs it again', async () => {
    const url = app.database.url;
    const id = await deadJob(org.orgId);
    // Due a week after both the fake clock and the real one (the CLI's).
    const weekLater = Math.max(app.clock.now(), Date.now()) + 7 * 24 * 3600_000;
    const pending = await enqueue(app.tb.ctx.db.kysely, app.clock, { kind: 'test.export', payload: {}, orgId: otherOrg.orgId, runAt: weekLater });

    const list = await textback(url, 'jobs', 'list', '--state', 'dead');
    expect(list, list.stderr).toMatchObject({ code: 0 });
    const lines = list.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(id);
    expect(lines[0]).toMatch(/\bdead\b.*test\.export.*attempts=1\/10.*error=export target rejected the upload \(403\)/);
    expect(list.stdout).not.toContain(pending);

    // A job that is not dead cannot be retried: the command fails and says why.
    const refused = await textback(url, 'jobs', 'retry', pending);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`job ${pending} is not dead or cancelled`);

    healthy = true;
    const retry = await textback(url, 'jobs', 'retry', id);
    expect(retry, retry.stderr).toMatchObject({ code: 0 });
    expect(retry.stdout).toContain(`job ${id} will run again now`);
    const job = await app.tb.ctx.db.kysely.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(job).toMatchObject({ state: 'pending', attempts: 0, last_error: null });
    expect((await textback(url, 'jobs', 'list', '--state', 'dead')).stdout.trim()).toBe('no jobs');

    // The CLI used the real clock: "now" for it is the job's run_at, which the fake clock reaches.
    app.clock.set(Math.max(app.clock.now(), job.run_at));
    expect(await app.drain()).toBe(1);
    expect(runs).toEqual([id, id]);
    const after = await textback(url, 'jobs', 'list', '--state', 'completed');
    expect(after.stdout).toContain(id);
    expect((await api(app, org, 'GET', `/v1/jobs?state=completed`)).json.data).toMatchObject([{ id, attempts: 1 }]);
  });
});
