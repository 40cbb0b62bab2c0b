/**
 * A new run's steps that are due now run in its call's transaction (use-cases/automations/engine.ts,
 * `runDueSteps`): the run, its text and the text's send job are stored with the call, with the same
 * trace and rules as its advance job; if that fails, the call is still recorded and the advance job
 * does the steps, once. Both databases, fake clock.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADVANCE_JOB } from '../../src/use-cases/automations/engine.js';
import { advanceJobKey } from '../../src/use-cases/automations/automation-store.js';
import { enqueue } from '../../src/jobs/job-queue.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';

// The next `sendOne` throws (once), to stand for any failure while a run's steps are done at once.
const failures = vi.hoisted(() => ({ nextSend: false }));
vi.mock('../../src/use-cases/messages.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/use-cases/messages.js')>();
  return {
    ...original,
    sendOne: (...args: Parameters<typeof original.sendOne>) => {
      if (failures.nextSend) {
        failures.nextSend = false;
        return Promise.reject(new Error('injected failure'));
      }
      return original.sendOne(...args);
    },
  };
});

const zeroDelay = (name: string, priority: number, template: string) => ({
  name,
  state: 'active',
  priority,
  scope: { numbers: 'all' },
  trigger: { type: 'call.completed' },
  steps: [{ type: 'condition', if: { field: 'call.outcome', op: '!=', value: 'missed' }, then: [{ type: 'stop', reason: 'not missed' }] }, { type: 'send_sms', template }],
});

describe.each(DIALECTS)("a new run's due steps, at once (%s)", (dialect) => {
  let app: TestApp;
  let n = 0;
  const handset = () => `+1415555${String(700 + n++).padStart(4, '0')}`;
  const run = it.runIf(dialectAvailable(dialect));

  beforeAll(async () => {
    if (dialectAvailable(dialect)) app = await createTestApp(dialect);
  });
  afterAll(async () => app?.close());

  const db = () => app.tb.ctx.db.kysely;
  const missedCall = (org: TestOrg, from: string, externalId: string) =>
    api(app, org, 'POST', '/v1/calls', { from, to: org.number, direction: 'inbound', status: 'no-answer', duration: 30, external_id: externalId });
  const inbox = async (org: TestOrg, phone: string) =>
    ((await api(app, org, 'GET', `/v1/sandbox/handsets/${phone}/messages`)).json.data as { direction: string; body: string }[]).filter((m) => m.direction === 'received');
  const runsOf = (contactId: string) => db().selectFrom('automation_runs').selectAll().where('contact_id', '=', contactId).orderBy('priority', 'desc').execute();
  const traceOf = async (runId: string) => (await db().selectFrom('automation_trace').select('message').where('run_id', '=', runId).orderBy('seq').execute()).map((t) => t.message);
  const textsTo = (contactId: string) => db().selectFrom('messages').selectAll().where('contact_id', '=', contactId).where('direction', '=', 'outbound').execute();
  const advanceJobs = (runId: string) => db().selectFrom('jobs').select(['state']).where('unique_key', '=', advanceJobKey(runId)).execute();

  run('a zero-delay text-back is stored with its call: run completed, text queued, no advance job; sent once, even if an advance job comes again', async () => {
    const org = await createTestOrg(app);
    await api(app, org, 'POST', '/v1/automations', zeroDelay('text-back', 1, 'Sorry we missed you'));
    const phone = handset();
    const call = await missedCall(org, phone, 'at-once-1');
    expect(call.status).toBe(201);

    // Before any job ran: the run is over, its text queued with its send job, its steps explained.
    const [theRun] = await runsOf(call.json.contact_id);
    expect(theRun).toMatchObject({ status: 'completed', event_id: call.json.id });
    expect(theRun!.outcome).toMatch(/^sent/);
    expect(await advanceJobs(theRun!.id)).toEqual([]);
    const texts = await textsTo(call.json.contact_id);
    expect(texts.map((t) => [t.status, t.automation_run_id])).toEqual([['queued', theRun!.id]]);
    const trace = await traceOf(theRun!.id);
    expect(trace[0]).toMatch(/^started by inbound call, missed/);
    expect(trace.some((m) => m.startsWith(`text ${texts[0]!.id} queued`))).toBe(true);
    // The events of the call, its consent, the text and the run, in the order they happened.
    const events = await db().selectFrom('events').select(['type', 'subject_id']).where('org_id', '=', org.orgId).orderBy('seq').execute();
    expect(events.map((e) => e.type)).toEqual(['contact.consent_changed', 'call.completed', 'message.created', 'automation.run_finished']);

    await app.drain();
    expect((await inbox(org, phone)).map((m) => m.body.split('\n')[0])).toEqual(['Sorry we missed you']);
    // An advance job for the finished run (a duplicate delivery) and a replayed call change nothing.
    await enqueue(db(), app.clock, { kind: ADVANCE_JOB, orgId: org.orgId, payload: { runId: theRun!.id } });
    expect((await missedCall(org, phone, 'at-once-1')).status).toBe(200);
    await app.advance(5_000);
    expect(await inbox(org, phone)).toHaveLength(1);
    expect(await textsTo(call.json.contact_id)).toHaveLength(1);
    expect(await runsOf(call.json.contact_id)).toHaveLength(1);
  });

  run('a new caller texted twice in one go: the opt-out language on the first text only, and the second meets the cap', async () => {
    // The call's transaction creates the contact and knows it has no text yet: the second send
    // must still see the first (opt-out language once, the 24 h cap counts it).
    const org = await createTestOrg(app);
    expect((await api(app, org, 'PATCH', '/v1/compliance/settings', { automated_cap_per_24h: 1 })).status).toBe(200);
    const twice = zeroDelay('twice', 1, 'First');
    twice.steps.push({ type: 'send_sms', template: 'Second' });
    await api(app, org, 'POST', '/v1/automations', twice);
    const phone = handset();
    const call = await missedCall(org, phone, 'at-once-twice');
    expect(call.status).toBe(201);
    const texts = (await textsTo(call.json.contact_id)).sort((a, b) => (a.body < b.body ? -1 : 1));
    expect(texts.map((t) => [t.body, t.status, t.rule])).toEqual([
      ['First\nReply STOP to opt out', 'queued', null],
      ['Second', 'blocked', 'CAP-ORG'],
    ]);
    const conversations = await db().selectFrom('conversations').select('id').where('contact_id', '=', call.json.contact_id).execute();
    expect(conversations).toHaveLength(1);
    expect(new Set(texts.map((t) => t.conversation_id))).toEqual(new Set([conversations[0]!.id]));
  });

  run('two automations on a new call: one text, from the higher priority; the other run says why', async () => {
    const org = await createTestOrg(app);
    await api(app, org, 'POST', '/v1/automations', zeroDelay('low', 1, 'from low'));
    await api(app, org, 'POST', '/v1/automations', zeroDelay('high', 50, 'from high'));
    const phone = handset();
    const call = await missedCall(org, phone, 'at-once-2');
    const [high, low] = await runsOf(call.json.contact_id);
    // The lower one's text was skipped, so its run ends there (nothing after a text that was not sent runs).
    expect([high!.status, low!.status]).toEqual(['completed', 'stopped']);
    expect(high!.outcome).toMatch(/^sent/);
    expect(low!.outcome).toMatch(/^no text/);
    expect((await traceOf(low!.id)).join('\n')).toContain('skipped: automation "high" already texted this contact for this event');
    await app.drain();
    expect((await inbox(org, phone)).map((m) => m.body.split('\n')[0])).toEqual(['from high']);
  });

  run('a delay first: the run waits with its advance job, and the text goes at its time', async () => {
    const org = await createTestOrg(app);
    const doc = zeroDelay('later', 1, 'a bit later');
    doc.steps.splice(1, 0, { type: 'delay', duration: '30s' } as never);
    await api(app, org, 'POST', '/v1/automations', doc);
    const phone = handset();
    const call = await missedCall(org, phone, 'at-once-3');
    const [theRun] = await runsOf(call.json.contact_id);
    expect(theRun!.status).toBe('waiting');
    expect(await advanceJobs(theRun!.id)).toEqual([{ state: 'pending' }]);
    await app.drain();
    expect(await inbox(org, phone)).toHaveLength(0);
    await app.advance(31_000);
    await app.advance(1_000);
    expect(await inbox(org, phone)).toHaveLength(1);
  });

  run("when the due steps fail at once, the call is recorded and the run's advance job sends the text, once", async () => {
    const org = await createTestOrg(app);
    await api(app, org, 'POST', '/v1/automations', zeroDelay('text-back', 1, 'We will call you back'));
    const phone = handset();
    failures.nextSend = true;
    const call = await missedCall(org, phone, 'at-once-4');
    expect(call.status).toBe(201);
    expect(failures.nextSend).toBe(false); // the failure happened

    // The call's transaction failed and ran again without the due steps: the call once, no text,
    // no event of it; the run waits for its job.
    expect(await db().selectFrom('calls').select('id').where('org_id', '=', org.orgId).execute()).toEqual([{ id: call.json.id }]);
    const [theRun] = await runsOf(call.json.contact_id);
    expect(theRun!.status).toBe('waiting');
    expect(await advanceJobs(theRun!.id)).toEqual([{ state: 'pending' }]);
    expect(await textsTo(call.json.contact_id)).toHaveLength(0);
    expect(await traceOf(theRun!.id)).toEqual([expect.stringMatching(/^started by/)]);
    const events = await db().selectFrom('events').select('type').where('org_id', '=', org.orgId).orderBy('seq').execute();
    expect(events.map((e) => e.type)).toEqual(['contact.consent_changed', 'call.completed']);

    await app.drain();
    await app.advance(2_000);
    expect(await inbox(org, phone)).toHaveLength(1);
    const [after] = await runsOf(call.json.contact_id);
    expect(after!.status).toBe('completed');
    expect((await traceOf(theRun!.id)).filter((m) => m.startsWith('started by'))).toHaveLength(1);
    expect(await textsTo(call.json.contact_id)).toHaveLength(1);
  });
});
