/**
 * Missed-call text-back scenarios, end to end through the sandbox, on both databases, with a fake
 * clock: every wait is a job at its run time, so the clock decides what has happened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/support/logger.js';
import { createTextback } from '../../src/textback.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
// Thursday 15 January 2026, 12:00 in New York (the test organizations' zone): business hours.
const NOON_NY = Date.UTC(2026, 0, 15, 17, 0, 0);

describe.each(DIALECTS)('missed-call text-back (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;
  let preset: { id: string };
  let handsetCounter = 0;
  const nextHandset = () => `+1415555${String(200 + handsetCounter++).padStart(4, '0')}`;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    org = await createTestOrg(app);
    const res = await api(app, org, 'POST', '/v1/automations/presets/missed-call-text-back', { business_name: 'Acme Plumbing' });
    expect(res.status).toBe(201);
    preset = res.json;
  });
  afterAll(async () => app?.close());

  const received = async (handset: string) =>
    (await api(app, org, 'GET', `/v1/sandbox/handsets/${handset}/messages`)).json.data.filter((m: { direction: string }) => m.direction === 'received') as {
      body: string;
      created_at: string;
    }[];
  // A call event, then the workers pick it up at once (as a running server's do).
  const call = async (handset: string, outcome: string, extra: Record<string, unknown> = {}) => {
    const res = await api(app, org, 'POST', '/v1/sandbox/calls', { from: handset, to: org.number, outcome, ...extra });
    await app.drain();
    return res;
  };
  const atNoon = async () => {
    app.clock.set(NOON_NY + handsetCounter * 3 * 24 * HOUR); // a fresh Thursday-ish noon per scenario, weeks apart
    const day = new Date(app.clock.now()).getUTCDay();
    // Keep it a weekday (business hours are Monday to Friday).
    if (day === 0) app.clock.advance(24 * HOUR);
    if (day === 6) app.clock.advance(2 * 24 * HOUR);
    await app.drain();
  };
  const run = it.runIf(dialectAvailable(dialect));

  run('an inbound missed call gets the in-hours text 15 s after the call, not before', async () => {
    await atNoon();
    const handset = nextHandset();
    const res = await call(handset, 'no-answer');
    expect(res.json).toMatchObject({ outcome: 'missed' });
    await app.advance(14 * SECOND);
    expect(await received(handset)).toHaveLength(0);
    await app.advance(1 * SECOND);
    const texts = await received(handset);
    expect(texts).toHaveLength(1);
    expect(texts[0]!.body).toContain('sorry we missed your call at Acme Plumbing');
    const contact = (await api(app, org, 'GET', `/v1/contacts/${res.json.contact_id}`)).json;
    expect(contact.attributes.last_missed_call_sms_at).toBe(new Date(app.clock.now()).toISOString());
    const message = (await api(app, org, 'GET', `/v1/messages?contact=${res.json.contact_id}&direction=outbound`)).json.data[0];
    expect(message.created_by).toEqual({ type: 'automation', id: preset.id });
  });

  run('a PBX call posted with 0 s talk time that rang 30 s is missed and texted (the timestamps give the ring time)', async () => {
    await atNoon();
    const handset = nextHandset();
    const endedAt = app.clock.now();
    const res = await api(app, org, 'POST', '/v1/calls', {
      from: handset,
      to: org.number,
      direction: 'inbound',
      status: 'no-answer',
      duration: 0,
      started_at: new Date(endedAt - 30 * SECOND).toISOString(),
      ended_at: new Date(endedAt).toISOString(),
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ outcome: 'missed', outcome_reason: 'no-answer: nobody picked up (rang 30 s)', duration_seconds: 0 });
    await app.drain();
    await app.advance(15 * SECOND);
    expect(await received(handset)).toHaveLength(1);
    // 3 s of ringing by the timestamps is still a pocket dial.
    const quick = await api(app, org, 'POST', '/v1/calls', {
      from: nextHandset(),
      to: org.number,
      direction: 'inbound',
      status: 'no-answer',
      duration: 0,
      started_at: new Date(endedAt - 3 * SECOND).toISOString(),
      ended_at: new Date(endedAt).toISOString(),
    });
    expect(quick.json.outcome).toBe('too_short');
  });

  run('an outbound unanswered call gets its text after 3 minutes', async () => {
    await atNoon();
    const handset = nextHandset();
    // We call a lead who agreed to texts on a form (automated texts need consent: docs/compliance.md).
    await api(app, org, 'POST', '/v1/leads', { phone: handset, consent: { form: 'quote request' } });
    await call(org.number, 'no-answer', { to: handset, direction: 'outbound' });
    await app.advance(2 * MINUTE + 59 * SECOND);
    expect(await received(handset)).toHaveLength(0);
    await app.advance(1 * SECOND);
    const texts = await received(handset);
    expect(texts).toHaveLength(1);
    expect(texts[0]!.body).toContain('We just tried to call you');
  });

  run('an outbound call to a number that never contacted us: the text is blocked (no consent), and the run sets nothing and schedules nothing', async () => {
    await atNoon();
    const handset = nextHandset();
    const res = await call(org.number, 'no-answer', { to: handset, direction: 'outbound' });
    await app.advance(3 * MINUTE);
    const message = (await api(app, org, 'GET', `/v1/messages?contact=${res.json.contact_id}&direction=outbound`)).json.data[0];
    expect(message).toMatchObject({ status: 'blocked', reason: 'no_consent', automation_id: preset.id });
    // The 24 h cap did not count a text never sent...
    const contact = (await api(app, org, 'GET', `/v1/contacts/${res.json.contact_id}`)).json;
    expect(contact.attributes.last_missed_call_sms_at).toBeUndefined();
    // ...the run ended at the text, with no follow-up waiting...
    const runs = (await api(app, org, 'GET', `/v1/automations/${preset.id}/runs?contact=${res.json.contact_id}`)).json.data;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'stopped', next_at: null });
    expect(runs[0].outcome).toMatch(/^no text: .*the text was not sent \(blocked: no_consent, rule CONSENT\), so the steps after it do not run/);
    const pending = await app.tb.ctx.db.kysely.selectFrom('jobs').select('id').where('kind', '=', 'automation.advance').where('unique_key', 'like', `%${runs[0].id}%`).where('state', 'in', ['pending', 'running']).execute();
    expect(pending).toHaveLength(0);
    // ...and the timeline says why.
    const timeline = (await api(app, org, 'GET', `/v1/contacts/${res.json.contact_id}/timeline`)).json.data as { kind: string; summary: string }[];
    expect(timeline.filter((e) => e.kind === 'automation').map((e) => e.summary).join('\n')).toContain('the text was not sent (blocked: no_consent, rule CONSENT)');
    // Two hours later: still nothing, no follow-up.
    await app.advance(4 * HOUR);
    expect(await received(handset)).toHaveLength(0);
    expect((await api(app, org, 'GET', `/v1/messages?contact=${res.json.contact_id}`)).json.data).toHaveLength(1);
  });

  run('a call that reached voicemail is skipped by default, and the run says why', async () => {
    await atNoon();
    const handset = nextHandset();
    const res = await call(handset, 'voicemail');
    expect(res.json.outcome).toBe('voicemail');
    await app.advance(1 * HOUR);
    expect(await received(handset)).toHaveLength(0);
    const runs = (await api(app, org, 'GET', `/v1/automations/${preset.id}/runs?contact=${res.json.contact_id}`)).json.data;
    expect(runs).toHaveLength(1);
    expect(runs[0].status).toBe('stopped');
    expect(runs[0].outcome).toContain('not a missed call');
    expect(runs[0].steps.map((s: { message: string }) => s.message).join('\n')).toMatch(/call\.outcome/);
  });

  run('with voicemail texts enabled, a call that reached voicemail gets its text after the voicemail delay', async () => {
    await atNoon();
    const other = await createTestOrg(app);
    const created = await api(app, other, 'POST', '/v1/automations/presets/missed-call-text-back', { business_name: 'Acme Plumbing', voicemail_delay: '20m' });
    expect(created.status).toBe(201);
    const handset = nextHandset();
    const res = await api(app, other, 'POST', '/v1/sandbox/calls', { from: handset, to: other.number, outcome: 'voicemail' });
    expect(res.json.outcome).toBe('voicemail');
    await app.drain();
    const inbox = async () => (await api(app, other, 'GET', `/v1/sandbox/handsets/${handset}/messages`)).json.data.filter((m: { direction: string }) => m.direction === 'received');
    await app.advance(20 * MINUTE - 1 * SECOND);
    expect(await inbox()).toHaveLength(0);
    await app.advance(1 * SECOND);
    const texts = await inbox();
    expect(texts).toHaveLength(1);
    expect(texts[0].body).toContain('Acme Plumbing');
    const message = (await api(app, other, 'GET', `/v1/messages?contact=${res.json.contact_id}&direction=outbound`)).json.data[0];
    expect(message.created_by).toEqual({ type: 'automation', id: created.json.id });
  });

  run('an answered call gets nothing', async () => {
    await atNoon();
    const handset = nextHandset();
    await call(handset, 'answered');
    await app.advance(3 * HOUR);
    expect(await received(handset)).toHaveLength(0);
  });

  run('a second missed call the same day gets no second text, and repeat calls within ten minutes are one episode', async () => {
    await atNoon();
    const handset = nextHandset();
    await call(handset, 'no-answer');
    await app.advance(5 * SECOND);
    await call(handset, 'busy');
    await app.advance(5 * SECOND);
    await call(handset, 'no-answer');
    await app.advance(1 * MINUTE);
    expect(await received(handset)).toHaveLength(1);
    await app.advance(3 * HOUR); // a follow-up may come (no reply), but no second text-back
    await call(handset, 'no-answer');
    await app.advance(1 * MINUTE);
    const bodies = (await received(handset)).map((t) => t.body);
    expect(bodies.filter((b) => b.includes('sorry we missed your call'))).toHaveLength(1);
    const runs = (await api(app, org, 'GET', `/v1/automations/${preset.id}/runs?limit=50`)).json.data.filter(
      (r: { outcome: string | null; steps: { message: string }[] }) => r.steps.some((s) => s.message.includes('already sent a missed-call text recently')),
    );
    expect(runs.length).toBeGreaterThanOrEqual(1);
  });

  run('a callback that connects within the delay cancels the pending text', async () => {
    await atNoon();
    const handset = nextHandset();
    const missed = await call(handset, 'no-answer');
    await app.advance(5 * SECOND);
    await call(handset, 'answered');
    await app.advance(1 * HOUR);
    expect(await received(handset)).toHaveLength(0);
    const runs = (await api(app, org, 'GET', `/v1/automations/${preset.id}/runs?contact=${missed.json.contact_id}`)).json.data;
    const first = runs.find((r: { event: { id: string } }) => r.event.id === missed.json.id);
    expect(first).toMatchObject({ status: 'cancelled' });
    expect(first.outcome).toContain('called back');
  });

  run('a reply cancels the follow-up and the conversation is open for the team', async () => {
    await atNoon();
    const handset = nextHandset();
    await call(handset, 'no-answer');
    await app.advance(15 * SECOND);
    expect(await received(handset)).toHaveLength(1);
    const reply = await api(app, org, 'POST', '/v1/sandbox/messages', { from: handset, to: org.number, body: 'Yes please, the sink is leaking' });
    await app.advance(4 * HOUR);
    expect(await received(handset)).toHaveLength(1);
    const conversation = (await api(app, org, 'GET', `/v1/conversations/${reply.json.conversation_id}`)).json;
    expect(conversation).toMatchObject({ status: 'open', unread_count: 1 });
  });

  run('no reply within 2 hours: exactly one follow-up', async () => {
    await atNoon();
    const handset = nextHandset();
    await call(handset, 'no-answer');
    await app.advance(15 * SECOND);
    await app.advance(2 * HOUR - 1 * SECOND); // the follow-up is due 2 h after the text
    expect(await received(handset)).toHaveLength(1);
    await app.advance(2 * SECOND);
    await app.advance(10 * HOUR);
    const texts = await received(handset);
    expect(texts).toHaveLength(2);
    expect(texts[0]!.body).toContain('just checking in'); // newest first
  });

  run('an after-hours call gets the after-hours text', async () => {
    await atNoon();
    app.clock.advance(6 * HOUR); // 18:00 in New York: closed, but not quiet hours
    const handset = nextHandset();
    await call(handset, 'no-answer');
    await app.advance(15 * SECOND);
    const texts = await received(handset);
    expect(texts).toHaveLength(1);
    expect(texts[0]!.body).toContain("We're closed now");
  });

  run('a draft automation never runs, even when its trigger fires', async () => {
    const other = await createTestOrg(app);
    const draft = await api(app, other, 'POST', '/v1/automations/presets/missed-call-text-back', { state: 'draft' });
    expect(draft.json.state).toBe('draft');
    const handset = nextHandset();
    await api(app, other, 'POST', '/v1/sandbox/calls', { from: handset, to: other.number, outcome: 'no-answer' });
    await app.drain();
    await app.advance(1 * HOUR);
    expect((await api(app, other, 'GET', `/v1/sandbox/handsets/${handset}/messages`)).json.data).toHaveLength(0);
    expect((await api(app, other, 'GET', `/v1/automations/${draft.json.id}/runs`)).json.data).toHaveLength(0);
  });

  run('a restart in the middle of a delay sends the text once, on time', async () => {
    await atNoon();
    const handset = nextHandset();
    await api(app, org, 'POST', '/v1/leads', { phone: handset, consent: true });
    await call(org.number, 'no-answer', { to: handset, direction: 'outbound' });
    await app.advance(1 * MINUTE);
    // Stop this instance (its worker and HTTP server) and start another on the same database.
    await app.tb.close();
    const restarted = await createTextback({ config: { ...loadConfig({}), sandboxReceiptDelayMs: 1000 }, clock: app.clock, db: app.database.db, logger: createLogger('silent') });
    app.tb = restarted;
    app.http = await restarted.http();
    app.drain = () => restarted.worker.drain();
    app.advance = async (ms: number) => {
      app.clock.advance(ms);
      return restarted.worker.drain();
    };
    await app.advance(1 * MINUTE + 59 * SECOND);
    expect(await received(handset)).toHaveLength(0);
    await app.advance(1 * SECOND);
    expect(await received(handset)).toHaveLength(1);
    await app.advance(1 * MINUTE);
    expect(await received(handset)).toHaveLength(1);
  });
});
