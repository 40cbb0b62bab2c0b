/**
 * Speed to lead with the "team unavailable" text: all agents offline (text at once), an agent
 * answers the ring (no text), no one answers (text after the ring timeout), a second lead from the
 * same person (no text: once per lead, ever), a lead from an inbound call (none), who may turn it
 * on, and every decision on the contact's timeline. Both databases, fake clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { as, createTeamOrg, inbox, ok, SECOND, settle, teamTimeline, type TeamOrg } from './helpers.js';

const TEXT = "Thanks for reaching out to Acme! We'll call you back within the hour.";

describe.each(DIALECTS)('speed to lead and the team-unavailable text (%s)', (dialect) => {
  let app: TestApp;
  let n = 0;
  // Real numbering-plan numbers (leads come through the API, which checks them): 415-555-02xx.
  const leadPhone = () => `+1415555${String(200 + n++).padStart(4, '0')}`;
  const run = it.runIf(dialectAvailable(dialect));

  beforeAll(async () => {
    if (dialectAvailable(dialect)) app = await createTestApp(dialect);
  });
  afterAll(async () => app?.close());

  async function teamWithText(agents: number, status: 'online' | 'offline' | 'busy'): Promise<TeamOrg> {
    const org = await createTeamOrg(app, agents, { status });
    ok(await api(app, org, 'PATCH', `/v1/teams/${org.teamId}`, { settings: { sms_if_unavailable: true, unavailable_text: TEXT, ring_timeout_seconds: 30 } }));
    return org;
  }

  /** The form's consent, recorded on the contact (automated texts need it), then the lead. */
  async function postLead(org: TeamOrg, phone: string, extra: Record<string, unknown> = {}, consent = true) {
    if (consent) {
      const existing = ok(await api(app, org, 'GET', `/v1/contacts?q=${encodeURIComponent(phone.slice(1))}`)).json.data[0];
      const contact = existing ?? ok(await api(app, org, 'POST', '/v1/contacts', { phone }), 201).json;
      const res = await api(app, org, 'POST', `/v1/contacts/${contact.id}/consent`, { state: 'opted_in', evidence: { form: 'acme.com/quote', disclosure: 'I agree to receive texts about my request.' } });
      expect([200, 201]).toContain(res.status);
    }
    const lead = ok(await api(app, org, 'POST', '/v1/leads', { phone, name: 'Robin Park', source: 'website form', ...extra }), 201).json;
    await settle(app);
    return lead as { id: string; contact_id: string };
  }

  const texts = async (org: TeamOrg, phone: string) => (await inbox(app, org, phone)).map((m) => m.body);

  run('only owners and admins turn the text on; it is off by default', async () => {
    const org = await createTeamOrg(app, 1);
    expect(ok(await api(app, org, 'GET', `/v1/teams/${org.teamId}`)).json.settings).toMatchObject({ sms_if_unavailable: false, ring_timeout_seconds: 30 });
    const sup = ok(await api(app, org, 'POST', '/v1/users', { email: `sup${n++}@example.com`, name: 'Sam Supervisor', role: 'supervisor' }), 201).json;
    const supKey = ok(await api(app, org, 'POST', '/v1/api-keys', { user_id: sup.id, name: 'k' }), 201).json.key;
    const bySupervisor = await api(app, { apiKey: supKey }, 'PATCH', `/v1/teams/${org.teamId}`, { settings: { sms_if_unavailable: true } });
    expect(bySupervisor.status).toBe(403);
    expect(bySupervisor.json.code).toBe('forbidden');
    expect((await api(app, as(org.agents[0]!), 'PATCH', `/v1/teams/${org.teamId}`, { settings: { sms_if_unavailable: true } })).status).toBe(403);
    // A supervisor may still change the ring timeout.
    ok(await api(app, { apiKey: supKey }, 'PATCH', `/v1/teams/${org.teamId}`, { settings: { ring_timeout_seconds: 20 } }));
    const byOwner = ok(await api(app, org, 'PATCH', `/v1/teams/${org.teamId}`, { settings: { sms_if_unavailable: true, unavailable_text: TEXT } }));
    expect(byOwner.json.settings).toEqual({ sms_if_unavailable: true, unavailable_text: TEXT, ring_timeout_seconds: 20 });
  });

  run('every agent offline: the text goes out at once; a second lead from the same person gets none', async () => {
    const org = await teamWithText(3, 'offline');
    const phone = leadPhone();
    const lead = await postLead(org, phone);
    const received = await texts(org, phone);
    expect(received).toHaveLength(1);
    expect(received[0]!.startsWith(TEXT)).toBe(true);
    const message = await app.tb.ctx.db.kysely.selectFrom('messages').selectAll().where('org_id', '=', org.orgId).where('to_e164', '=', phone).executeTakeFirstOrThrow();
    expect(message).toMatchObject({ created_by_type: 'system', automated: 1, from_e164: org.number });
    expect(await teamTimeline(app, org, lead.contact_id)).toEqual([expect.stringMatching(/^Sales: every agent is offline \(Agent 1, Agent 2, Agent 3\) → team-unavailable text queued/)]);

    // A second lead for the same person, even with agents online who do not answer: never a second text.
    ok(await api(app, org, 'PUT', `/v1/users/${org.agents[0]!.userId}/status`, { status: 'online' }));
    const again = await postLead(org, phone, { external_id: 'crm-2' });
    await app.advance(31 * SECOND);
    await settle(app);
    expect(await texts(org, phone)).toHaveLength(1);
    const timeline = await teamTimeline(app, org, again.contact_id);
    expect(timeline.at(-1)).toMatch(/no agent answered within 31 s; no text: this lead already got the team-unavailable text on .* \(lead lead_\w+\), and gets it once/);
  });

  run('an online agent answers the ring: connected, no text', async () => {
    const org = await teamWithText(3, 'offline');
    ok(await api(app, org, 'PUT', `/v1/users/${org.agents[1]!.userId}/status`, { status: 'online' }));
    ok(await api(app, org, 'PUT', `/v1/users/${org.agents[2]!.userId}/status`, { status: 'online' }));
    const phone = leadPhone();
    const lead = await postLead(org, phone);
    const ringing = ok(await api(app, org, 'GET', '/v1/agent-calls?state=ringing')).json.data;
    expect(ringing.map((c: { user_id: string }) => c.user_id).sort()).toEqual([org.agents[1]!.userId, org.agents[2]!.userId].sort());
    expect(ringing[0]).toMatchObject({ from: org.number, carrier: 'sandbox', lead_id: lead.id });

    await app.advance(12 * SECOND);
    const call = ringing.find((c: { user_id: string }) => c.user_id === org.agents[2]!.userId);
    const answered = ok(await api(app, as(org.agents[2]!), 'POST', `/v1/sandbox/agent-calls/${call.id}/answer`));
    expect(answered.json.state).toBe('answered');
    await app.advance(60 * SECOND);
    await settle(app);
    expect(await texts(org, phone)).toEqual([]);
    const states = ok(await api(app, org, 'GET', '/v1/agent-calls')).json.data.map((c: { state: string }) => c.state).sort();
    expect(states).toEqual(['answered', 'cancelled']);
    // The other agent is too late.
    const other = ringing.find((c: { user_id: string }) => c.user_id === org.agents[1]!.userId);
    expect((await api(app, org, 'POST', `/v1/sandbox/agent-calls/${other.id}/answer`)).status).toBe(409);
    expect(await teamTimeline(app, org, lead.contact_id)).toEqual([
      expect.stringMatching(/^Sales: ringing Agent 2, Agent 3 for 30 s/),
      'Sales: Agent 3 answered after 12 s and was connected to the lead; no text',
    ]);
  });

  run('no one picks up: the text goes out when the ring times out', async () => {
    const org = await teamWithText(2, 'online');
    const phone = leadPhone();
    const lead = await postLead(org, phone);
    await app.advance(29 * SECOND);
    expect(await texts(org, phone)).toEqual([]);
    await app.advance(1 * SECOND);
    await settle(app);
    const received = await texts(org, phone);
    expect(received).toHaveLength(1);
    expect(received[0]!.startsWith(TEXT)).toBe(true);
    const calls = ok(await api(app, org, 'GET', '/v1/agent-calls')).json.data.filter((c: { lead_id: string }) => c.lead_id === lead.id);
    expect(calls.map((c: { state: string }) => c.state)).toEqual(['missed', 'missed']);
    expect((await api(app, org, 'POST', `/v1/sandbox/agent-calls/${calls[0].id}/answer`)).json.detail).toContain('no longer ringing');
    expect((await teamTimeline(app, org, lead.contact_id)).at(-1)).toMatch(/^Sales: no agent answered within 30 s → team-unavailable text queued/);
  });

  run('busy agents are not rung: the text goes out at once', async () => {
    const org = await teamWithText(2, 'busy');
    const phone = leadPhone();
    const lead = await postLead(org, phone);
    expect(await texts(org, phone)).toHaveLength(1);
    expect((await teamTimeline(app, org, lead.contact_id))[0]).toMatch(/no agent can be rung \(busy: Agent 1, Agent 2\)/);
  });

  run('a lead from an inbound call gets no text; a text the gate blocks does not use up the one text', async () => {
    const org = await teamWithText(1, 'offline');
    const caller = leadPhone();
    const fromCall = await postLead(org, caller, { source: 'inbound_call' });
    expect(await texts(org, caller)).toEqual([]);
    expect(await teamTimeline(app, org, fromCall.contact_id)).toEqual(['Sales: no text: the lead came from an inbound call (the missed-call rules cover it)']);

    const phone = leadPhone();
    ok(await api(app, org, 'POST', '/v1/suppressions', { phone, reason: 'asked not to be texted' }), 201);
    const blocked = await postLead(org, phone);
    expect(await texts(org, phone)).toEqual([]);
    expect((await teamTimeline(app, org, blocked.contact_id))[0]).toMatch(/team-unavailable text blocked by compliance \(suppressed, rule SUPPRESSION\)/);
    // Off the list, the next lead is texted: the blocked text was never sent, so it did not count.
    ok(await api(app, org, 'DELETE', `/v1/suppressions/${encodeURIComponent(phone)}`), 204);
    await postLead(org, phone, { external_id: 'retry' });
    expect(await texts(org, phone)).toHaveLength(1);
  });

  run('two leads for one person at the same moment: one text', async () => {
    const org = await teamWithText(1, 'offline');
    const phone = leadPhone();
    const contact = ok(await api(app, org, 'POST', '/v1/contacts', { phone }), 201).json;
    await api(app, org, 'POST', `/v1/contacts/${contact.id}/consent`, { state: 'opted_in', evidence: { form: 'acme.com/quote' } });
    const results = await Promise.all([1, 2, 3].map((i) => api(app, org, 'POST', '/v1/leads', { phone, source: 'form', external_id: `burst-${i}` })));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201]);
    await settle(app);
    expect(await texts(org, phone)).toHaveLength(1);
  });
});
