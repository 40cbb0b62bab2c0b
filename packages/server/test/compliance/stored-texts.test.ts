/**
 * Every stored text that is sent later is checked on save exactly as a message body is (one
 * validator: use-cases/message-text.ts), with its field named; and a STOP is recorded even when its
 * confirmation cannot be sent (a broken text stored before the check existed). Both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, type TestApp, type TestOrg } from '../support/test-app.js';
import { freshOrg, inbox, settle } from './helpers.js';

const NUL = 'Bye\u0000 for now';
const LONE = 'Bye \uD83D for now';
let handsetSeq = 0;
const nextHandset = () => `+1415555${String(900 + handsetSeq++).padStart(4, '0')}`;

describe.each(DIALECTS)('stored texts are checked as bodies (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;
  const run = it.runIf(dialectAvailable(dialect));

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    org = await freshOrg(app);
  });
  afterAll(async () => app?.close());

  /** The request is refused with 400 naming exactly `field`, and the reason. */
  async function refused(method: string, path: string, body: unknown, field: string, message: RegExp) {
    const res = await api(app, org, method, path, body);
    expect(res.status, res.raw.body).toBe(400);
    expect(res.raw.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json.errors).toEqual([{ field, message: expect.stringMatching(message) }]);
    expect(res.json.detail).toContain(field);
  }

  for (const [what, text, message] of [
    ['a NUL character', NUL, /NUL/],
    ['an unpaired surrogate', LONE, /valid Unicode/],
  ] as const) {
    run(`compliance texts with ${what} are refused on save, each named`, async () => {
      for (const key of ['opt_out_text', 'opt_in_text', 'opt_out_language']) {
        await refused('PATCH', '/v1/compliance/settings', { [key]: text }, `settings.${key}`, message);
      }
      for (const key of ['opt_out_text', 'opt_in_text']) {
        await refused('PATCH', `/v1/numbers/${org.numberId}/compliance`, { [key]: text }, key, message);
      }
      // Nothing was stored: a STOP still gets the default confirmation.
      const settings = (await api(app, org, 'GET', '/v1/compliance/settings')).json;
      expect(settings).toMatchObject({ opt_out_text: null, opt_in_text: null });
    });

    run(`templates, queue and team texts, names and suppression reasons with ${what} are refused on save`, async () => {
      const automation = {
        name: 'A/B',
        state: 'active',
        priority: 1,
        scope: { numbers: 'all' },
        trigger: { type: 'call.completed' },
        steps: [{ type: 'send_sms', variants: [{ id: 'a', template: 'Hi {Name|there}', weight: 1 }, { id: 'b', template: text, weight: 1 }] }],
      };
      await refused('POST', '/v1/automations', automation, 'steps[0].variants[1].template', message);
      await refused('POST', '/v1/automations', { ...automation, steps: [{ type: 'send_sms', template: text }] }, 'steps[0].template', message);
      const queue = { name: 'Support', numbers: [org.number], initiation_keyword: 'SUPPORT', termination_keyword: 'BYE' };
      await refused('POST', '/v1/queues', { ...queue, no_agents_message: text }, 'no_agents_message', message);
      await refused('POST', '/v1/queues', { ...queue, name: text }, 'name', message);
      const team = (await api(app, org, 'POST', '/v1/teams', { name: 'Sales' })).json;
      await refused('PATCH', `/v1/teams/${team.id}`, { settings: { unavailable_text: text } }, 'settings.unavailable_text', message);
      await refused('POST', '/v1/teams', { name: 'Other', settings: { unavailable_text: text } }, 'settings.unavailable_text', message);
      await refused('POST', '/v1/suppressions', { phone: '+14155550999', reason: text }, 'reason', message);
      await refused('PATCH', '/v1/organization', { name: text }, 'name', message);
      await refused('POST', '/v1/contacts', { phone: nextHandset(), name: text }, 'name', message);
      await refused('POST', '/v1/contacts', { phone: nextHandset(), attributes: { plan: text } }, 'attributes.plan', message);
      await refused('POST', '/v1/leads', { phone: nextHandset(), name: text }, 'name', message);
    });
  }

  for (const [where, seed] of [
    [
      "the organization's opt_out_text",
      async (o: TestOrg) => {
        const row = await app.tb.ctx.db.kysely.selectFrom('organizations').select('settings').where('id', '=', o.orgId).executeTakeFirstOrThrow();
        const settings = { ...(JSON.parse(row.settings) as object), opt_out_text: NUL };
        await app.tb.ctx.db.kysely.updateTable('organizations').set({ settings: JSON.stringify(settings) }).where('id', '=', o.orgId).execute();
      },
    ],
    [
      "the number's opt_out_text",
      async (o: TestOrg) => {
        await app.tb.ctx.db.kysely.updateTable('phone_numbers').set({ compliance_texts: JSON.stringify({ opt_out_text: LONE }) }).where('id', '=', o.numberId).execute();
      },
    ],
  ] as const) {
    run(`a STOP is recorded even when its confirmation cannot be sent (${where} broken in the database)`, async () => {
      const local = await freshOrg(app);
      await seed(local);
      const handset = nextHandset();
      const inbound = await api(app, local, 'POST', '/v1/sandbox/messages', { from: handset, to: local.number, body: 'STOP' });
      expect(inbound.status).toBe(201);
      await settle(app);

      // The opt-out stands; no confirmation went; the job that handled it did not die.
      const consent = (await api(app, local, 'GET', `/v1/contacts/${inbound.json.contact_id}/consent`)).json;
      expect(consent).toMatchObject({ state: 'opted_out', opted_out_by: 'contact' });
      expect(await inbox(app, local, handset)).toEqual([]);
      const jobs = await app.tb.ctx.db.kysely.selectFrom('jobs').select(['kind', 'state', 'last_error']).where('org_id', '=', local.orgId).where('state', 'in', ['dead', 'pending', 'running']).execute();
      expect(jobs).toEqual([]);
      const failed = await app.tb.ctx.db.kysely.selectFrom('events').select('data').where('org_id', '=', local.orgId).where('type', '=', 'compliance.keyword_reply_failed').execute();
      expect(failed.map((e) => JSON.parse(e.data))).toEqual([{ contact_id: inbound.json.contact_id, purpose: 'opt_out_confirmation', detail: expect.stringMatching(/opt_out_text contains/) }]);
      const after = await api(app, local, 'POST', '/v1/messages', { to: handset, body: 'Still there?' });
      expect(after.json).toMatchObject({ status: 'blocked', reason: 'opted_out' });
    });
  }
});
