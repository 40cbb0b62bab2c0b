/**
 * SMS queues: a full dialogue from the initiation keyword to the termination keyword, the
 * initiation-needed and no-agents messages, an invite timing out and moving to the next agent,
 * agent-ended sessions, keyword validation, roles and statistics. Both databases, fake clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/support/ids.js';
import { receiveInboundMessage } from '../../src/use-cases/receive.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { as, createTeamOrg, handset, inbox, ok, SECOND, settle, teamTimeline, textFrom, type TeamOrg } from './helpers.js';

const QUEUE = {
  name: 'Support',
  initiation_keyword: 'SUPPORT',
  initiation_message: 'You are in the Support queue. An agent will be with you shortly.',
  initiation_needed_message: 'To reach Support, text SUPPORT.',
  termination_keyword: 'BYE',
  termination_message: 'Thanks for chatting with Support. Goodbye!',
  no_agents_message: 'Sorry, no Support agent is available right now.',
  strategy: 'round_robin',
  invite_timeout_seconds: 60,
};

describe.each(DIALECTS)('SMS queues (%s)', (dialect) => {
  let app: TestApp;
  const run = it.runIf(dialectAvailable(dialect));

  beforeAll(async () => {
    if (dialectAvailable(dialect)) app = await createTestApp(dialect);
  });
  afterAll(async () => app?.close());

  async function queueOrg(agents: number, extra: Record<string, unknown> = {}, status: 'online' | 'offline' = 'online') {
    const org = await createTeamOrg(app, agents, { status, names: ['Ana', 'Ben', 'Cy', 'Dee'] });
    const queue = ok(await api(app, org, 'POST', '/v1/queues', { ...QUEUE, numbers: [org.number], ...extra }), 201).json;
    for (const agent of org.agents) ok(await api(app, org, 'PUT', `/v1/queues/${queue.id}/agents/${agent.userId}`, { sms_enabled: true, max_sessions: 2 }));
    return { org, queue: queue as { id: string } };
  }

  const texts = async (org: TeamOrg, phone: string) => (await inbox(app, org, phone)).map((m) => m.body);
  const sessionsOf = async (org: TeamOrg, query = '') => ok(await api(app, org, 'GET', `/v1/queue-sessions${query}`)).json.data;
  const events = async (org: TeamOrg, type: string) =>
    (await app.tb.ctx.db.kysely.selectFrom('events').selectAll().where('org_id', '=', org.orgId).where('type', '=', type).orderBy('seq').execute()).map((e) => ({
      subject: e.subject_id,
      ...(JSON.parse(e.data) as Record<string, unknown>),
    }));

  run('refuses keywords that collide with STOP/HELP-type words; only supervisors and above manage queues', async () => {
    const org = await createTeamOrg(app, 1);
    const bad = await api(app, org, 'POST', '/v1/queues', { ...QUEUE, initiation_keyword: 'help', termination_keyword: 'Stop', numbers: [org.number] });
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: { field: string }) => e.field)).toEqual(['initiation_keyword', 'termination_keyword']);
    expect(bad.json.detail).toContain('HELP');
    const same = await api(app, org, 'POST', '/v1/queues', { ...QUEUE, termination_keyword: 'support', numbers: [org.number] });
    expect(same.json.errors[0].field).toBe('termination_keyword');
    expect((await api(app, as(org.agents[0]!), 'POST', '/v1/queues', { ...QUEUE, numbers: [org.number] })).status).toBe(403);
    const created = ok(await api(app, org, 'POST', '/v1/queues', { ...QUEUE, numbers: [org.number] }), 201).json;
    expect(created).toMatchObject({ name: 'Support', strategy: 'round_robin', numbers: [org.number], invite_by_sms: false });
    const renamed = await api(app, org, 'PATCH', `/v1/queues/${created.id}`, { initiation_keyword: 'UNSUBSCRIBE' });
    expect(renamed.status).toBe(400);
    // A queue's number cannot also forward to its team.
    expect((await api(app, org, 'PATCH', `/v1/numbers/${org.numberId}/routing`, { forward_texts: 'all' })).status).toBe(409);
    expect((await api(app, as(org.agents[0]!), 'PUT', `/v1/queues/${created.id}/agents/${org.agents[0]!.userId}`, { sms_enabled: true, max_sessions: 3 })).status).toBe(403);
  });

  run('a full dialogue: keyword, invite, accept, texts both ways, termination keyword', async () => {
    const { org, queue } = await queueOrg(1, { invite_by_sms: true });
    const ana = org.agents[0]!;
    const customer = handset();

    await textFrom(app, org, customer, '  support ');
    expect((await texts(org, customer))[0]!.startsWith(QUEUE.initiation_message)).toBe(true);
    const [waiting] = await sessionsOf(org, '?state=waiting');
    expect(waiting).toMatchObject({ queue_id: queue.id, originator: customer, state: 'waiting', agent_id: null, invites: [{ user_id: ana.userId, state: 'pending' }] });
    // The invite is on the event stream, and (this queue says so) on the agent's phone.
    expect(await events(org, 'queue.session_invite')).toEqual([expect.objectContaining({ subject: waiting.id, user_id: ana.userId })]);
    expect(await texts(org, ana.mobile)).toEqual([`Support: ${customer} is waiting for an agent. Reply 1 or ACCEPT within 60 s to take session ${waiting.id} (or accept it in Textback).`]);

    await app.advance(20 * SECOND);
    const accepted = ok(await api(app, as(ana), 'POST', `/v1/queue-sessions/${waiting.id}/accept`)).json;
    expect(accepted).toMatchObject({ state: 'active', agent_id: ana.userId });
    expect((await api(app, as(ana), 'POST', `/v1/queue-sessions/${waiting.id}/accept`)).status).toBe(409);

    // Originator → agent's phone, agent's phone → originator, and the API → originator.
    await textFrom(app, org, customer, 'My order #1234 is late');
    expect((await texts(org, ana.mobile)).at(-1)).toBe(`${customer}: My order #1234 is late`);
    await textFrom(app, org, ana.mobile, 'Sorry! Let me check.');
    const sent = ok(await api(app, as(ana), 'POST', `/v1/queue-sessions/${waiting.id}/messages`, { body: 'It ships today.' }), 201).json;
    expect(sent).toMatchObject({ from: org.number, to: customer, created_by: { type: 'user', id: ana.userId } });
    await settle(app);
    expect((await texts(org, customer)).slice(1)).toEqual(['Sorry! Let me check.', 'It ships today.']);

    await app.advance(100 * SECOND);
    await textFrom(app, org, customer, 'bye');
    expect((await texts(org, customer)).at(-1)).toBe(QUEUE.termination_message);
    const [ended] = await sessionsOf(org);
    expect(ended).toMatchObject({ state: 'ended', end_reason: 'originator', agent_id: ana.userId });
    expect(ok(await api(app, org, 'GET', `/v1/queues/${queue.id}/agents`)).json.data[0]).toMatchObject({ active_sessions: 0 });
    // The agent is told, the way the invite reached them (a text, and the event).
    expect((await texts(org, ana.mobile)).at(-1)).toBe(`Support: ${customer} ended session ${waiting.id}.`);
    expect(await events(org, 'queue.session_ended')).toEqual([expect.objectContaining({ subject: waiting.id, reason: 'originator', agent_id: ana.userId })]);
    // After the session, texts are not relayed any more: the originator needs the keyword again.
    // A person's text right after the termination message is answered, not dropped.
    await textFrom(app, org, customer, 'one more thing');
    expect((await texts(org, customer)).at(-1)).toBe(QUEUE.initiation_needed_message);

    const stats = ok(await api(app, org, 'GET', `/v1/queues/${queue.id}/statistics?from=2026-01-01&to=2026-02-01`)).json;
    expect(stats.totals).toEqual({ sms_vol: 1, sms_aht_seconds: expect.any(Number), avg_wait_seconds: expect.any(Number), abandoned: 0, no_agents: 0 });
    expect(stats.totals.avg_wait_seconds).toBeGreaterThanOrEqual(20);
    expect(stats.totals.sms_aht_seconds).toBeGreaterThanOrEqual(100);
    expect(stats.agents).toEqual([{ user_id: ana.userId, sms_vol: 1, sms_aht_seconds: stats.totals.sms_aht_seconds, avg_wait_seconds: stats.totals.avg_wait_seconds }]);
    const contactId = ended.contact_id as string;
    const timeline = await teamTimeline(app, org, contactId);
    expect(timeline[0]).toMatch(/^Support: session started by the keyword/);
    expect(timeline).toContain('Support: session ended by the originator (termination keyword)');
  });

  run('anything but the keyword from someone not in a session gets the initiation-needed message', async () => {
    const { org } = await queueOrg(1);
    const someone = handset();
    await textFrom(app, org, someone, 'Hi, is this the support line?');
    expect((await texts(org, someone))[0]!.startsWith(QUEUE.initiation_needed_message)).toBe(true);
    expect(await sessionsOf(org)).toEqual([]);
    // "support please" is not the keyword either; a person is answered every time, even within a minute.
    await textFrom(app, org, someone, 'support please');
    expect(await texts(org, someone)).toHaveLength(2);
    await textFrom(app, org, someone, 'SUPPORT PLEASE');
    expect(await texts(org, someone)).toHaveLength(3);
    // STOP is compliance's: one confirmation, nothing from the queue.
    await app.advance(61 * SECOND);
    await textFrom(app, org, someone, 'STOP');
    const last = (await texts(org, someone)).at(-1)!;
    expect(last).toContain('unsubscribed');
    expect(await texts(org, someone)).toHaveLength(4);
  });

  run('an automated sender (5 texts a minute, each answered by us) gets no answer, so no loop starts', async () => {
    const { org } = await queueOrg(1);
    const bot = handset();
    for (let i = 1; i <= 6; i++) {
      await textFrom(app, org, bot, `Auto-reply: I am away until Monday (${i})`);
      await app.advance(5 * SECOND);
    }
    // Four answers; from the fifth text within the minute, silence.
    const answers = await texts(org, bot);
    expect(answers).toHaveLength(4);
    expect(answers.every((t) => t.startsWith(QUEUE.initiation_needed_message))).toBe(true);
    const contactId = (await app.tb.ctx.db.kysely.selectFrom('contacts').select('id').where('org_id', '=', org.orgId).where('e164', '=', bot).executeTakeFirstOrThrow()).id;
    expect((await teamTimeline(app, org, contactId)).at(-1)).toMatch(/^Support: no initiation-needed message: 6 texts from this sender within 60 s.*automated sender \(loop prevention\)$/);
    // Once it slows down, it is answered again.
    await app.advance(120 * SECOND);
    await textFrom(app, org, bot, 'Auto-reply: I am away until Monday');
    expect(await texts(org, bot)).toHaveLength(5);
  });

  run('every agent at their maximum: originators wait in line, told their place, and are invited in order as slots free', async () => {
    const { org, queue } = await queueOrg(1, { invite_by_sms: true });
    const ana = org.agents[0]!;
    ok(await api(app, org, 'PUT', `/v1/queues/${queue.id}/agents/${ana.userId}`, { sms_enabled: true, max_sessions: 1 }));
    const [c1, c2, c3, c4] = [handset(), handset(), handset(), handset()];

    // The first is invited; Ana takes it by replying to the invite text.
    await textFrom(app, org, c1, 'SUPPORT');
    expect((await texts(org, c1)).map((t) => t.split('\n')[0])).toEqual([QUEUE.initiation_message]);
    await textFrom(app, org, ana.mobile, ' accept ');
    const [s1] = await sessionsOf(org, '?state=active');
    expect(s1).toMatchObject({ originator: c1, agent_id: ana.userId });
    expect((await texts(org, ana.mobile)).at(-1)).toBe(`Support: you have ${c1} (session ${s1.id}). Your texts to this number go to them.`);

    // Ana is at her maximum: the next ones wait in line, each told their place; no no-agents message.
    for (const [i, c] of [c2, c3, c4].entries()) {
      await textFrom(app, org, c, 'support');
      expect((await texts(org, c)).map((t) => t.split('\n')[0])).toEqual([`${QUEUE.initiation_message} You are number ${i + 1} in line.`]);
    }
    expect(await events(org, 'queue.session_queued')).toMatchObject([{ position: 1 }, { position: 2 }, { position: 3 }]);
    expect((await sessionsOf(org, '?state=waiting')).every((s: { invites: unknown[] }) => s.invites.length === 0)).toBe(true);
    // The third leaves the line with the termination keyword.
    await textFrom(app, org, c3, 'BYE');
    expect((await texts(org, c3)).at(-1)).toBe(QUEUE.termination_message);

    // Five minutes later Ana ends her session: the first in line (c2) is invited, not c4.
    await app.advance(300 * SECOND);
    ok(await api(app, as(ana), 'POST', `/v1/queue-sessions/${s1.id}/end`));
    await settle(app);
    const invited = (await sessionsOf(org, '?state=waiting')).find((s: { originator: string }) => s.originator === c2);
    expect(invited.invites).toMatchObject([{ user_id: ana.userId, state: 'pending' }]);
    expect((await texts(org, ana.mobile)).at(-1)).toMatch(new RegExp(`^Support: \\${c2} is waiting for an agent\\. Reply 1 or ACCEPT`));
    await app.advance(10 * SECOND);
    await textFrom(app, org, ana.mobile, '1');
    expect(ok(await api(app, org, 'GET', `/v1/queue-sessions/${invited.id}`)).json).toMatchObject({ state: 'active', agent_id: ana.userId });
    // With no open invite, "1" is an ordinary answer, relayed to the originator.
    await textFrom(app, org, ana.mobile, '1');
    expect((await texts(org, c2)).at(-1)).toBe('1');

    // c2 ends it: Ana is told; c4 is invited next.
    await app.advance(60 * SECOND);
    await textFrom(app, org, c2, 'bye');
    expect((await texts(org, ana.mobile)).at(-2)).toBe(`Support: ${c2} ended session ${invited.id}.`);
    const s4 = (await sessionsOf(org, '?state=waiting'))[0];
    expect(s4).toMatchObject({ originator: c4, invites: [{ user_id: ana.userId, state: 'pending' }] });
    expect((await texts(org, ana.mobile)).at(-1)).toContain(`session ${s4.id}`);

    // The time in line counts as waiting: c1 waited a few seconds and c2 over 310 s (the texts go
    // out a second apart, which moves the clock a little); c3 abandoned the line.
    const stats = ok(await api(app, org, 'GET', `/v1/queues/${queue.id}/statistics?from=2026-01-01&to=2027-01-01`)).json;
    expect(stats.totals).toMatchObject({ sms_vol: 2, abandoned: 1, no_agents: 0 });
    expect(stats.totals.avg_wait_seconds).toBeGreaterThanOrEqual(155);
    expect(stats.totals.avg_wait_seconds).toBeLessThan(170);
  });

  run('a keyword and the text right after it are handled in order, even when both arrive before the worker runs', async () => {
    const { org } = await queueOrg(1);
    const someone = handset();
    for (const body of ['SUPPORT', 'my router is blinking red']) {
      await receiveInboundMessage(app.tb.ctx, { carrier: 'sandbox', carrierMessageId: newId('SB'), from: someone, to: org.number, body });
    }
    await settle(app);
    const received = await texts(org, someone);
    expect(received).toHaveLength(1);
    expect(received[0]!.startsWith(QUEUE.initiation_message)).toBe(true);
    expect(await sessionsOf(org)).toMatchObject([{ state: 'waiting', originator: someone }]);
    // One job handled both texts of the mailbox.
    const jobs = await app.tb.ctx.db.kysely.selectFrom('jobs').select('state').where('org_id', '=', org.orgId).where('kind', '=', 'teams.inbound').execute();
    expect(jobs).toEqual([{ state: 'completed' }]);
  });

  run('no agent available (offline, SMS disabled or at the maximum): the no-agents message', async () => {
    const { org, queue } = await queueOrg(3, {}, 'offline');
    ok(await api(app, org, 'PUT', `/v1/users/${org.agents[1]!.userId}/status`, { status: 'online' }));
    ok(await api(app, org, 'PUT', `/v1/queues/${queue.id}/agents/${org.agents[1]!.userId}`, { sms_enabled: false, max_sessions: 2 }));
    ok(await api(app, org, 'PUT', `/v1/users/${org.agents[2]!.userId}/status`, { status: 'online' }));
    ok(await api(app, org, 'PUT', `/v1/queues/${queue.id}/agents/${org.agents[2]!.userId}`, { sms_enabled: true, max_sessions: 0 }));
    const someone = handset();
    await textFrom(app, org, someone, 'SUPPORT');
    const received = await texts(org, someone);
    expect(received).toHaveLength(1);
    expect(received[0]!.startsWith(QUEUE.no_agents_message)).toBe(true);
    expect(await sessionsOf(org)).toMatchObject([{ state: 'ended', end_reason: 'no_agents', agent_id: null }]);
    expect(await events(org, 'queue.session_invite')).toEqual([]);
    const stats = ok(await api(app, org, 'GET', `/v1/queues/${queue.id}/statistics`)).json;
    expect(stats.totals).toMatchObject({ sms_vol: 0, abandoned: 0, no_agents: 1 });
  });

  run('an invite that times out moves to the next agent; when no one is left, the session times out', async () => {
    const { org, queue } = await queueOrg(3);
    const [ana, ben, cy] = org.agents as [(typeof org.agents)[0], (typeof org.agents)[0], (typeof org.agents)[0]];
    ok(await api(app, org, 'PUT', `/v1/users/${cy.userId}/status`, { status: 'offline' }));
    const first = handset();
    await textFrom(app, org, first, 'support');
    const [session] = await sessionsOf(org);
    const invitedFirst = session.invites[0].user_id as string;
    expect([ana.userId, ben.userId]).toContain(invitedFirst);
    const next = invitedFirst === ana.userId ? ben : ana;
    const firstAgent = invitedFirst === ana.userId ? ana : ben;

    await app.advance(59 * SECOND);
    expect((await sessionsOf(org))[0].invites).toHaveLength(1);
    await app.advance(1 * SECOND);
    const moved = (await sessionsOf(org))[0];
    expect(moved.invites).toMatchObject([
      { user_id: firstAgent.userId, state: 'expired' },
      { user_id: next.userId, state: 'pending' },
    ]);
    expect((await api(app, as(firstAgent), 'POST', `/v1/queue-sessions/${session.id}/accept`)).status).toBe(403);
    ok(await api(app, as(next), 'POST', `/v1/queue-sessions/${session.id}/accept`));
    // The agent ends it with End.
    await app.advance(30 * SECOND);
    expect(ok(await api(app, as(next), 'POST', `/v1/queue-sessions/${session.id}/end`)).json).toMatchObject({ state: 'ended', end_reason: 'agent' });

    // Round robin: the next originator is offered to the agent offered least recently.
    const second = handset();
    await textFrom(app, org, second, 'SUPPORT');
    const [s2] = await sessionsOf(org, '?state=waiting');
    expect(s2.invites.map((i: { user_id: string }) => i.user_id)).toEqual([firstAgent.userId]);
    await app.advance(60 * SECOND);
    await app.advance(60 * SECOND);
    await settle(app);
    const timedOut = ok(await api(app, org, 'GET', `/v1/queue-sessions/${s2.id}`)).json;
    expect(timedOut).toMatchObject({ state: 'ended', end_reason: 'timed_out', agent_id: null });
    expect((await texts(org, second)).at(-1)).toBe(QUEUE.no_agents_message);
    // The originator who gives up before an accept abandons too.
    await app.advance(120 * SECOND);
    const third = handset();
    await textFrom(app, org, third, 'SUPPORT');
    await textFrom(app, org, third, 'bye');
    expect((await texts(org, third)).at(-1)).toBe(QUEUE.termination_message);

    const stats = ok(await api(app, org, 'GET', `/v1/queues/${queue.id}/statistics?from=2026-01-15T00:00:00Z`)).json;
    expect(stats.totals).toMatchObject({ sms_vol: 1, sms_aht_seconds: 30, avg_wait_seconds: 60, abandoned: 2 });
    expect(stats.agents).toEqual([{ user_id: next.userId, sms_vol: 1, sms_aht_seconds: 30, avg_wait_seconds: 60 }]);
  });

  run('ring all invites every available agent; the first to accept owns the session', async () => {
    const { org } = await queueOrg(3, { strategy: 'ring_all' });
    const someone = handset();
    await textFrom(app, org, someone, 'support');
    const [session] = await sessionsOf(org);
    expect(session.invites).toHaveLength(3);
    const results = await Promise.all(org.agents.map((a) => api(app, as(a), 'POST', `/v1/queue-sessions/${session.id}/accept`)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    const owner = org.agents[results.findIndex((r) => r.status === 200)]!;
    expect(ok(await api(app, org, 'GET', `/v1/queue-sessions/${session.id}`)).json).toMatchObject({ state: 'active', agent_id: owner.userId });
    // An agent texting the queue number without a session of their own is told so.
    const other = org.agents.find((a) => a !== owner)!;
    await textFrom(app, org, other.mobile, 'hello?');
    expect((await texts(org, other.mobile)).at(-1)).toBe('Not sent: you have no open Support session on this number.');
    // An opt-out ends the session without another text.
    await textFrom(app, org, someone, 'STOP');
    expect(ok(await api(app, org, 'GET', `/v1/queue-sessions/${session.id}`)).json).toMatchObject({ state: 'ended', end_reason: 'opted_out' });
  });

  run('an agent coming online takes the first in line; an agent is told when their originator opts out', async () => {
    const { org, queue } = await queueOrg(2, { invite_by_sms: true });
    const [ana, ben] = org.agents as [(typeof org.agents)[0], (typeof org.agents)[0]];
    ok(await api(app, org, 'PUT', `/v1/users/${ben.userId}/status`, { status: 'offline' }));
    ok(await api(app, org, 'PUT', `/v1/queues/${queue.id}/agents/${ana.userId}`, { sms_enabled: true, max_sessions: 1 }));
    const [c1, c2] = [handset(), handset()];
    await textFrom(app, org, c1, 'SUPPORT');
    await textFrom(app, org, ana.mobile, 'ACCEPT');
    await textFrom(app, org, c2, 'SUPPORT');
    expect((await texts(org, c2))[0]!.split('\n')[0]).toBe(`${QUEUE.initiation_message} You are number 1 in line.`);

    // Ben comes online: the line moves at once, to him.
    ok(await api(app, org, 'PUT', `/v1/users/${ben.userId}/status`, { status: 'online' }));
    await settle(app);
    const [waiting] = await sessionsOf(org, '?state=waiting');
    expect(waiting).toMatchObject({ originator: c2, invites: [{ user_id: ben.userId, state: 'pending' }] });
    expect((await texts(org, ben.mobile)).at(-1)).toContain(`session ${waiting.id}`);

    // c1 opts out: the session ends, Ana is told (one STOP confirmation to c1, from compliance).
    const [active] = await sessionsOf(org, '?state=active');
    await textFrom(app, org, c1, 'STOP');
    expect(ok(await api(app, org, 'GET', `/v1/queue-sessions/${active.id}`)).json).toMatchObject({ state: 'ended', end_reason: 'opted_out' });
    expect((await texts(org, ana.mobile)).at(-1)).toBe(`Support: ${c1} opted out (STOP); session ${active.id} has ended.`);
    // c2 gives up before Ben accepts: Ben's invite is withdrawn, and he is told.
    await textFrom(app, org, c2, 'bye');
    expect((await texts(org, ben.mobile)).at(-1)).toBe(`Support: ${c2} left the queue; the invite to session ${waiting.id} is withdrawn.`);
    expect((await api(app, as(ben), 'POST', `/v1/queue-sessions/${waiting.id}/accept`)).status).toBe(409);
  });
});
