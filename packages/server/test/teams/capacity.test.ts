/**
 * An agent never holds more sessions than their maximum, even when many originators text at once:
 * on PostgreSQL two Textback instances with their own connection pools (two workers, two API
 * servers) process the keywords, the accepts and the invite timeouts side by side. Both databases
 * (SQLite: one instance, the same concurrent requests).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/database.js';
import { createLogger } from '../../src/support/logger.js';
import { createTextback, type Textback } from '../../src/textback.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { createTeamOrg, handset, ok, SECOND, type TeamOrg } from './helpers.js';

const ORIGINATORS = 100;
const MAX = 2;

describe.each(DIALECTS)('queue capacity under concurrency (%s)', (dialect) => {
  let app: TestApp;
  let second: { tb: Textback; db: Db; http: Awaited<ReturnType<Textback['http']>> } | undefined;
  const run = it.runIf(dialectAvailable(dialect));

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    if (dialect === 'postgres') {
      // A second process, as far as the database can tell: its own pool, worker and HTTP server.
      const db = openDatabase(app.database.url, { poolSize: 10 });
      const tb = await createTextback({ config: app.tb.ctx.config, clock: app.clock, db, logger: createLogger('silent') });
      second = { tb, db, http: await tb.http() };
      countClaims(app.tb, 0);
      countClaims(tb, 1);
    }
  });
  afterAll(async () => {
    if (second) {
      await second.tb.close();
      await second.db.close();
    }
    await app?.close();
  });

  /** Jobs each instance's worker claimed: both must have taken part on PostgreSQL. */
  const claimed: [number, number] = [0, 0];
  const countClaims = (tb: Textback, i: 0 | 1) => {
    const claim = tb.worker.claim.bind(tb.worker);
    tb.worker.claim = async (limit) => {
      const jobs = await claim(limit);
      claimed[i] += jobs.length;
      return jobs;
    };
  };

  /** Both instances drain side by side until neither finds anything due. */
  async function drainAll(): Promise<void> {
    for (let quiet = 0; quiet < 2; ) {
      const ran = await Promise.all([app.tb.worker.drain(), ...(second ? [second.tb.worker.drain()] : [])]);
      quiet = ran.every((n) => n === 0) ? quiet + 1 : 0;
    }
  }

  async function call(i: number, key: string, method: 'POST' | 'GET', url: string, body?: unknown) {
    const http = second && i % 2 === 1 ? second.http : app.http;
    const res = await http.inject({ method, url, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
    return { status: res.statusCode, json: res.body ? JSON.parse(res.body) : undefined };
  }

  run(`${ORIGINATORS} originators at once, 3 agents with a maximum of ${MAX}: no agent ever holds more than ${MAX}`, async () => {
    const org: TeamOrg = await createTeamOrg(app, 3);
    const queue = ok(
      await api(app, org, 'POST', '/v1/queues', {
        name: 'Rush',
        initiation_keyword: 'HELPDESK',
        termination_keyword: 'DONE',
        strategy: 'ring_all',
        invite_timeout_seconds: 600,
        numbers: [org.number],
      }),
      201,
    ).json;
    for (const a of org.agents) ok(await api(app, org, 'PUT', `/v1/queues/${queue.id}/agents/${a.userId}`, { sms_enabled: true, max_sessions: MAX }));

    // Everyone texts the keyword at the same moment, through both API servers.
    const originators = Array.from({ length: ORIGINATORS }, () => handset());
    const posted = await Promise.all(originators.map((from, i) => call(i, org.apiKey, 'POST', '/v1/sandbox/messages', { from, to: org.number, body: 'helpdesk' })));
    expect(posted.every((r) => r.status === 201 || r.status === 202)).toBe(true);
    await drainAll();

    const sessions = await app.tb.ctx.db.kysely.selectFrom('queue_sessions').selectAll().where('queue_id', '=', queue.id).orderBy('created_at').orderBy('id').execute();
    expect(sessions).toHaveLength(ORIGINATORS);
    expect(new Set(sessions.map((s) => s.originator_e164)).size).toBe(ORIGINATORS);
    expect(sessions.every((s) => s.state === 'waiting')).toBe(true);
    // As many sessions are offered (ring all: to every agent) as the agents have slots together;
    // the others wait in line, each told a different place in it.
    const invites = await app.tb.ctx.db.kysely.selectFrom('queue_invites').select(['session_id', 'user_id']).where('org_id', '=', org.orgId).execute();
    const offered = sessions.filter((s) => invites.some((i) => i.session_id === s.id));
    expect(offered).toHaveLength(3 * MAX);
    expect(invites).toHaveLength(3 * MAX * 3);
    const queued = await app.tb.ctx.db.kysely.selectFrom('events').select('data').where('org_id', '=', org.orgId).where('type', '=', 'queue.session_queued').execute();
    expect(queued.map((e) => (JSON.parse(e.data) as { position: number }).position).sort((a, b) => a - b)).toEqual(Array.from({ length: ORIGINATORS - 3 * MAX }, (_, i) => i + 1));

    // Every agent accepts every session at once, through both servers (those in line have no invite: 403).
    const attempts = org.agents.flatMap((agent, a) => sessions.map((s, i) => ({ agent, session: s, i: i + a })));
    const results = await Promise.all(attempts.map(({ agent, session, i }) => call(i, agent.apiKey, 'POST', `/v1/queue-sessions/${session.id}/accept`)));
    expect(results.filter((r) => r.status !== 200 && r.status !== 409 && r.status !== 403).map((r) => r.json)).toEqual([]);
    for (const agent of org.agents) {
      const won = results.filter((r, k) => r.status === 200 && attempts[k]!.agent === agent);
      expect(won).toHaveLength(MAX);
    }

    const active = await app.tb.ctx.db.kysely.selectFrom('queue_sessions').select(['id', 'agent_user_id']).where('queue_id', '=', queue.id).where('state', '=', 'active').execute();
    expect(active).toHaveLength(3 * MAX);
    const counters = await app.tb.ctx.db.kysely.selectFrom('queue_agents').select(['user_id', 'active_sessions']).where('queue_id', '=', queue.id).execute();
    for (const c of counters) {
      expect(c.active_sessions).toBe(MAX);
      expect(active.filter((s) => s.agent_user_id === c.user_id)).toHaveLength(MAX);
    }
    const accepted = await app.tb.ctx.db.kysely.selectFrom('queue_invites').select(['session_id']).where('org_id', '=', org.orgId).where('state', '=', 'accepted').execute();
    expect(accepted).toHaveLength(3 * MAX);

    // One agent ends a session: one slot frees, the first in line is offered to that agent, and
    // only one more accept gets through.
    const freed = active.find((s) => s.agent_user_id === org.agents[0]!.userId)!;
    ok(await api(app, { apiKey: org.agents[0]!.apiKey }, 'POST', `/v1/queue-sessions/${freed.id}/end`));
    await drainAll();
    const waiting = sessions.filter((s) => !offered.includes(s)).slice(0, 10);
    const next = await app.tb.ctx.db.kysely.selectFrom('queue_invites').select(['session_id', 'user_id']).where('org_id', '=', org.orgId).where('state', '=', 'pending').execute();
    expect(next).toEqual([{ session_id: waiting[0]!.id, user_id: org.agents[0]!.userId }]);
    const retry = await Promise.all(waiting.map((s, i) => call(i, org.agents[0]!.apiKey, 'POST', `/v1/queue-sessions/${s.id}/accept`)));
    expect(retry.map((r) => r.status)).toEqual([200, ...Array(9).fill(403)]);

    // The line waits while agents are online, however long; when the last one goes offline, it
    // ends with the no-agents message.
    app.clock.advance(600 * SECOND);
    await drainAll();
    expect(await app.tb.ctx.db.kysely.selectFrom('queue_sessions').select('id').where('queue_id', '=', queue.id).where('state', '=', 'waiting').execute()).toHaveLength(ORIGINATORS - 3 * MAX - 1);
    for (const a of org.agents) ok(await api(app, org, 'PUT', `/v1/users/${a.userId}/status`, { status: 'offline' }));
    await drainAll();
    const { rows } = await sql<{ state: string; end_reason: string | null; n: number }>`
      select state, end_reason, count(*) as n from queue_sessions where queue_id = ${queue.id} group by state, end_reason order by state, end_reason`.execute(app.tb.ctx.db.kysely);
    expect(rows.map((r) => [r.state, r.end_reason, Number(r.n)])).toEqual([
      ['active', null, 3 * MAX],
      ['ended', 'agent', 1],
      ['ended', 'timed_out', ORIGINATORS - 3 * MAX - 1],
    ]);
    const final = await app.tb.ctx.db.kysely.selectFrom('queue_agents').select('active_sessions').where('queue_id', '=', queue.id).execute();
    expect(final.map((r) => r.active_sessions)).toEqual([MAX, MAX, MAX]);
    expect(sessions.length).toBe(ORIGINATORS);
    if (second) expect(claimed.every((n) => n > 0), `jobs claimed per worker: ${claimed.join(', ')}`).toBe(true);
  });
});
