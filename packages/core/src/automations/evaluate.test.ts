import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { BusinessHours } from '../schedule/business-hours.js';
import type { Automation, Step } from './automation.js';
import { advanceRun, cancelRun, completeStep, deferStep, fingerprintSteps, formatStepPath, parseStepPath, startRun, stepNotDone } from './evaluate.js';
import type { CallFacts, RunAction, RunContext, RunState, TraceEntry } from './evaluate.js';
import { LAST_MISSED_CALL_SMS_AT, missedCallTextBackPreset } from './presets.js';

const NY = 'America/New_York';
const at = (iso: string): number => DateTime.fromISO(iso, { zone: NY }).toMillis();
const iso = (ms: number): string => new Date(ms).toISOString();
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const hours: BusinessHours = {
  timeZone: NY,
  weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ open: '09:00', close: '17:00' }]])),
};

const preset = missedCallTextBackPreset({ businessName: 'Bright Dental', numbers: ['+15551230000'], state: 'active' });

function context(call: Partial<CallFacts> = {}, contact: Partial<RunContext['contact']> = {}): RunContext {
  return {
    automationId: 'auto-1',
    event: { type: 'call.completed', call: { outcome: 'missed', direction: 'inbound', durationSeconds: 25, number: '+15551230000', ...call } },
    contact: { id: 'contact-1', firstName: 'Ann', attributes: {}, ...contact },
    businessHours: hours,
    variables: { Business: 'Bright Dental' },
  };
}

interface Performed {
  at: number;
  action: RunAction;
}

/**
 * Plays a run to the end like a worker with a fake clock: side effects are
 * "performed" and completed at once, waits jump the clock, and the state goes
 * through JSON between every call, as it would through a database.
 * `beforeWake` lets a test change the world while the run sleeps.
 */
function play(
  automation: Automation,
  ctx: RunContext,
  start: number,
  beforeWake?: (wakeAt: number, ctx: RunContext) => void,
): { performed: Performed[]; trace: TraceEntry[]; done: Extract<RunAction, { kind: 'done' }>; state: RunState } {
  let now = start;
  let state: RunState = JSON.parse(JSON.stringify(startRun(automation, now)));
  const performed: Performed[] = [];
  const trace: TraceEntry[] = [];
  for (let i = 0; i < 50; i++) {
    const result = advanceRun(automation, state, ctx, now);
    trace.push(...result.trace);
    state = JSON.parse(JSON.stringify(result.state));
    const { action } = result;
    if (action.kind === 'done') return { performed, trace, done: action, state };
    performed.push({ at: now, action });
    if (action.kind === 'wait_until') {
      now = action.at;
      beforeWake?.(now, ctx);
      continue;
    }
    if (action.kind === 'update_contact') ctx.contact.attributes = { ...ctx.contact.attributes, [action.attribute]: action.value };
    if (action.kind === 'send_sms') ctx.contact.lastTextAt = now;
    state = completeStep(state, action.step);
  }
  throw new Error('run did not finish');
}

/** A compact view of what a run did: `+15s send_sms "Hi Ann, ..."`. */
function summary(performed: Performed[], start: number): string[] {
  return performed.map(({ at: t, action }) => {
    const offset = `+${Math.round((t - start) / SECOND)}s`;
    switch (action.kind) {
      case 'send_sms':
        return `${offset} send_sms ${action.body}`;
      case 'wait_until':
        return `${offset} wait_until ${iso(action.at)}`;
      case 'update_contact':
        return `${offset} update_contact ${action.attribute}=${action.value}`;
      default:
        return `${offset} ${action.kind}`;
    }
  });
}

describe('missed-call text-back preset, played end to end', () => {
  it('inbound missed call in business hours: 15 s, in-hours text, follow-up after 2 h', () => {
    const start = at('2026-01-13T10:00'); // a Tuesday
    const run = play(preset, context(), start);
    expect(summary(run.performed, start)).toEqual([
      `+0s wait_until ${iso(start + 15 * SECOND)}`,
      "+15s send_sms Hi Ann, sorry we missed your call at Bright Dental! How can we help? Reply here and we'll get right back to you.",
      `+15s update_contact ${LAST_MISSED_CALL_SMS_AT}=${iso(start + 15 * SECOND)}`,
      `+15s wait_until ${iso(start + 15 * SECOND + 2 * HOUR)}`,
      "+7215s send_sms Hi Ann, just checking in from Bright Dental. Still need a hand? Reply here anytime and we'll help.",
    ]);
    expect(run.done).toEqual({ kind: 'done', reason: 'completed', detail: 'all steps done' });
  });

  it('explains each decision in the trace', () => {
    const start = at('2026-01-13T10:00');
    const messages = play(preset, context(), start).trace.map((t) => `${t.step} ${t.message}`);
    expect(messages.slice(0, 9)).toEqual([
      'steps[0] condition call.outcome not_in [missed]: false (missed) → no else steps, continuing',
      'steps[1] condition call.direction == inbound: true (inbound) → then',
      `steps[1].then[0] delay 15s: waiting until ${iso(start + 15 * SECOND)}`,
      'steps[1].then[0] wait over',
      'steps[2] condition contact.attr.last_missed_call_sms_at within 24h: false (never) → no else steps, continuing',
      'steps[3] condition call.direction == inbound: true (inbound) → then',
      'steps[3].then[0] condition business_hours.open == true: true (true) → then',
      'steps[3].then[0].then[0] send_sms: template, 112 characters',
      `steps[4] update_contact: ${LAST_MISSED_CALL_SMS_AT} = ${iso(start + 15 * SECOND)}`,
    ]);
    expect(play(preset, context(), start).trace.find((t) => t.step === 'steps[2]')?.note).toBe('at most one missed-call text per contact per 24h');
  });

  it('inbound missed call at night: after-hours text, follow-up held until the next opening', () => {
    const start = at('2026-01-13T20:00');
    const run = play(preset, context(), start);
    const texts = run.performed.filter((p) => p.action.kind === 'send_sms');
    expect(texts.map((p) => [iso(p.at), (p.action as { body: string }).body])).toEqual([
      [iso(start + 15 * SECOND), "Hi Ann, thanks for calling Bright Dental! We're closed now, but reply with how we can help and we'll text you when we open."],
      [iso(at('2026-01-14T09:00')), "Hi Ann, just checking in from Bright Dental. Still need a hand? Reply here anytime and we'll help."],
    ]);
  });

  it('outbound unanswered call: waits 3 minutes and sends the outbound text', () => {
    const start = at('2026-01-13T11:00');
    const run = play(preset, context({ direction: 'outbound', outcome: 'missed' }, { firstName: undefined }), start);
    expect(summary(run.performed, start).slice(0, 2)).toEqual([
      `+0s wait_until ${iso(start + 3 * MINUTE)}`,
      "+180s send_sms Hi there, it's Bright Dental. We just tried to call you. When's a good time to talk? Or just reply here.",
    ]);
  });

  it.each<[string, CallFacts['outcome']]>([
    ['voicemail (skipped by default)', 'voicemail'],
    ['too short', 'too_short'],
    ['answered', 'answered'],
    ['answered elsewhere', 'answered_elsewhere'],
  ])('%s: no text at all', (_label, outcome) => {
    const run = play(preset, context({ outcome }), at('2026-01-13T10:00'));
    expect(run.performed).toEqual([]);
    expect(run.done).toEqual({ kind: 'done', reason: 'stopped', detail: 'not a missed call' });
    expect(run.trace[0]?.message).toBe(`condition call.outcome not_in [missed]: true (${outcome}) → then`);
  });

  it('voicemail with the 20 minute option', () => {
    const withVoicemail = missedCallTextBackPreset({ businessName: 'Bright Dental', numbers: 'all', state: 'active', voicemail: { delay: '20m' } });
    const start = at('2026-01-13T10:00');
    const run = play(withVoicemail, context({ outcome: 'voicemail' }), start);
    expect(summary(run.performed, start).slice(0, 2)).toEqual([
      `+0s wait_until ${iso(start + 20 * MINUTE)}`,
      "+1200s send_sms Hi Ann, sorry we missed your call at Bright Dental! How can we help? Reply here and we'll get right back to you.",
    ]);
  });

  it.each<[string, string | undefined, boolean]>([
    ['never texted', undefined, true],
    ['texted 3 h ago', iso(at('2026-01-13T07:00')), false],
    ['texted 23 h 59 m ago', iso(at('2026-01-12T10:01')), false],
    ['texted 25 h ago', iso(at('2026-01-12T09:00')), true],
  ])('24 h cap: %s → texts: %s', (_label, lastSent, texts) => {
    const ctx = context({}, { attributes: lastSent === undefined ? {} : { [LAST_MISSED_CALL_SMS_AT]: lastSent } });
    const run = play(preset, ctx, at('2026-01-13T10:00'));
    expect(run.performed.some((p) => p.action.kind === 'send_sms')).toBe(texts);
    if (!texts) expect(run.done.detail).toBe('already sent a missed-call text recently');
  });

  it('a second missed call after the first text is capped, because the first run stored the time', () => {
    const ctx = context();
    play(preset, ctx, at('2026-01-13T10:00'));
    const second = play(preset, ctx, at('2026-01-13T15:00'));
    expect(second.performed.filter((p) => p.action.kind === 'send_sms')).toEqual([]);
  });

  it('no follow-up when the contact replied', () => {
    const start = at('2026-01-13T10:00');
    const run = play(preset, context(), start, (wakeAt, ctx) => {
      if (wakeAt > start + HOUR) ctx.contact.lastReplyAt = start + 30 * MINUTE;
    });
    expect(run.performed.filter((p) => p.action.kind === 'send_sms')).toHaveLength(1);
    expect(run.done).toEqual({ kind: 'done', reason: 'stopped', detail: 'the contact replied' });
  });

  it('a reply from before the run does not count as a reply', () => {
    const start = at('2026-01-13T10:00');
    const run = play(preset, context({}, { lastReplyAt: start - 3 * HOUR }), start);
    expect(run.performed.filter((p) => p.action.kind === 'send_sms')).toHaveLength(2);
  });

  it('without follow-up the run ends after recording the text', () => {
    const noFollowUp = missedCallTextBackPreset({ businessName: 'Bright Dental', numbers: 'all', state: 'active', followUp: false });
    const run = play(noFollowUp, context(), at('2026-01-13T10:00'));
    expect(run.performed.map((p) => p.action.kind)).toEqual(['wait_until', 'send_sms', 'update_contact']);
    expect(run.done.reason).toBe('completed');
  });
});

describe('run state protocol', () => {
  const start = at('2026-01-13T10:00');
  const simple: Automation = {
    name: 'simple',
    state: 'active',
    priority: 0,
    scope: { numbers: 'all' },
    trigger: { type: 'call.completed' },
    steps: [
      { type: 'send_sms', template: 'Hi {Name|there}' },
      { type: 'update_contact', attribute: 'texted', value: 'yes' },
    ],
  };

  it('moves past a step before handing out its side effect, so it is never handed out twice', () => {
    const first = advanceRun(simple, startRun(simple, start), context(), start);
    expect(first.action).toEqual({ kind: 'send_sms', step: 'steps[0]', body: 'Hi Ann' });
    expect(first.state.position).toEqual([1]);
    expect(first.state.pending).toEqual({ step: 'steps[0]', kind: 'send_sms', startedAt: start });

    // The worker crashed after saving "started" and never reported completion.
    const resumed = advanceRun(simple, JSON.parse(JSON.stringify(first.state)), context(), start + MINUTE);
    expect(resumed.action).toMatchObject({ kind: 'update_contact', step: 'steps[1]' });
    expect(resumed.trace[0]).toEqual({
      at: start + MINUTE,
      step: 'steps[0]',
      type: 'send_sms',
      message: `started at ${iso(start)} but never reported complete; not repeating it`,
    });
  });

  it('records completion idempotently', () => {
    const first = advanceRun(simple, startRun(simple, start), context(), start);
    const completed = completeStep(first.state, 'steps[0]');
    expect(completed.pending).toBeUndefined();
    expect(completeStep(completed, 'steps[0]')).toBe(completed);
    expect(completeStep(first.state, 'steps[9]')).toBe(first.state);
    const next = advanceRun(simple, completed, context(), start);
    expect(next.trace.map((t) => t.message)).toEqual(['update_contact: texted = yes']);
  });

  it('a text that was not sent ends the run: nothing after it runs, and the trace says why', () => {
    // The preset's outbound branch: its text is blocked for want of consent.
    const first = play(preset, context({ direction: 'outbound' }), at('2026-03-05T10:00:00'), undefined);
    expect(first.performed.map((p) => p.action.kind)).toContain('update_contact'); // when texts are sent
    let now = at('2026-03-05T10:00:00');
    let state = startRun(preset, now);
    let action: RunAction;
    for (;;) {
      const result = advanceRun(preset, state, context({ direction: 'outbound' }), now);
      state = result.state;
      action = result.action;
      if (action.kind === 'wait_until') now = action.at;
      else break;
    }
    expect(action.kind).toBe('send_sms');
    const step = (action as Extract<RunAction, { kind: 'send_sms' }>).step;
    const ended = stepNotDone(state, step, 'blocked: no_consent', now);
    expect(ended.state.pending).toBeUndefined();
    expect(ended.state.done).toEqual({ reason: 'not_sent', detail: `${step}: the text was not sent (blocked: no_consent), so the steps after it do not run`, at: now });
    expect(ended.trace).toEqual([{ at: now, step: 'run', type: 'run', message: `done (not_sent): ${ended.state.done!.detail}` }]);
    // No contact update, no follow-up wait: the run is over.
    const after = advanceRun(preset, JSON.parse(JSON.stringify(ended.state)), context({ direction: 'outbound' }), now + HOUR);
    expect(after.action).toEqual({ kind: 'done', reason: 'not_sent', detail: ended.state.done!.detail });
    expect(after.trace).toEqual([]);
    // Only the pending step can be reported, once.
    expect(stepNotDone(state, 'steps[9]', 'x', now).state).toBe(state);
    expect(stepNotDone(ended.state, step, 'x', now).state).toBe(ended.state);
  });

  it('a deferred text is handed out again on the next advance, and run.replied counts from a text only once it is completed', () => {
    const first = advanceRun(simple, startRun(simple, start), context(), start);
    expect(first.action).toMatchObject({ kind: 'send_sms', step: 'steps[0]' });
    expect(first.state.lastSmsAt).toBeUndefined();
    const deferred = deferStep(first.state, 'steps[0]');
    expect(deferred.pending).toBeUndefined();
    expect(deferred.position).toEqual([0]);
    expect(deferStep(deferred, 'steps[0]')).toBe(deferred);
    const again = advanceRun(simple, JSON.parse(JSON.stringify(deferred)), context(), start + MINUTE);
    expect(again.action).toMatchObject({ kind: 'send_sms', step: 'steps[0]' });
    expect(completeStep(again.state, 'steps[0]').lastSmsAt).toBe(start + MINUTE);
  });

  it('parses step paths back into positions', () => {
    for (const position of [[0], [3, 'then', 0], [4, 'else', 2, 'then', 11]] as const) {
      expect(parseStepPath(formatStepPath(position))).toEqual(position);
    }
    for (const bad of ['run', 'steps', 'steps[0].then', 'steps[x]', 'steps[1].maybe[0]', 'steps[0]junk']) expect(parseStepPath(bad)).toBeNull();
  });

  it('keeps returning the same wait until it is due', () => {
    const waiting: Automation = { ...simple, steps: [{ type: 'delay', duration: '1h' }, { type: 'stop', reason: 'bye' }] };
    const first = advanceRun(waiting, startRun(waiting, start), context(), start);
    expect(first.action).toEqual({ kind: 'wait_until', step: 'steps[0]', at: start + HOUR });
    const early = advanceRun(waiting, first.state, context(), start + 10 * MINUTE);
    expect(early.action).toEqual(first.action);
    expect(early.state).toEqual(first.state);
    const due = advanceRun(waiting, early.state, context(), start + HOUR);
    expect(due.action).toEqual({ kind: 'done', reason: 'stopped', detail: 'bye' });
    expect(due.trace.map((t) => t.message)).toEqual(['wait over', 'stop: bye', 'done (stopped): bye']);
  });

  it('stays done', () => {
    const ended = advanceRun(simple, { ...startRun(simple, start), position: [2] }, context(), start);
    expect(ended.action).toEqual({ kind: 'done', reason: 'completed', detail: 'all steps done' });
    const again = advanceRun(simple, ended.state, context(), start + HOUR);
    expect(again.action).toEqual(ended.action);
    expect(again.trace).toEqual([]);
  });

  it('ends runs of an automation that was edited since they started', () => {
    const state = startRun(simple, start);
    const edited: Automation = { ...simple, steps: [{ type: 'send_sms', template: 'Hello {Name|there}' }, ...simple.steps.slice(1)] };
    expect(advanceRun(edited, state, context(), start).action).toEqual({
      kind: 'done',
      reason: 'automation_changed',
      detail: 'the automation was edited after this run started',
    });
    // Renaming or re-prioritising does not affect runs.
    expect(advanceRun({ ...simple, name: 'renamed', priority: 5 }, state, context(), start).action.kind).toBe('send_sms');
  });

  it('fingerprints steps independently of key order', () => {
    const reordered = JSON.parse('[{"template":"Hi {Name|there}","type":"send_sms"},{"value":"yes","attribute":"texted","type":"update_contact"}]') as Step[];
    expect(fingerprintSteps(reordered)).toBe(fingerprintSteps(simple.steps));
    expect(fingerprintSteps(reordered)).toMatch(/^[0-9a-f]{16}$/);
  });

  it.each<[string, Automation['state']]>([
    ['paused', 'paused'],
    ['draft', 'draft'],
  ])('ends runs of a %s automation', (_label, state) => {
    const result = advanceRun({ ...simple, state }, startRun(simple, start), context(), start);
    expect(result.action).toEqual({ kind: 'done', reason: 'automation_inactive', detail: `the automation is ${state}` });
  });

  it('rejects a state it does not understand', () => {
    const broken = { ...startRun(simple, start), position: ['then'] } as unknown as RunState;
    expect(advanceRun(simple, broken, context(), start).action).toMatchObject({ kind: 'done', reason: 'invalid_state' });
  });

  it('can be cancelled from outside', () => {
    const first = advanceRun(simple, startRun(simple, start), context(), start);
    const cancelled = cancelRun(first.state, 'contact opted out', start + MINUTE);
    expect(cancelled.done).toEqual({ reason: 'canceled', detail: 'contact opted out', at: start + MINUTE });
    expect(cancelled.pending).toBeUndefined();
    expect(advanceRun(simple, cancelled, context(), start + HOUR).action).toEqual({ kind: 'done', reason: 'canceled', detail: 'contact opted out' });
  });

  it('formats step paths', () => {
    expect(formatStepPath([3, 'then', 0, 'else', 2])).toBe('steps[3].then[0].else[2]');
  });
});

describe('individual steps', () => {
  const start = at('2026-01-13T10:00');
  const automationWith = (...steps: Step[]): Automation => ({
    name: 'test',
    state: 'active',
    priority: 0,
    scope: { numbers: 'all' },
    trigger: { type: 'call.completed' },
    steps,
  });
  const first = (automation: Automation, ctx: RunContext = context(), now = start) => advanceRun(automation, startRun(automation, now), ctx, now);

  it('A/B variants are sticky per contact and automation', () => {
    const ab = automationWith({
      type: 'send_sms',
      variants: [
        { id: 'warm', template: 'Hi {Name}! Sorry we missed you.', weight: 1 },
        { id: 'brief', template: 'Missed your call, {Name}. Reply here.', weight: 1 },
      ],
    });
    const chosen = new Set<string | undefined>();
    for (let i = 0; i < 5; i++) {
      const action = first(ab).action;
      chosen.add(action.kind === 'send_sms' ? action.variantId : 'none');
    }
    expect(chosen.size).toBe(1);
    const ids = new Set<string | undefined>();
    for (let i = 0; i < 40; i++) {
      const action = first(ab, context({}, { id: `contact-${i}` })).action;
      if (action.kind === 'send_sms') ids.add(action.variantId);
    }
    expect([...ids].sort()).toEqual(['brief', 'warm']);
    expect(first(ab).trace[0]?.message).toMatch(/^send_sms: variant (warm|brief) \(sticky per contact\), \d+ characters$/);
  });

  it('renders attributes and organization variables', () => {
    const result = first(automationWith({ type: 'send_sms', template: '{Business}: thanks {attr.company|friend}, call {Number}' }), context({}, { attributes: { company: 'Acme' } }));
    expect(result.action).toMatchObject({ body: 'Bright Dental: thanks Acme, call +15551230000' });
  });

  it('webhook carries the event and never logs the secret', () => {
    const result = first(automationWith({ type: 'webhook', url: 'https://hooks.example.com/textback?token=abc', secret: 'shh' }));
    expect(result.action).toEqual({
      kind: 'webhook',
      step: 'steps[0]',
      url: 'https://hooks.example.com/textback?token=abc',
      secret: 'shh',
      payload: { automationId: 'auto-1', step: 'steps[0]', contactId: 'contact-1', event: context().event, at: iso(start) },
    });
    expect(result.trace[0]?.message).toBe('webhook: POST https://hooks.example.com/textback (signed)');
  });

  it.each<[Step, RunAction]>([
    [{ type: 'assign', teamId: 'front-desk' }, { kind: 'assign', step: 'steps[0]', teamId: 'front-desk' }],
    [{ type: 'assign', userId: 'u-7' }, { kind: 'assign', step: 'steps[0]', userId: 'u-7' }],
    [{ type: 'update_contact', attribute: 'status', value: 'texted' }, { kind: 'update_contact', step: 'steps[0]', attribute: 'status', value: 'texted' }],
    [{ type: 'update_contact', attribute: 'seen_at', value: 'now' }, { kind: 'update_contact', step: 'steps[0]', attribute: 'seen_at', value: iso(start) }],
    [{ type: 'stop' }, { kind: 'done', reason: 'stopped', detail: 'stop at steps[0]' }],
  ])('%j', (step, action) => {
    expect(first(automationWith(step)).action).toEqual(action);
  });

  it('delay until business hours continues at once without a schedule, or waits for the opening', () => {
    const hold = automationWith({ type: 'delay', until: 'business_hours' }, { type: 'stop', reason: 'after' });
    expect(first(hold, { ...context(), businessHours: undefined }, at('2026-01-13T23:00')).action).toMatchObject({ kind: 'done', detail: 'after' });
    expect(first(hold, context(), at('2026-01-13T23:00')).action).toEqual({ kind: 'wait_until', step: 'steps[0]', at: at('2026-01-14T09:00') });
    expect(first(hold, context(), at('2026-01-13T12:00')).action).toMatchObject({ kind: 'done', detail: 'after' });
  });

  it('fails the run instead of sending a broken or empty text', () => {
    expect(first(automationWith({ type: 'send_sms', template: 'Hi {Name' })).action).toMatchObject({ kind: 'done', reason: 'step_failed' });
    expect(first(automationWith({ type: 'send_sms', template: '{Agent}' })).action).toEqual({
      kind: 'done',
      reason: 'step_failed',
      detail: 'steps[0]: the message rendered empty',
    });
  });

  it('continues after a condition branch finishes', () => {
    const nested = automationWith(
      {
        type: 'condition',
        if: { field: 'call.duration', op: '>', value: 10 },
        then: [{ type: 'condition', if: { field: 'call.direction', op: '==', value: 'outbound' }, then: [{ type: 'assign', teamId: 'x' }] }],
        else: [{ type: 'assign', teamId: 'y' }],
      },
      { type: 'update_contact', attribute: 'after', value: '1' },
    );
    const result = first(nested);
    expect(result.action).toMatchObject({ kind: 'update_contact', step: 'steps[1]' });
    expect(result.trace.map((t) => t.message)).toEqual([
      'condition call.duration > 10: true (25) → then',
      'condition call.direction == outbound: false (inbound) → no else steps, continuing',
      'update_contact: after = 1',
    ]);
  });
});

describe('robustness', () => {
  it('fails the run, rather than throwing, when the business hours are broken', () => {
    const automation: Automation = {
      name: 'hours',
      state: 'active',
      priority: 0,
      scope: { numbers: 'all' },
      trigger: { type: 'call.completed' },
      steps: [{ type: 'condition', if: { field: 'business_hours.open', op: '==', value: true }, then: [{ type: 'stop' }] }],
    };
    const ctx: RunContext = { ...context(), businessHours: { timeZone: 'Nowhere/Town', weekly: {} } };
    const now = at('2026-01-13T10:00');
    expect(advanceRun(automation, startRun(automation, now), ctx, now).action).toMatchObject({ kind: 'done', reason: 'step_failed' });
  });
});
