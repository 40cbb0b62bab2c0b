/**
 * Inbound texts forwarded to a team's agents in the exact format, and agents' replies relayed to the
 * lead from the business number (latest forwarded, explicit prefix, last four digits), with the
 * ambiguous and unknown cases answered to the agent only. Both databases, fake clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { createTeamOrg, handset, inbox, ok, teamTimeline, textFrom } from './helpers.js';

const JOHN = '+15554265646';
const JOHNS_TEXT = 'Please call me ASAP. I have an urgent need for 5000 reams of your heaviest card stock.';

describe.each(DIALECTS)('inbound texts forwarded to a team (%s)', (dialect) => {
  let app: TestApp;
  const run = it.runIf(dialectAvailable(dialect));

  beforeAll(async () => {
    if (dialectAvailable(dialect)) app = await createTestApp(dialect);
  });
  afterAll(async () => app?.close());

  run('each of seven agents receives "+15554265646: <text>" from the business number', async () => {
    const org = await createTeamOrg(app, 7);
    ok(await api(app, org, 'PATCH', `/v1/numbers/${org.numberId}/routing`, { forward_texts: 'all' }));
    // One agent is offline: "all" still forwards to every agent of the team.
    ok(await api(app, org, 'PUT', `/v1/users/${org.agents[6]!.userId}/status`, { status: 'offline' }));

    await textFrom(app, org, JOHN, JOHNS_TEXT);
    await app.drain();
    for (const agent of org.agents) {
      expect(await inbox(app, org, agent.mobile)).toEqual([expect.objectContaining({ body: `${JOHN}: ${JOHNS_TEXT}`, business_number: org.number })]);
    }
    // John received nothing, and the forwards are system texts, not automated ones.
    expect(await inbox(app, org, JOHN)).toEqual([]);
    const forwarded = await app.tb.ctx.db.kysely.selectFrom('messages').selectAll().where('org_id', '=', org.orgId).where('direction', '=', 'outbound').execute();
    expect(forwarded).toHaveLength(7);
    expect(forwarded.every((m) => m.created_by_type === 'system' && m.automated === 0 && m.from_e164 === org.number)).toBe(true);

    const contact = await app.tb.ctx.db.kysely.selectFrom('contacts').select('id').where('org_id', '=', org.orgId).where('e164', '=', JOHN).executeTakeFirstOrThrow();
    expect((await teamTimeline(app, org, contact.id)).join('\n')).toContain('forwarded to 7 agents of Sales');
  });

  run('"online" forwards only to agents online now; STOP and HELP are never forwarded', async () => {
    const org = await createTeamOrg(app, 3);
    ok(await api(app, org, 'PATCH', `/v1/numbers/${org.numberId}/routing`, { forward_texts: 'online' }));
    ok(await api(app, org, 'PUT', `/v1/users/${org.agents[1]!.userId}/status`, { status: 'busy' }));
    ok(await api(app, org, 'PUT', `/v1/users/${org.agents[2]!.userId}/status`, { status: 'offline' }));
    const lead = handset();
    await textFrom(app, org, lead, 'Hello there');
    await textFrom(app, org, lead, 'STOP');
    await textFrom(app, org, lead, 'help');
    expect((await inbox(app, org, org.agents[0]!.mobile)).map((m) => m.body)).toEqual([`${lead}: Hello there`]);
    expect(await inbox(app, org, org.agents[1]!.mobile)).toEqual([]);
    expect(await inbox(app, org, org.agents[2]!.mobile)).toEqual([]);
  });

  run("an agent's reply is relayed to the latest forwarded lead, or to the one a prefix names", async () => {
    const org = await createTeamOrg(app, 2);
    ok(await api(app, org, 'PATCH', `/v1/numbers/${org.numberId}/routing`, { forward_texts: 'all' }));
    const [ana, ben] = org.agents as [(typeof org.agents)[0], (typeof org.agents)[0]];
    const first = '+15551230001';
    const second = '+15559870002';
    await textFrom(app, org, first, 'Do you deliver?');
    await textFrom(app, org, second, 'What are your hours?');

    // No prefix: the most recently forwarded lead.
    await textFrom(app, org, ana.mobile, 'We are open 9 to 5.');
    expect((await inbox(app, org, second)).map((m) => m.body)).toEqual(['We are open 9 to 5.']);
    expect((await inbox(app, org, second))[0]!.business_number).toBe(org.number);

    // Full number, and unique last four digits.
    await textFrom(app, org, ben.mobile, '@5551230001 Yes, anywhere in town.');
    await textFrom(app, org, ana.mobile, '@0001 Free over $50.');
    expect((await inbox(app, org, first)).map((m) => m.body)).toEqual(['Yes, anywhere in town.', 'Free over $50.']);

    // The relayed text is the agent's, from the business number; the lead never sees a personal number.
    const relayed = await app.tb.ctx.db.kysely.selectFrom('messages').selectAll().where('org_id', '=', org.orgId).where('to_e164', '=', first).orderBy('created_at').execute();
    expect(relayed.map((m) => [m.created_by_type, m.created_by_id, m.from_e164])).toEqual([
      ['user', ben.userId, org.number],
      ['user', ana.userId, org.number],
    ]);
    const contact = await app.tb.ctx.db.kysely.selectFrom('contacts').select('id').where('org_id', '=', org.orgId).where('e164', '=', first).executeTakeFirstOrThrow();
    expect((await teamTimeline(app, org, contact.id)).join('\n')).toMatch(/Agent 2 answered from their phone \(by prefix\)/);
    // Agents' own texts start no automations and got nothing back.
    expect(await inbox(app, org, ana.mobile)).toHaveLength(2); // the two forwards only
  });

  run('an ambiguous or unknown target gets a clear reply to the agent, and nothing is sent to anyone', async () => {
    const org = await createTeamOrg(app, 1);
    ok(await api(app, org, 'PATCH', `/v1/numbers/${org.numberId}/routing`, { forward_texts: 'all' }));
    const agent = org.agents[0]!;
    const a = '+15551114646';
    const b = '+15552224646';
    await textFrom(app, org, a, 'hi from a');
    await textFrom(app, org, b, 'hi from b');
    const before = await app.tb.ctx.db.kysely.selectFrom('messages').select('id').where('org_id', '=', org.orgId).where('direction', '=', 'outbound').execute();

    await textFrom(app, org, agent.mobile, '@4646 Which one of you?');
    await textFrom(app, org, agent.mobile, '@9999 Hello?');
    const replies = (await inbox(app, org, agent.mobile)).map((m) => m.body).slice(2);
    expect(replies[0]).toMatch(/^Not sent: @4646 matches 2 people \(.+\)\. Start with @ and the full number\.$/);
    expect(replies[0]).toContain(a);
    expect(replies[0]).toContain(b);
    expect(replies[1]).toMatch(/^Not sent: no one ending in 9999 was forwarded to you from this number\./);
    expect(await inbox(app, org, a)).toEqual([]);
    expect(await inbox(app, org, b)).toEqual([]);
    const after = await app.tb.ctx.db.kysely.selectFrom('messages').select(['id', 'to_e164']).where('org_id', '=', org.orgId).where('direction', '=', 'outbound').execute();
    expect(after.length - before.length).toBe(2);
    expect(after.filter((m) => !before.some((x) => x.id === m.id)).every((m) => m.to_e164 === agent.mobile)).toBe(true);

    // An agent with nothing forwarded to them is told so.
    const other = await createTeamOrg(app, 1);
    await textFrom(app, other, other.agents[0]!.mobile, 'Anyone there?');
    expect((await inbox(app, other, other.agents[0]!.mobile)).map((m) => m.body)).toEqual(['Not sent: no text from a customer has been forwarded to you from this number yet.']);
  });

  run('a text longer than one text may be is forwarded in parts; an answer too long is refused to the agent', async () => {
    const org = await createTeamOrg(app, 1);
    ok(await api(app, org, 'PATCH', `/v1/numbers/${org.numberId}/routing`, { forward_texts: 'all' }));
    const agent = org.agents[0]!;
    const lead = handset();
    const long = 'x'.repeat(1200);
    await textFrom(app, org, lead, long);
    const parts = (await inbox(app, org, agent.mobile)).map((m) => m.body);
    expect(parts).toHaveLength(2);
    expect(parts.join('')).toBe(`${lead}: ${long}`);
    await textFrom(app, org, agent.mobile, 'y'.repeat(1200));
    expect((await inbox(app, org, agent.mobile)).at(-1)!.body).toMatch(/^Not sent: body has 1200 characters; this organization's limit is 1000/);
    expect(await inbox(app, org, lead)).toEqual([]);
  });

  run('forwarding needs a team, and only admins change it', async () => {
    const org = await createTeamOrg(app, 1);
    ok(await api(app, org, 'PATCH', `/v1/numbers/${org.numberId}/routing`, { team_id: null }));
    const res = await api(app, org, 'PATCH', `/v1/numbers/${org.numberId}/routing`, { forward_texts: 'all' });
    expect(res.status).toBe(400);
    expect(res.json.errors[0].field).toBe('forward_texts');
    const asAgent = await api(app, { apiKey: org.agents[0]!.apiKey }, 'PATCH', `/v1/numbers/${org.numberId}/routing`, { forward_texts: 'off' });
    expect(asAgent.status).toBe(403);
  });
});
