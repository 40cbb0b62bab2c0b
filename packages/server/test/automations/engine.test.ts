/**
 * The automation engine through its API: validation that points to the step, variants, priorities
 * (one text per event), loop prevention, dry runs, run explanations, the contact timeline, webhooks,
 * "not replied" triggers and generic call events. Both databases, fake clock.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/use-cases/automations/webhook.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';

const SECOND = 1000;
const HOUR = 3600 * SECOND;

const firstLine = (body: string) => body.split('\n')[0];

const onMissedCall = (name: string, priority: number, steps: unknown[], extra: Record<string, unknown> = {}) => ({
  name,
  state: 'active',
  priority,
  scope: { numbers: 'all' },
  trigger: { type: 'call.completed' },
  steps: [{ type: 'condition', if: { field: 'call.outcome', op: '!=', value: 'missed' }, then: [{ type: 'stop', reason: 'not missed' }] }, ...steps],
  ...extra,
});

describe.each(DIALECTS)('the automation engine (%s)', (dialect) => {
  let app: TestApp;
  let n = 0;
  const handset = () => `+1415555${String(400 + n++).padStart(4, '0')}`;
  const run = it.runIf(dialectAvailable(dialect));

  beforeAll(async () => {
    if (dialectAvailable(dialect)) app = await createTestApp(dialect);
  });
  afterAll(async () => app?.close());

  const inbox = async (org: TestOrg, phone: string) =>
    ((await api(app, org, 'GET', `/v1/sandbox/handsets/${phone}/messages`)).json.data as { direction: string; body: string }[]).filter((m) => m.direction === 'received');

  run('refuses an invalid document on save, naming the step and the unknown variable', async () => {
    const org = await createTestOrg(app);
    const res = await api(app, org, 'POST', '/v1/automations', onMissedCall('typo', 1, [{ type: 'send_sms', template: 'Hi {Nmae}, we missed you' }]));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json.detail).toContain('steps[1].template');
    expect(res.json.detail).toContain('{Nmae}');
    expect(res.json.errors[0].field).toBe('steps[1].template');
    const bad = await api(app, org, 'POST', '/v1/automations', { name: 'x', state: 'sometimes', priority: 1, scope: { numbers: 'all' }, trigger: { type: 'call.completed' }, steps: [] });
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['state', 'steps']));
    expect((await api(app, org, 'GET', '/v1/automations')).json.data).toHaveLength(0);
  });

  run('PATCH pauses an automation; DELETE removes it; another organization sees 404', async () => {
    const org = await createTestOrg(app);
    const other = await createTestOrg(app);
    const created = await api(app, org, 'POST', '/v1/automations', onMissedCall('to pause', 1, [{ type: 'send_sms', template: 'Hello' }]));
    expect(created.status).toBe(201);
    expect((await api(app, other, 'GET', `/v1/automations/${created.json.id}`)).status).toBe(404);
    expect((await api(app, other, 'PATCH', `/v1/automations/${created.json.id}`, { state: 'paused' })).status).toBe(404);
    const paused = await api(app, org, 'PATCH', `/v1/automations/${created.json.id}`, { state: 'paused' });
    expect(paused.json.state).toBe('paused');
    const phone = handset();
    await api(app, org, 'POST', '/v1/sandbox/calls', { from: phone, to: org.number, outcome: 'no-answer' });
    await app.advance(HOUR);
    expect(await inbox(org, phone)).toHaveLength(0);
    expect((await api(app, org, 'DELETE', `/v1/automations/${created.json.id}`)).status).toBe(204);
    expect((await api(app, org, 'GET', `/v1/automations/${created.json.id}`)).status).toBe(404);
  });

  run('A/B variants: sticky per contact, and each message records its variant', async () => {
    const org = await createTestOrg(app);
    const doc = onMissedCall('ab', 1, [
      { type: 'send_sms', variants: [{ id: 'warm', template: 'Warm hello', weight: 1 }, { id: 'short', template: 'Short hello', weight: 1 }] },
    ]);
    const automation = await api(app, org, 'POST', '/v1/automations', doc);
    expect(automation.status).toBe(201);
    const seen: Record<string, string> = {};
    for (let i = 0; i < 12; i++) {
      const phone = handset();
      const call = await api(app, org, 'POST', '/v1/sandbox/calls', { from: phone, to: org.number, outcome: 'no-answer' });
      await app.drain();
      const msg = (await api(app, org, 'GET', `/v1/messages?contact=${call.json.contact_id}&direction=outbound`)).json.data[0];
      const row = await app.tb.ctx.db.kysely.selectFrom('messages').select(['variant_id', 'body']).where('id', '=', msg.id).executeTakeFirstOrThrow();
      // The first automated text to a contact carries the opt-out language (docs/compliance.md).
      expect(row.body).toBe(`${row.variant_id === 'warm' ? 'Warm hello' : 'Short hello'}\nReply STOP to opt out`);
      seen[phone] = row.variant_id!;
      // The message resource names the automation, its run and the variant, in lists and by id.
      const runs = (await api(app, org, 'GET', `/v1/automations/${automation.json.id}/runs?contact=${call.json.contact_id}`)).json.data;
      const expected = { automation_id: automation.json.id, automation_run_id: runs[0].id, variant_id: row.variant_id };
      expect(msg).toMatchObject(expected);
      expect((await api(app, org, 'GET', `/v1/messages/${msg.id}`)).json).toMatchObject(expected);
    }
    expect(new Set(Object.values(seen))).toEqual(new Set(['warm', 'short']));
    // A text sent through the API names no automation.
    const manual = await api(app, org, 'POST', '/v1/messages', { to: '+14155550199', body: 'Sent by hand' });
    expect(manual.json).toMatchObject({ automation_id: null, automation_run_id: null, variant_id: null });
    // The same contact calls again next week: same variant.
    const [phone, variant] = Object.entries(seen)[0]!;
    app.clock.advance(7 * 24 * HOUR);
    const again = await api(app, org, 'POST', '/v1/sandbox/calls', { from: phone, to: org.number, outcome: 'no-answer' });
    await app.drain();
    const rows = await app.tb.ctx.db.kysely.selectFrom('messages').select('variant_id').where('contact_id', '=', again.json.contact_id).where('direction', '=', 'outbound').execute();
    expect(rows.map((r) => r.variant_id)).toEqual([variant, variant]);
  });

  run('Thompson sampling: once one variant gets the replies, most new contacts get it, and the trace says on what evidence', async () => {
    const org = await createTestOrg(app);
    const doc = onMissedCall('bandit', 1, [
      {
        type: 'send_sms',
        variant_selection: 'thompson',
        variants: [
          { id: 'good', template: 'Sorry we missed you! Want a call back?', weight: 1 },
          { id: 'bad', template: 'Missed call.', weight: 1 },
        ],
      },
    ]);
    const automation = await api(app, org, 'POST', '/v1/automations', doc);
    expect(automation.status, automation.raw.body).toBe(201);
    const wrong = await api(app, org, 'POST', '/v1/automations', { ...doc, name: 'x', steps: [{ type: 'send_sms', template: 'Hi', variant_selection: 'bandit' }] });
    expect(wrong.json.errors.map((e: { field: string }) => e.field)).toEqual(['steps[0].variant_selection']);

    const textBack = async (): Promise<{ phone: string; variant: string }> => {
      const phone = handset();
      await api(app, org, 'POST', '/v1/sandbox/calls', { from: phone, to: org.number, outcome: 'no-answer' });
      await app.drain();
      await app.advance(2 * SECOND); // the sandbox's delivery receipt
      const row = await app.tb.ctx.db.kysely
        .selectFrom('messages as m')
        .innerJoin('contacts as c', 'c.id', 'm.contact_id')
        .select('m.variant_id')
        .where('c.e164', '=', phone)
        .where('c.org_id', '=', org.orgId)
        .where('m.direction', '=', 'outbound')
        .executeTakeFirstOrThrow();
      return { phone, variant: row.variant_id! };
    };
    // With nothing known yet both are tried. Contacts who got "good" answer; the others never do.
    const early: string[] = [];
    for (let i = 0; i < 16; i++) {
      const t = await textBack();
      early.push(t.variant);
      if (t.variant === 'good') await api(app, org, 'POST', '/v1/sandbox/messages', { from: t.phone, to: org.number, body: 'Yes please' });
      await app.drain();
      app.clock.advance(11 * SECOND); // past the evidence cache
    }
    expect(new Set(early)).toEqual(new Set(['good', 'bad']));
    const later: string[] = [];
    for (let i = 0; i < 20; i++) later.push((await textBack()).variant);
    expect(later.filter((v) => v === 'good').length).toBeGreaterThanOrEqual(17);
    // Each send_sms line of the run says what it chose on.
    const runs = (await api(app, org, 'GET', `/v1/automations/${automation.json.id}/runs?limit=1`)).json.data;
    const timeline = await api(app, org, 'GET', `/v1/contacts/${runs[0].contact_id}/timeline`);
    expect(JSON.stringify(timeline.json)).toMatch(/Thompson sampling on (good|bad) \d+\/\d+, (good|bad) \d+\/\d+ \(replies\/delivered\)/);
  });

  run('several automations on one event: the contact gets one text, from the highest priority, and the others say why', async () => {
    const org = await createTestOrg(app);
    const low = await api(app, org, 'POST', '/v1/automations', onMissedCall('low', 1, [{ type: 'send_sms', template: 'from low' }]));
    const high = await api(app, org, 'POST', '/v1/automations', onMissedCall('high', 50, [{ type: 'delay', duration: '30s' }, { type: 'send_sms', template: 'from high' }]));
    const phone = handset();
    const call = await api(app, org, 'POST', '/v1/sandbox/calls', { from: phone, to: org.number, outcome: 'no-answer' });
    await app.drain();
    await app.advance(31 * SECOND);
    await app.advance(2 * SECOND);
    expect((await inbox(org, phone)).map((m) => firstLine(m.body))).toEqual(['from high']);
    const lowRuns = (await api(app, org, 'GET', `/v1/automations/${low.json.id}/runs?contact=${call.json.contact_id}`)).json.data;
    const lowSteps = lowRuns[0].steps.map((s: { message: string }) => s.message).join('\n');
    expect(lowSteps).toContain('waiting: automation "high" (priority 50) has precedence');
    expect(lowSteps).toContain('skipped: automation "high" already texted this contact for this event');
    expect(lowRuns[0]).toMatchObject({ status: 'stopped' });
    expect(lowRuns[0].outcome).toMatch(/^no text: /);
    const highRuns = (await api(app, org, 'GET', `/v1/automations/${high.json.id}/runs`)).json.data;
    expect(highRuns[0].outcome).toMatch(/^sent/);
  });

  run('a higher-priority automation that fails never keeps a lower-priority one from texting', async () => {
    const org = await createTestOrg(app);
    const low = await api(app, org, 'POST', '/v1/automations', onMissedCall('low', 1, [{ type: 'send_sms', template: 'from low' }]));
    const high = await api(app, org, 'POST', '/v1/automations', onMissedCall('high', 50, [{ type: 'delay', duration: '30s' }, { type: 'send_sms', template: 'from high' }]));
    // A template stored before texts were validated at save time: a NUL character the send path refuses.
    const row = await app.tb.ctx.db.kysely.selectFrom('automations').select('document').where('id', '=', high.json.id).executeTakeFirstOrThrow();
    await app.tb.ctx.db.kysely.updateTable('automations').set({ document: row.document.replace('from high', 'from high\\u0000') }).where('id', '=', high.json.id).execute();
    const phone = handset();
    const call = await api(app, org, 'POST', '/v1/sandbox/calls', { from: phone, to: org.number, outcome: 'no-answer' });
    await app.drain();
    expect(await inbox(org, phone)).toHaveLength(0); // the higher one has precedence while it runs
    await app.advance(31 * SECOND);
    await app.advance(2 * SECOND);
    expect((await inbox(org, phone)).map((m) => firstLine(m.body))).toEqual(['from low']);
    const highRun = (await api(app, org, 'GET', `/v1/automations/${high.json.id}/runs?contact=${call.json.contact_id}`)).json.data[0];
    expect(highRun.status).toBe('failed');
    expect(highRun.steps.map((s: { message: string }) => s.message).join('\n')).toContain('refused: body contains a NUL character');
    const lowRun = (await api(app, org, 'GET', `/v1/automations/${low.json.id}/runs?contact=${call.json.contact_id}`)).json.data[0];
    expect(lowRun.outcome).toMatch(/^sent/);
    // No job is left failing behind it.
    expect((await app.tb.ctx.db.kysely.selectFrom('jobs').select('id').where('org_id', '=', org.orgId).where('state', '=', 'dead').execute())).toHaveLength(0);
  });

  run('a broken higher-priority template with no delay: its run fails at once and the lower-priority text goes out', async () => {
    const org = await createTestOrg(app);
    await api(app, org, 'POST', '/v1/automations', onMissedCall('low', 1, [{ type: 'send_sms', template: 'from low' }]));
    const high = await api(app, org, 'POST', '/v1/automations', onMissedCall('high', 50, [{ type: 'send_sms', template: 'from high' }]));
    const row = await app.tb.ctx.db.kysely.selectFrom('automations').select('document').where('id', '=', high.json.id).executeTakeFirstOrThrow();
    await app.tb.ctx.db.kysely.updateTable('automations').set({ document: row.document.replace('from high', 'from high\\ud800') }).where('id', '=', high.json.id).execute();
    const phone = handset();
    const call = await api(app, org, 'POST', '/v1/sandbox/calls', { from: phone, to: org.number, outcome: 'no-answer' });
    expect(call.status).toBe(201);
    await app.drain();
    await app.advance(2 * SECOND);
    expect((await inbox(org, phone)).map((m) => firstLine(m.body))).toEqual(['from low']);
    const highRun = (await api(app, org, 'GET', `/v1/automations/${high.json.id}/runs?contact=${call.json.contact_id}`)).json.data[0];
    expect(highRun).toMatchObject({ status: 'failed' });
    expect(highRun.outcome).toContain('unpaired UTF-16 surrogate');
  });

  run('deleting the higher-priority automation while a lower-priority text waits for it lets that text go', async () => {
    const org = await createTestOrg(app);
    await api(app, org, 'POST', '/v1/automations', onMissedCall('low', 1, [{ type: 'send_sms', template: 'from low' }]));
    const high = await api(app, org, 'POST', '/v1/automations', onMissedCall('high', 50, [{ type: 'delay', duration: '1h' }, { type: 'send_sms', template: 'from high' }]));
    const phone = handset();
    await api(app, org, 'POST', '/v1/sandbox/calls', { from: phone, to: org.number, outcome: 'no-answer' });
    await app.drain();
    expect(await inbox(org, phone)).toHaveLength(0);
    expect((await api(app, org, 'DELETE', `/v1/automations/${high.json.id}`)).status).toBe(204);
    await app.advance(2 * SECOND);
    expect((await inbox(org, phone)).map((m) => firstLine(m.body))).toEqual(['from low']);
  });

  run('a higher-priority automation that stops without texting lets the lower-priority one text', async () => {
    const org = await createTestOrg(app);
    await api(app, org, 'POST', '/v1/automations', onMissedCall('low', 1, [{ type: 'send_sms', template: 'from low' }]));
    await api(app, org, 'POST', '/v1/automations', onMissedCall('high', 50, [{ type: 'delay', duration: '1m' }, { type: 'stop', reason: 'changed its mind' }]));
    const phone = handset();
    await api(app, org, 'POST', '/v1/sandbox/calls', { from: phone, to: org.number, outcome: 'no-answer' });
    await app.drain();
    expect(await inbox(org, phone)).toHaveLength(0);
    await app.advance(61 * SECOND);
    await app.advance(2 * SECOND);
    expect((await inbox(org, phone)).map((m) => firstLine(m.body))).toEqual(['from low']);
  });

  run('no automated text answers an automated text (loop prevention)', async () => {
    const org = await createTestOrg(app);
    await api(app, org, 'POST', '/v1/automations', { name: 'auto-reply', state: 'active', priority: 1, scope: { numbers: 'all' }, trigger: { type: 'message.received' }, steps: [{ type: 'send_sms', template: 'Thanks, we got your message' }] });
    const phone = handset();
    await api(app, org, 'POST', '/v1/sandbox/messages', { from: phone, to: org.number, body: 'hello' });
    await app.drain();
    expect(await inbox(org, phone)).toHaveLength(1);
    // Their side answers automatically two seconds later: no second automated reply.
    app.clock.advance(2 * SECOND);
    await api(app, org, 'POST', '/v1/sandbox/messages', { from: phone, to: org.number, body: 'I am driving, will reply later' });
    await app.drain();
    expect(await inbox(org, phone)).toHaveLength(1);
    // A person writing much later gets an answer again.
    app.clock.advance(HOUR);
    await api(app, org, 'POST', '/v1/sandbox/messages', { from: phone, to: org.number, body: 'ok I am back' });
    await app.drain();
    expect(await inbox(org, phone)).toHaveLength(2);
  });

  run('STOP and HELP never start message.received automations', async () => {
    const org = await createTestOrg(app);
    const auto = await api(app, org, 'POST', '/v1/automations', { name: 'greeter', state: 'active', priority: 1, scope: { numbers: 'all' }, trigger: { type: 'message.received' }, steps: [{ type: 'send_sms', template: 'Hi!' }] });
    const phone = handset();
    await api(app, org, 'POST', '/v1/sandbox/messages', { from: phone, to: org.number, body: ' Stop. ' });
    await api(app, org, 'POST', '/v1/sandbox/messages', { from: phone, to: org.number, body: 'help' });
    await app.drain();
    expect((await api(app, org, 'GET', `/v1/automations/${auto.json.id}/runs`)).json.data).toHaveLength(0);
  });

  run('a dry run shows what would be sent, to whom and when, and sends nothing', async () => {
    const org = await createTestOrg(app);
    const preset = await api(app, org, 'POST', '/v1/automations/presets/missed-call-text-back', { business_name: 'Dry Co', state: 'draft' });
    const sample = await api(app, org, 'POST', `/v1/automations/${preset.json.id}/dry-run`, {
      event: { type: 'call.completed', at: '2026-03-04T15:00:00Z', call: { outcome: 'missed', direction: 'inbound', duration: 25 } },
    });
    expect(sample.status).toBe(200);
    expect(sample.json.data[0].would_send).toEqual([
      expect.objectContaining({ at: '2026-03-04T15:00:15.000Z', body: expect.stringContaining('Dry Co') }),
      expect.objectContaining({ at: '2026-03-04T17:00:15.000Z', body: expect.stringContaining('just checking in') }),
    ]);
    // Replaying real calls: two missed, one answered, in the last week.
    const a = handset();
    const b = handset();
    for (const [phone, outcome] of [[a, 'no-answer'], [b, 'answered'], [b, 'busy']] as const) {
      await api(app, org, 'POST', '/v1/sandbox/calls', { from: phone, to: org.number, outcome });
      app.clock.advance(HOUR);
    }
    const replay = await api(app, org, 'POST', `/v1/automations/${preset.json.id}/dry-run`, { replay_days: 7 });
    expect(replay.json.data).toHaveLength(3);
    expect(replay.json.data.map((r: { would_send: unknown[] }) => r.would_send.length)).toEqual([2, 0, 2]);
    await app.drain();
    expect(await inbox(org, a)).toHaveLength(0);
    expect(await inbox(org, b)).toHaveLength(0);
  });

  run("the contact's timeline shows the call, the decisions and the texts in order", async () => {
    const org = await createTestOrg(app);
    await api(app, org, 'POST', '/v1/automations/presets/missed-call-text-back', {});
    const phone = handset();
    const call = await api(app, org, 'POST', '/v1/sandbox/calls', { from: phone, to: org.number, outcome: 'busy' });
    await app.drain();
    await app.advance(15 * SECOND);
    await app.advance(1 * SECOND);
    const timeline = (await api(app, org, 'GET', `/v1/contacts/${call.json.contact_id}/timeline`)).json.data as { kind: string; summary: string }[];
    const kinds = timeline.map((e) => e.kind);
    expect(kinds[0]).toBe('call');
    expect(timeline[0]!.summary).toContain('missed');
    expect(kinds).toContain('message');
    expect(timeline.some((e) => e.kind === 'automation' && e.summary.includes('delay 15s'))).toBe(true);
    expect(kinds.indexOf('message')).toBeGreaterThan(kinds.findIndex((k, i) => k === 'automation' && timeline[i]!.summary.includes('delay')));
  });

  run('a webhook step posts signed JSON to the URL and is retried until it succeeds', async () => {
    const org = await createTestOrg(app);
    const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    let fail = 1;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = fail-- > 0 ? 503 : 200;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/crm`;
    try {
      await api(app, org, 'POST', '/v1/automations', onMissedCall('crm', 1, [{ type: 'webhook', url, secret: 'shh-its-a-secret' }]));
      const phone = handset();
      const call = await api(app, org, 'POST', '/v1/sandbox/calls', { from: phone, to: org.number, outcome: 'no-answer' });
      await app.drain(); // first delivery: 503
      expect(received).toHaveLength(1);
      await app.advance(5 * SECOND); // retried with backoff
      expect(received).toHaveLength(2);
      const last = received[1]!;
      const body = JSON.parse(last.body);
      expect(body).toMatchObject({ contactId: call.json.contact_id, event: { type: 'call.completed', call: { outcome: 'missed' } } });
      expect(last.headers['x-textback-signature']).toBe(signWebhook('shh-its-a-secret', Number(last.headers['x-textback-timestamp']), last.body));
    } finally {
      server.close();
    }
  });

  run('a text of ours left unanswered starts a message.not_replied automation; a reply cancels it', async () => {
    const org = await createTestOrg(app);
    await api(app, org, 'POST', '/v1/automations', {
      name: 'nudge',
      state: 'active',
      priority: 1,
      scope: { numbers: 'all' },
      trigger: { type: 'message.not_replied', after: '1d' },
      steps: [{ type: 'send_sms', template: 'Any questions?' }],
    });
    const quiet = handset();
    const chatty = handset();
    // Leads who agreed to texts: the nudge is automated and needs consent.
    for (const phone of [quiet, chatty]) await api(app, org, 'POST', '/v1/leads', { phone, consent: true });
    await api(app, org, 'POST', '/v1/messages', { to: quiet, body: 'Your quote is ready' });
    await api(app, org, 'POST', '/v1/messages', { to: chatty, body: 'Your quote is ready' });
    await app.drain();
    await api(app, org, 'POST', '/v1/sandbox/messages', { from: chatty, to: org.number, body: 'Thanks!' });
    await app.advance(24 * HOUR);
    await app.advance(SECOND);
    expect((await inbox(org, quiet)).map((m) => firstLine(m.body))).toEqual(['Any questions?', 'Your quote is ready']);
    expect((await inbox(org, chatty)).map((m) => firstLine(m.body))).toEqual(['Your quote is ready']);
  });

  run('POST /v1/calls: a PBX call event is classified, idempotent on external_id, and triggers the text-back', async () => {
    const org = await createTestOrg(app);
    await api(app, org, 'POST', '/v1/automations/presets/missed-call-text-back', {});
    const phone = handset();
    const event = { from: phone, to: org.number, direction: 'inbound', status: 'canceled', duration: 3, external_id: 'pbx-1' };
    const first = await api(app, org, 'POST', '/v1/calls', event);
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ outcome: 'too_short', external_id: 'pbx-1' });
    expect(first.json.outcome_reason).toContain('hung up');
    const replay = await api(app, org, 'POST', '/v1/calls', event);
    expect(replay.status).toBe(200);
    expect(replay.json.id).toBe(first.json.id);
    const missed = await api(app, org, 'POST', '/v1/calls', { ...event, status: 'no-answer', duration: 30, external_id: 'pbx-2' });
    expect(missed.json.outcome).toBe('missed');
    await app.drain();
    await app.advance(15 * SECOND);
    expect(await inbox(org, phone)).toHaveLength(1);
    const unknown = await api(app, org, 'POST', '/v1/calls', { ...event, to: '+14155559999', external_id: 'pbx-3' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('unknown_number');
  });

  run('POST /v1/leads creates or updates the contact with its source and starts lead.created automations, once per external_id', async () => {
    const org = await createTestOrg(app);
    await api(app, org, 'POST', '/v1/automations', {
      name: 'welcome',
      state: 'active',
      priority: 1,
      scope: { numbers: 'all' },
      trigger: { type: 'lead.created' },
      steps: [{ type: 'send_sms', template: 'Hi {Name|there}, thanks for your request about {attr.service|our services}!' }],
    });
    const phone = handset();
    const lead = { phone, name: 'Robin Park', source: 'website form', fields: { service: 'boiler repair' }, external_id: 'form-77' };
    const first = await api(app, org, 'POST', '/v1/leads', lead);
    expect(first.status).toBe(201);
    const again = await api(app, org, 'POST', '/v1/leads', lead);
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(first.json.id);
    await app.drain();
    const contact = (await api(app, org, 'GET', `/v1/contacts/${first.json.contact_id}`)).json;
    expect(contact).toMatchObject({ name: 'Robin Park', source: 'website form' });
    expect((await inbox(org, phone)).map((m) => firstLine(m.body))).toEqual(['Hi Robin, thanks for your request about our services!']);
    const bad = await api(app, org, 'POST', '/v1/leads', { phone: 'call me maybe' });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('invalid_number');
  });

  run('business hours (schedule, zone, holidays) decide the in-hours or after-hours text; too-short is configurable', async () => {
    const org = await createTestOrg(app);
    await api(app, org, 'POST', '/v1/automations/presets/missed-call-text-back', { business_name: 'Hours Co' });
    const bad = await api(app, org, 'PATCH', '/v1/organization', { business_hours: { weekly: { mon: [{ open: '18:00', close: '09:00' }] } } });
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].field).toMatch(/^business_hours\.weekly\.mon/);
    const zone = await api(app, org, 'PATCH', '/v1/organization', { time_zone: 'Mars/Olympus' });
    expect(zone.status).toBe(400);
    // Today (the fake clock's day, in New York) is declared a holiday: a noon call gets the after-hours text.
    app.clock.set(Date.UTC(2026, 1, 11, 17, 0, 0)); // Wednesday 11 February 2026, 12:00 in New York
    const weekly = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ open: '09:00', close: '17:00' }]]));
    const ok = await api(app, org, 'PATCH', '/v1/organization', { business_hours: { weekly, holidays: ['2026-02-11'] }, settings: { too_short_seconds: 30 } });
    expect(ok.status).toBe(200);
    expect(ok.json.business_hours.holidays).toEqual(['2026-02-11']);
    const phone = handset();
    const short = await api(app, org, 'POST', '/v1/sandbox/calls', { from: phone, to: org.number, outcome: 'no-answer' }); // rings 25 s
    expect(short.json.outcome).toBe('too_short');
    const missed = await api(app, org, 'POST', '/v1/sandbox/calls', { from: phone, to: org.number, outcome: 'no-answer', duration: 40 });
    expect(missed.json.outcome).toBe('missed');
    await app.drain();
    await app.advance(15 * SECOND);
    const texts = await inbox(org, phone);
    expect(texts).toHaveLength(1);
    expect(texts[0]!.body).toContain("We're closed now");
  });

  run("an automation scoped to agents or extensions reacts only to their calls", async () => {
    const org = await createTestOrg(app);
    await api(app, org, 'POST', '/v1/automations', onMissedCall('front desk', 1, [{ type: 'send_sms', template: 'Front desk here' }], { scope: { numbers: 'all', extensions: ['101'] } }));
    const mine = handset();
    const theirs = handset();
    const nobody = handset();
    const a = await api(app, org, 'POST', '/v1/calls', { from: mine, to: org.number, direction: 'inbound', status: 'no-answer', duration: 30, extension: '101', external_id: 'x-101' });
    expect(a.json.extension).toBe('101');
    await api(app, org, 'POST', '/v1/calls', { from: theirs, to: org.number, direction: 'inbound', status: 'no-answer', duration: 30, extension: '102', external_id: 'x-102' });
    await api(app, org, 'POST', '/v1/calls', { from: nobody, to: org.number, direction: 'inbound', status: 'no-answer', duration: 30, external_id: 'x-none' });
    await app.drain();
    await app.advance(2 * SECOND);
    expect((await inbox(org, mine)).map((m) => firstLine(m.body))).toEqual(['Front desk here']);
    expect(await inbox(org, theirs)).toHaveLength(0);
    expect(await inbox(org, nobody)).toHaveLength(0);
  });
});
