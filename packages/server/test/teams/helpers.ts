/** Shared by the team tests: an organization with a team of agents, each with an API key and a sandbox phone. */
import { expect } from 'vitest';
import { api, createTestOrg, type ApiCall, type TestApp, type TestOrg } from '../support/test-app.js';

export const SECOND = 1000;

export interface TestAgent {
  userId: string;
  name: string;
  apiKey: string;
  mobile: string;
}

export interface TeamOrg extends TestOrg {
  teamId: string;
  agents: TestAgent[];
}

let seq = 0;
/** A fictional handset number (+1 555 …), unique in this test process. */
export const handset = () => `+1555${String(1_000_000 + seq++).slice(-7)}`;

export function ok(res: ApiCall, status = 200): ApiCall {
  expect(res.status, `${res.status} ${res.raw.body.slice(0, 400)}`).toBe(status);
  return res;
}

/** An organization with one sandbox number, a team "Sales" on it, and `n` agents with phones and keys. */
export async function createTeamOrg(app: TestApp, n: number, options: { status?: 'online' | 'offline' | 'busy'; names?: string[] } = {}): Promise<TeamOrg> {
  const org = await createTestOrg(app);
  const agents: TestAgent[] = [];
  for (let i = 0; i < n; i++) {
    const name = options.names?.[i] ?? `Agent ${i + 1}`;
    const user = ok(await api(app, org, 'POST', '/v1/users', { email: `agent${seq++}@example.com`, name, role: 'agent' }), 201).json;
    const key = ok(await api(app, org, 'POST', '/v1/api-keys', { user_id: user.id, name: 'phone app' }), 201).json;
    const mobile = handset();
    ok(await api(app, org, 'PATCH', `/v1/users/${user.id}/agent`, { mobile, status: options.status ?? 'online' }));
    agents.push({ userId: user.id, name, apiKey: key.key, mobile });
  }
  const team = ok(await api(app, org, 'POST', '/v1/teams', { name: 'Sales', member_ids: agents.map((a) => a.userId) }), 201).json;
  ok(await api(app, org, 'PATCH', `/v1/numbers/${org.numberId}/routing`, { team_id: team.id }));
  return { ...org, teamId: team.id, agents };
}

/** What a sandbox handset received, oldest first. */
export async function inbox(app: TestApp, org: TestOrg, phone: string): Promise<{ body: string; business_number: string }[]> {
  const res = ok(await api(app, org, 'GET', `/v1/sandbox/handsets/${phone}/messages?limit=200`));
  return (res.json.data as { direction: string; body: string; business_number: string }[]).filter((m) => m.direction === 'received').reverse();
}

/**
 * Runs the workers until every queued text has gone out. Each business number sends at its pace
 * (compliance pacing: one text a second for a long code), so the fake clock moves to each next
 * send, and no further: timers of the scenario (ring and invite timeouts) only fire when a test
 * moves the clock on purpose.
 */
export async function settle(app: TestApp): Promise<void> {
  await app.drain();
  for (let i = 0; i < 500; i++) {
    const next = await app.tb.ctx.db.kysely
      .selectFrom('jobs')
      .select((eb) => eb.fn.min('run_at').as('at'))
      .where('kind', '=', 'message.send')
      .where('state', '=', 'pending')
      .executeTakeFirst();
    if (next?.at == null) return;
    const wait = Number(next.at) - app.clock.now();
    if (wait > 0) app.clock.advance(wait);
    await app.drain();
  }
}

/** A handset texts a business number; the workers run until the texts it caused have gone out. */
export async function textFrom(app: TestApp, org: TestOrg, from: string, body: string, to = org.number): Promise<void> {
  const res = await api(app, org, 'POST', '/v1/sandbox/messages', { from, to, body });
  expect([201, 202], res.raw.body).toContain(res.status);
  await settle(app);
}

export const as = (agent: TestAgent) => ({ apiKey: agent.apiKey });

/** The contact's timeline entries written by teams. */
export async function teamTimeline(app: TestApp, org: TestOrg, contactId: string): Promise<string[]> {
  const res = ok(await api(app, org, 'GET', `/v1/contacts/${contactId}/timeline`));
  return (res.json.data as { kind: string; summary: string }[]).filter((e) => e.kind === 'team').map((e) => e.summary);
}
