/**
 * The automation interpreter: a pure function that moves a run forward by one
 * side effect at a time.
 *
 * ```text
 * state = startRun(automation, now)                        // persist
 * loop:
 *   { state, action, trace } = advanceRun(automation, state, context, now)
 *   persist state + trace                                  // "step N started"
 *   switch action.kind:
 *     send_sms | update_contact | webhook | assign:
 *       perform it, idempotently keyed by (run id, action.step)
 *       state = completeStep(state, action.step); persist  // "step N completed"
 *     wait_until: wake the run at action.at; stop
 *     done:       mark the run finished; stop
 * ```
 *
 * The run state ({@link RunState}) is plain JSON: the position of the next
 * step, an optional wait deadline and at most one pending side effect. The
 * position moves past a step *before* its side effect is handed out, so once
 * the "started" state is saved that step can never be handed out again. If the
 * process dies between "started" and "completed", the next `advanceRun` notes
 * it in the trace and moves on (at-most-once); the caller can check its outbox
 * for `(run id, step)` first if it wants to know whether the effect happened.
 *
 * A run is tied to the exact steps it started with: the state holds a
 * fingerprint of `automation.steps`, and a run whose automation was edited
 * since ends with `automation_changed` rather than resuming at a position
 * that may now name a different step.
 */
import { isWithinBusinessHours, nextOpening } from '../schedule/business-hours.js';
import type { BusinessHours } from '../schedule/business-hours.js';
import type { CallDirection, CallOutcome } from '../calls/classify-call.js';
import { attributeVariables, renderTemplate } from '../templates/template.js';
import { hash32, pickVariant, variantStickyKey } from '../templates/variants.js';
import { thompsonPick, type VariantEvidence } from '../analytics/thompson.js';
import { NOW_VALUE } from './automation.js';
import type { Automation, DelayStep, Step, StepType, TriggerType } from './automation.js';
import { CONTACT_ATTRIBUTE_FIELD_PREFIX, evaluateCondition } from './condition.js';
import { formatDuration, parseDuration } from './duration.js';

/** Where a step sits: `[3, 'then', 0]` is `steps[3].then[0]`. Indices and branch names alternate. */
export type StepPosition = ReadonlyArray<number | 'then' | 'else'>;

/** A side effect handed out but not yet reported complete ("step N started"). */
export interface PendingStep {
  /** Path of the step, e.g. `steps[4].else[0]`; also the effect's idempotency key within the run. */
  step: string;
  kind: SideEffectKind;
  startedAt: number;
}

export type SideEffectKind = 'send_sms' | 'update_contact' | 'webhook' | 'assign' | 'reply_agent';

export type DoneReason =
  | 'completed'
  | 'stopped'
  | 'canceled'
  | 'automation_inactive'
  | 'automation_changed'
  | 'invalid_state'
  | 'step_failed'
  | 'not_sent';

/**
 * A run's persistent state. Serialisable as JSON; treat it as opaque and
 * store it whole (a JSON column), replacing it after every call.
 */
export interface RunState {
  version: 1;
  /** Fingerprint of the automation's steps when the run started. */
  fingerprint: string;
  /** When the run started (epoch ms). */
  startedAt: number;
  /** The next step to consider. Past the end of a list means "continue after the parent condition". */
  position: StepPosition;
  /** Set while a delay is in progress: the run continues at `position` once `until` has passed. */
  waiting?: { step: string; until: number };
  /** The side effect handed out by the last call, until {@link completeStep}. */
  pending?: PendingStep;
  /** When this run last handed out a text (for `run.replied`). */
  lastSmsAt?: number;
  /** Set once the run has ended; further calls return the same `done`. */
  done?: { reason: DoneReason; detail: string; at: number };
}

/** The facts of the call that triggered the run (for `call.completed`). */
export interface CallFacts {
  outcome: CallOutcome;
  direction: CallDirection;
  durationSeconds?: number;
  /** Our number the call was on (E.164). */
  number?: string;
}

/** What the run knows about the contact, read fresh before each call. */
export interface ContactFacts {
  id: string;
  firstName?: string;
  source?: string;
  attributes?: Readonly<Record<string, string | undefined>>;
  /** When we last texted them (epoch ms). */
  lastTextAt?: number;
  /** When they last texted us (epoch ms). */
  lastReplyAt?: number;
}

/** Everything outside the run state that steps may read. Rebuilt by the caller on every call. */
export interface RunContext {
  automationId: string;
  event: { type: TriggerType; call?: CallFacts };
  contact: ContactFacts;
  /** The organization's hours; without them, business hours are always open. */
  businessHours?: BusinessHours;
  /** Template variables such as `Business`, `Agent`, `Number`; `Name` defaults to the contact's first name. */
  variables?: Readonly<Record<string, string | undefined>>;
  /** For `variant_selection: thompson` steps: each variant's delivered texts and replies so far, by step path. */
  variantEvidence?: Readonly<Record<string, readonly VariantEvidence[]>>;
}

/** The next thing the caller must do. `step` is the path of the step that produced it. */
export type RunAction =
  | { kind: 'send_sms'; step: string; body: string; variantId?: string }
  | { kind: 'update_contact'; step: string; attribute: string; value: string }
  | { kind: 'webhook'; step: string; url: string; secret?: string; payload: WebhookPayload }
  | ({ kind: 'assign'; step: string } & ({ teamId: string } | { userId: string }))
  | { kind: 'reply_agent'; step: string }
  | { kind: 'wait_until'; step: string; at: number }
  | { kind: 'done'; reason: DoneReason; detail: string };

/** The JSON body a webhook step posts. */
export interface WebhookPayload {
  automationId: string;
  step: string;
  contactId: string;
  event: RunContext['event'];
  at: string;
}

/** One line of a run's history: what a step decided and why. */
export interface TraceEntry {
  at: number;
  /** Step path, or `run` for run-level notes. */
  step: string;
  type: StepType | 'run';
  message: string;
  /** The step's note, when it has one. */
  note?: string;
}

export interface AdvanceResult {
  state: RunState;
  action: RunAction;
  trace: TraceEntry[];
}

/** A fresh run positioned at the first step. */
export function startRun(automation: Automation, now: number): RunState {
  return { version: 1, fingerprint: fingerprintSteps(automation.steps), startedAt: now, position: [0] };
}

/**
 * Runs steps from the state's position until one produces an action:
 * conditions and elapsed delays are decided on the spot (and traced), a delay
 * still running returns `wait_until`, a side effect returns that effect with
 * the position already past its step, and the end of the steps, a `stop`, or
 * an automation that is no longer active returns `done`.
 */
export function advanceRun(automation: Automation, state: RunState, context: RunContext, now: number): AdvanceResult {
  const trace: TraceEntry[] = [];
  if (state.done) return { state, action: { kind: 'done', ...pick(state.done) }, trace };

  const note = (step: string, type: TraceEntry['type'], message: string, stepNote?: string): void => {
    trace.push(stepNote === undefined ? { at: now, step, type, message } : { at: now, step, type, message, note: stepNote });
  };
  const finish = (s: RunState, reason: DoneReason, detail: string): AdvanceResult => {
    note('run', 'run', `done (${reason}): ${detail}`);
    const { waiting: _w, pending: _p, ...rest } = s;
    return { state: { ...rest, done: { reason, detail, at: now } }, action: { kind: 'done', reason, detail }, trace };
  };

  if (state.version !== 1 || !isValidPosition(state.position)) {
    return finish(state, 'invalid_state', 'the run state is not one this version understands');
  }
  if (fingerprintSteps(automation.steps) !== state.fingerprint) {
    return finish(state, 'automation_changed', 'the automation was edited after this run started');
  }
  if (automation.state !== 'active') {
    return finish(state, 'automation_inactive', `the automation is ${automation.state}`);
  }

  let s: RunState = state;
  if (s.pending) {
    const { pending, ...rest } = s;
    note(pending.step, pending.kind, `started at ${new Date(pending.startedAt).toISOString()} but never reported complete; not repeating it`);
    // A text handed out may have gone out: `run.replied` counts from it.
    s = pending.kind === 'send_sms' ? { ...rest, lastSmsAt: pending.startedAt } : rest;
  }
  if (s.waiting) {
    if (now < s.waiting.until) {
      note(s.waiting.step, 'delay', `still waiting until ${new Date(s.waiting.until).toISOString()}`);
      return { state: s, action: { kind: 'wait_until', step: s.waiting.step, at: s.waiting.until }, trace };
    }
    const { waiting, ...rest } = s;
    note(waiting.step, 'delay', 'wait over');
    s = rest;
  }

  // No loops exist, so a run visits each step at most once; the bound only guards against bugs.
  for (let guard = 0; guard <= 10_000; guard++) {
    const position = settle(automation.steps, s.position);
    if (position === null) return finish(s, 'completed', 'all steps done');
    const step = stepAt(automation.steps, position);
    if (step === undefined) return finish(s, 'invalid_state', `no step at ${formatStepPath(position)}`);
    const path = formatStepPath(position);
    const after = nextSibling(position);

    switch (step.type) {
      case 'condition': {
        let evaluated: ReturnType<typeof evaluateCondition>;
        try {
          evaluated = evaluateCondition(step.if, (field) => lookupField(field, context, s, now), now);
        } catch (error) {
          return finish(s, 'step_failed', `${path}: ${errorMessage(error)}`);
        }
        const { result, explanation } = evaluated;
        const branch = result ? step.then : (step.else ?? []);
        const branchName = result ? 'then' : 'else';
        const outcome = branch.length > 0 ? `→ ${branchName}` : `→ no ${branchName} steps, continuing`;
        note(path, 'condition', `condition ${explanation} ${outcome}`, step.note);
        s = { ...s, position: branch.length > 0 ? [...position, branchName, 0] : after };
        continue;
      }
      case 'delay': {
        let until: ReturnType<typeof delayUntil>;
        try {
          until = delayUntil(step, context, now);
        } catch (error) {
          return finish(s, 'step_failed', `${path}: ${errorMessage(error)}`);
        }
        if (until.error !== undefined) return finish(s, 'step_failed', `${path}: ${until.error}`);
        s = { ...s, position: after };
        if (until.at <= now) {
          note(path, 'delay', `${until.description}: no wait needed`, step.note);
          continue;
        }
        note(path, 'delay', `${until.description}: waiting until ${new Date(until.at).toISOString()}`, step.note);
        s = { ...s, waiting: { step: path, until: until.at } };
        return { state: s, action: { kind: 'wait_until', step: path, at: until.at }, trace };
      }
      case 'send_sms': {
        let chosen: { id?: string; template: string };
        let body: string;
        let thompsonNote: string | undefined;
        try {
          if (!('variants' in step)) chosen = { template: step.template };
          else if (step.variant_selection === 'thompson') {
            const evidence = context.variantEvidence?.[path] ?? [];
            chosen = thompsonPick(step.variants, evidence, variantStickyKey(context.contact.id, context.automationId)).variant;
            thompsonNote = `Thompson sampling on ${evidence.map((e) => `${e.id} ${e.replies}/${e.delivered}`).join(', ') || 'no texts yet'} (replies/delivered)`;
          } else chosen = pickVariant(step.variants, variantStickyKey(context.contact.id, context.automationId));
          body = renderTemplate(chosen.template, templateVariablesFor(context)).trim();
        } catch (error) {
          return finish(s, 'step_failed', `${path}: ${errorMessage(error)}`);
        }
        if (body === '') return finish(s, 'step_failed', `${path}: the message rendered empty`);
        const which = chosen.id === undefined ? 'template' : thompsonNote ? `variant ${chosen.id} (${thompsonNote})` : `variant ${chosen.id} (sticky per contact)`;
        note(path, 'send_sms', `send_sms: ${which}, ${body.length} characters`, step.note);
        s = startEffect(s, path, 'send_sms', now, after);
        const action: RunAction = chosen.id === undefined ? { kind: 'send_sms', step: path, body } : { kind: 'send_sms', step: path, body, variantId: chosen.id };
        return { state: s, action, trace };
      }
      case 'update_contact': {
        const value = step.value === NOW_VALUE ? new Date(now).toISOString() : step.value;
        note(path, 'update_contact', `update_contact: ${step.attribute} = ${value}`, step.note);
        s = startEffect(s, path, 'update_contact', now, after);
        return { state: s, action: { kind: 'update_contact', step: path, attribute: step.attribute, value }, trace };
      }
      case 'webhook': {
        note(path, 'webhook', `webhook: POST ${safeOrigin(step.url)}${step.secret === undefined ? '' : ' (signed)'}`, step.note);
        s = startEffect(s, path, 'webhook', now, after);
        const payload: WebhookPayload = {
          automationId: context.automationId,
          step: path,
          contactId: context.contact.id,
          event: context.event,
          at: new Date(now).toISOString(),
        };
        const action: RunAction =
          step.secret === undefined
            ? { kind: 'webhook', step: path, url: step.url, payload }
            : { kind: 'webhook', step: path, url: step.url, secret: step.secret, payload };
        return { state: s, action, trace };
      }
      case 'assign': {
        const target = 'teamId' in step ? { teamId: step.teamId } : { userId: step.userId };
        note(path, 'assign', `assign: ${'teamId' in target ? `team ${target.teamId}` : `user ${target.userId}`}`, step.note);
        s = startEffect(s, path, 'assign', now, after);
        return { state: s, action: { kind: 'assign', step: path, ...target }, trace };
      }
      case 'reply_agent': {
        note(path, 'reply_agent', "reply_agent: the reply agent answers the contact's replies in this conversation", step.note);
        s = startEffect(s, path, 'reply_agent', now, after);
        return { state: s, action: { kind: 'reply_agent', step: path }, trace };
      }
      case 'stop': {
        note(path, 'stop', `stop: ${step.reason ?? 'stop step reached'}`, step.note);
        return finish({ ...s, position: after }, 'stopped', step.reason ?? `stop at ${path}`);
      }
    }
  }
  return finish(s, 'invalid_state', 'too many steps in one call');
}

/**
 * Records that the side effect of `step` (the `action.step` handed out) is
 * done ("step N completed"). Idempotent: completing a step that is not
 * pending returns the state unchanged.
 */
export function completeStep(state: RunState, step: string): RunState {
  if (state.pending?.step !== step) return state;
  const { pending, ...rest } = state;
  // When this run last texted the contact (for `run.replied`).
  return pending.kind === 'send_sms' ? { ...rest, lastSmsAt: pending.startedAt } : rest;
}

/**
 * Puts the pending `step` back: the run will hand it out again when it is next advanced (the
 * engine does this with a text that another automation, of higher priority and still running on
 * the same event, has precedence over: it waits for that run to text or to end). A step that is
 * not pending leaves the state unchanged.
 */
export function deferStep(state: RunState, step: string): RunState {
  if (state.pending?.step !== step || state.done) return state;
  const position = parseStepPath(step);
  if (position === null) return state;
  const { pending: _pending, ...rest } = state;
  return { ...rest, position };
}

/** `steps[3].then[0]` → `[3, 'then', 0]`; null when it is not a step path. */
export function parseStepPath(path: string): StepPosition | null {
  if (!path.startsWith('steps')) return null;
  const position: Array<number | 'then' | 'else'> = [];
  const part = /\[(\d+)\]|\.(then|else)/y;
  part.lastIndex = 'steps'.length;
  while (part.lastIndex < path.length) {
    const match = part.exec(path);
    if (!match) return null;
    position.push(match[1] !== undefined ? Number(match[1]) : (match[2] as 'then' | 'else'));
  }
  return isValidPosition(position) ? position : null;
}

/**
 * Reports that the side effect of `step` (the `action.step` handed out) did not happen: a text the
 * compliance gate blocked (no consent, opted out, cap reached, ...) or one the send policy skipped
 * (another automation texted for this event). The steps after a text assume it went out (a cap
 * attribute, a follow-up), so the run ends here (`not_sent`, or `step_failed` when the step itself
 * is broken: a text the send path refuses), and its trace says why. A step that is not pending
 * leaves the state unchanged.
 */
export function stepNotDone(
  state: RunState,
  step: string,
  detail: string,
  now: number,
  reason: Extract<DoneReason, 'not_sent' | 'step_failed'> = 'not_sent',
): { state: RunState; trace: TraceEntry[] } {
  if (state.pending?.step !== step || state.done) return { state, trace: [] };
  const { waiting: _w, pending, ...rest } = state;
  const why = `${pending.kind === 'send_sms' ? 'the text was not sent' : 'the step did not happen'} (${detail}), so the steps after it do not run`;
  return {
    state: { ...rest, done: { reason, detail: `${step}: ${why}`, at: now } },
    trace: [{ at: now, step: 'run', type: 'run', message: `done (${reason}): ${step}: ${why}` }],
  };
}

/** Ends a run from outside (the contact opted out, an agent took over, ...). */
export function cancelRun(state: RunState, detail: string, now: number): RunState {
  if (state.done) return state;
  const { waiting: _w, pending: _p, ...rest } = state;
  return { ...rest, done: { reason: 'canceled', detail, at: now } };
}

/** `[3, 'then', 0]` → `steps[3].then[0]`. */
export function formatStepPath(position: StepPosition): string {
  let out = 'steps';
  for (const part of position) out += typeof part === 'number' ? `[${part}]` : `.${part}`;
  return out;
}

/**
 * A stable fingerprint of a step list: a hash of its canonical JSON (object
 * keys sorted), so a database round trip that reorders keys does not change it.
 */
export function fingerprintSteps(steps: readonly Step[]): string {
  // Remembered per step list only when it is frozen, deeply, as the server freezes the automations it parses.
  const known = Object.isFrozen(steps) ? fingerprints.get(steps) : undefined;
  if (known !== undefined) return known;
  const json = canonicalJson(steps);
  const reversed = [...json].reverse().join('');
  const fingerprint = `${hex(hash32(json))}${hex(hash32(reversed))}`;
  if (Object.isFrozen(steps)) fingerprints.set(steps, fingerprint);
  return fingerprint;
}

const fingerprints = new WeakMap<readonly Step[], string>();

function startEffect(s: RunState, step: string, kind: SideEffectKind, now: number, after: StepPosition): RunState {
  return { ...s, position: after, pending: { step, kind, startedAt: now } };
}

function delayUntil(
  step: DelayStep,
  context: RunContext,
  now: number,
): { at: number; description: string; error?: undefined } | { error: string; at?: undefined } {
  if ('duration' in step) {
    return { at: now + parseDuration(step.duration), description: `delay ${formatDuration(parseDuration(step.duration))}` };
  }
  if (!context.businessHours) return { at: now, description: 'delay until business hours (no schedule: always open)' };
  const at = nextOpening(context.businessHours, now);
  if (at === null) return { error: 'business hours never open; not continuing outside them' };
  return { at, description: at <= now ? 'delay until business hours (open now)' : 'delay until business hours' };
}

function lookupField(field: string, context: RunContext, state: RunState, now: number): unknown {
  const { call } = context.event;
  const { contact } = context;
  if (field.startsWith(CONTACT_ATTRIBUTE_FIELD_PREFIX)) {
    return contact.attributes?.[field.slice(CONTACT_ATTRIBUTE_FIELD_PREFIX.length)];
  }
  switch (field) {
    case 'call.outcome':
      return call?.outcome;
    case 'call.direction':
      return call?.direction;
    case 'call.duration':
      return call?.durationSeconds;
    case 'call.number':
      return call?.number;
    case 'contact.source':
      return contact.source;
    case 'contact.last_text_at':
      return contact.lastTextAt;
    case 'contact.last_reply_at':
      return contact.lastReplyAt;
    case 'business_hours.open':
      return context.businessHours ? isWithinBusinessHours(context.businessHours, now) : true;
    case 'run.replied':
      return contact.lastReplyAt !== undefined && contact.lastReplyAt > (state.lastSmsAt ?? state.startedAt);
    default:
      return undefined;
  }
}

function templateVariablesFor(context: RunContext): Record<string, string | undefined> {
  return {
    Number: context.event.call?.number,
    Name: context.contact.firstName,
    ...context.variables,
    ...attributeVariables(context.contact.attributes ?? {}),
  };
}

/** Climbs out of finished branches: the first real step at or after `position`, or null at the end. */
function settle(steps: readonly Step[], position: StepPosition): StepPosition | null {
  let p = position;
  for (;;) {
    const list = listAt(steps, p.slice(0, -1));
    const index = p[p.length - 1];
    if (list !== undefined && typeof index === 'number' && index < list.length) return p;
    if (p.length <= 1) return null;
    p = nextSibling(p.slice(0, -2));
  }
}

function nextSibling(position: StepPosition): StepPosition {
  const last = position[position.length - 1];
  return [...position.slice(0, -1), (typeof last === 'number' ? last : 0) + 1];
}

/** The step list a position's last index points into (`[]` = the top-level steps). */
function listAt(steps: readonly Step[], parent: StepPosition): readonly Step[] | undefined {
  let list: readonly Step[] | undefined = steps;
  for (let i = 0; i < parent.length; i += 2) {
    const step: Step | undefined = list?.[parent[i] as number];
    const branch = parent[i + 1];
    if (step?.type !== 'condition') return undefined;
    list = branch === 'then' ? step.then : (step.else ?? []);
  }
  return list;
}

function stepAt(steps: readonly Step[], position: StepPosition): Step | undefined {
  return listAt(steps, position.slice(0, -1))?.[position[position.length - 1] as number];
}

function isValidPosition(position: unknown): position is StepPosition {
  if (!Array.isArray(position) || position.length % 2 === 0) return false;
  return position.every((part, i) =>
    i % 2 === 0 ? Number.isInteger(part) && (part as number) >= 0 : part === 'then' || part === 'else',
  );
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function safeOrigin(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function pick(done: NonNullable<RunState['done']>): { reason: DoneReason; detail: string } {
  return { reason: done.reason, detail: done.detail };
}
