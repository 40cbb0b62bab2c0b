/**
 * Agents' availability: status set by hand or by a weekly schedule in the agent's own zone, the
 * personal phone (one agent per phone), who may change what, and teams with their members.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { as, createTeamOrg, ok } from './helpers.js';

describe.each(DIALECTS)('agents and availability (%s)', (dialect) => {
  let app: TestApp;
  const run = it.runIf(dialectAvailable(dialect));

  beforeAll(async () => {
    if (dialectAvailable(dialect)) app = await createTestApp(dialect);
  });
  afterAll(async () => app?.close());

  run('an agent sets their own status; a supervisor anyone\'s; another agent gets 403', async () => {
    const org = await createTeamOrg(app, 2, { status: 'offline' });
    const [ana, ben] = org.agents as [(typeof org.agents)[0], (typeof org.agents)[0]];
    expect(ok(await api(app, as(ana), 'PUT', `/v1/users/${ana.userId}/status`, { status: 'busy' })).json).toMatchObject({ status: 'busy', effective_status: 'busy' });
    const denied = await api(app, as(ana), 'PUT', `/v1/users/${ben.userId}/status`, { status: 'online' });
    expect(denied.status).toBe(403);
    ok(await api(app, org, 'PUT', `/v1/users/${ben.userId}/status`, { status: 'online' }));
    expect((await api(app, org, 'PUT', `/v1/users/${ben.userId}/status`, { status: 'away' })).status).toBe(400);
    const team = ok(await api(app, org, 'GET', `/v1/teams/${org.teamId}`)).json;
    expect(team.members.map((m: { name: string; effective_status: string }) => [m.name, m.effective_status])).toEqual([
      ['Agent 1', 'busy'],
      ['Agent 2', 'online'],
    ]);
    const changes = await app.tb.ctx.db.kysely.selectFrom('events').select('subject_id').where('org_id', '=', org.orgId).where('type', '=', 'agent.status_changed').execute();
    expect(changes.length).toBeGreaterThanOrEqual(2);
  });

  run('with a weekly schedule in their own zone, the schedule decides online and offline; busy still counts', async () => {
    const org = await createTeamOrg(app, 1, { status: 'offline' });
    const agent = org.agents[0]!;
    // The fake clock: Thursday 2026-01-15 17:00 UTC = 11:00 in Chicago.
    const schedule = { time_zone: 'America/Chicago', weekly: { thu: [{ open: '09:00', close: '17:00' }] } };
    const set = ok(await api(app, as(agent), 'PATCH', `/v1/users/${agent.userId}/agent`, { schedule }));
    expect(set.json).toMatchObject({ status: 'offline', effective_status: 'online', schedule });
    ok(await api(app, as(agent), 'PUT', `/v1/users/${agent.userId}/status`, { status: 'busy' }));
    expect(ok(await api(app, org, 'GET', `/v1/users/${agent.userId}/agent`)).json.effective_status).toBe('busy');
    app.clock.advance(7 * 3600 * 1000); // 18:00 in Chicago
    ok(await api(app, as(agent), 'PUT', `/v1/users/${agent.userId}/status`, { status: 'online' }));
    expect(ok(await api(app, org, 'GET', `/v1/users/${agent.userId}/agent`)).json.effective_status).toBe('offline');
    app.clock.advance(-7 * 3600 * 1000);
    const bad = await api(app, as(agent), 'PATCH', `/v1/users/${agent.userId}/agent`, { schedule: { time_zone: 'Mars/Olympus', weekly: { thu: [{ open: '17:00', close: '09:00' }] } } });
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: { field: string }) => e.field)).toEqual(['schedule.time_zone', 'schedule.weekly.thu[0]']);
    expect(ok(await api(app, as(agent), 'PATCH', `/v1/users/${agent.userId}/agent`, { schedule: null })).json).toMatchObject({ schedule: null, effective_status: 'online' });
  });

  run("a phone belongs to one agent, is not a business number, and becomes a contact named after the agent", async () => {
    const org = await createTeamOrg(app, 2);
    const [ana, ben] = org.agents as [(typeof org.agents)[0], (typeof org.agents)[0]];
    const taken = await api(app, org, 'PATCH', `/v1/users/${ben.userId}/agent`, { mobile: ana.mobile });
    expect(taken.status).toBe(409);
    const business = await api(app, org, 'PATCH', `/v1/users/${ben.userId}/agent`, { mobile: org.number });
    expect(business.status).toBe(400);
    expect((await api(app, org, 'PATCH', `/v1/users/${ben.userId}/agent`, { mobile: 'not a phone' })).json.code).toBe('invalid_number');
    const contact = ok(await api(app, org, 'GET', `/v1/contacts?q=${ana.mobile.slice(1)}`)).json.data[0];
    expect(contact).toMatchObject({ phone: ana.mobile, name: 'Agent 1', source: 'agent', time_zone: 'America/New_York' });
    // National form in the organization's country.
    expect(ok(await api(app, as(ben), 'PATCH', `/v1/users/${ben.userId}/agent`, { mobile: '(415) 555-0199' })).json.mobile).toBe('+14155550199');
  });

  run('teams: supervisors create them and manage members; agents cannot; another organization sees 404', async () => {
    const org = await createTeamOrg(app, 2);
    const other = await createTeamOrg(app, 1);
    expect((await api(app, as(org.agents[0]!), 'POST', '/v1/teams', { name: 'Night shift' })).status).toBe(403);
    const team = ok(await api(app, org, 'POST', '/v1/teams', { name: 'Night shift', member_ids: [org.agents[0]!.userId] }), 201).json;
    expect(team.members.map((m: { user_id: string }) => m.user_id)).toEqual([org.agents[0]!.userId]);
    const added = ok(await api(app, org, 'PUT', `/v1/teams/${team.id}/members/${org.agents[1]!.userId}`)).json;
    expect(added.members).toHaveLength(2);
    expect((await api(app, org, 'DELETE', `/v1/teams/${team.id}/members/${org.agents[0]!.userId}`)).status).toBe(204);
    expect(ok(await api(app, org, 'GET', `/v1/teams/${team.id}`)).json.members).toHaveLength(1);
    expect((await api(app, other, 'GET', `/v1/teams/${team.id}`)).status).toBe(404);
    expect((await api(app, other, 'PUT', `/v1/teams/${team.id}/members/${other.agents[0]!.userId}`)).status).toBe(404);
    expect((await api(app, org, 'PUT', `/v1/teams/${team.id}/members/${other.agents[0]!.userId}`)).status).toBe(404);
  });
});
