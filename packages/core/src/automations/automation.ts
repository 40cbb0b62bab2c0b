/**
 * Automations are JSON documents: a trigger, a scope and a list of steps.
 *
 * ```json
 * {
 *   "name": "Missed-call text-back",
 *   "state": "active",
 *   "priority": 100,
 *   "scope": { "numbers": ["+15551234567"] },
 *   "trigger": { "type": "call.completed" },
 *   "steps": [
 *     { "type": "condition", "if": { "field": "call.outcome", "op": "!=", "value": "missed" },
 *       "then": [{ "type": "stop", "reason": "not a missed call" }] },
 *     { "type": "delay", "duration": "15s" },
 *     { "type": "send_sms", "template": "Hi {Name|there}, sorry we missed your call!" }
 *   ]
 * }
 * ```
 *
 * Steps run top to bottom. Branching is structured, not jumps: a condition
 * step runs its `then` list or its `else` list, then carries on with the step
 * after the condition. There are no loops, so every run ends, and a step's
 * path (`steps[2].then[0]`) names it for errors, traces and run state.
 *
 * `state`: only `active` automations run; `draft` ones never do, and pausing
 * an automation ends its in-flight runs at their next step (a text-back held
 * for hours would be stale). When several automations match one event,
 * higher `priority` runs first ({@link compareByPriority}).
 */
import { ANY_ATTRIBUTE, BUILT_IN_VARIABLE_NAMES, validateTemplate } from '../templates/template.js';
import { validateVariants } from '../templates/variants.js';
import { validateCondition } from './condition.js';
import type { Condition } from './condition.js';
import { isDuration } from './duration.js';

export type AutomationState = 'draft' | 'active' | 'paused';
export const AUTOMATION_STATES: readonly AutomationState[] = ['draft', 'active', 'paused'];

/**
 * What starts a run: a finished call, a new lead, an inbound text, or a text
 * of ours left unanswered for `after` (required for `message.not_replied`).
 */
export type TriggerType = 'call.completed' | 'lead.created' | 'message.received' | 'message.not_replied';
export const TRIGGER_TYPES: readonly TriggerType[] = ['call.completed', 'lead.created', 'message.received', 'message.not_replied'];

export interface Trigger {
  type: TriggerType;
  /** Duration such as `2h`; only for `message.not_replied`. */
  after?: string;
}

export interface AutomationScope {
  /** Our numbers (E.164) whose events start runs, or `all`. */
  numbers: readonly string[] | 'all';
  /**
   * Only events handled by these agents or extensions (as the phone system names them, e.g. "101"
   * or "ana@acme.com"). Events that say nothing about the agent or extension do not match a scope
   * that lists some. Absent: any.
   */
  extensions?: readonly string[];
}

/** Fields every step may carry. */
interface StepBase {
  /** A short human note shown next to the step in traces, e.g. "one text-back per 24 h". */
  note?: string;
}

/** Runs `then` when `if` holds, else `else` (optional), then continues after this step. */
export interface ConditionStep extends StepBase {
  type: 'condition';
  if: Condition;
  then: readonly Step[];
  else?: readonly Step[];
}

/** Waits for a duration, or until business hours are open (no wait if they already are). */
export type DelayStep = StepBase & { type: 'delay' } & ({ duration: string } | { until: 'business_hours' });

export interface SmsVariant {
  id: string;
  template: string;
  weight: number;
}

/**
 * How a variant is chosen: `weights` (default) splits contacts by the weights, sticky per contact;
 * `thompson` sends more of the variant that gets more replies (Thompson sampling on its delivered
 * texts and replies so far), while still trying the others until one clearly leads.
 */
export type VariantSelection = 'weights' | 'thompson';
export const VARIANT_SELECTIONS: readonly VariantSelection[] = ['weights', 'thompson'];

/** Sends one text: a template, or one of several A/B variants chosen per contact. */
export type SendSmsStep = StepBase & { type: 'send_sms' } & ({ template: string } | { variants: readonly SmsVariant[]; variant_selection?: VariantSelection });

/** Sets a contact attribute. `value: 'now'` stores the current time (ISO 8601, UTC). */
export interface UpdateContactStep extends StepBase {
  type: 'update_contact';
  attribute: string;
  value: string;
}

/** Posts the run's event to a URL, signed with `secret` when given. */
export interface WebhookStep extends StepBase {
  type: 'webhook';
  url: string;
  secret?: string;
}

/** Assigns the conversation to a team or a user. */
export type AssignStep = StepBase & { type: 'assign' } & ({ teamId: string } | { userId: string });

/**
 * Lets the reply agent answer the contact's replies in this conversation (docs/reply-agent.md), with
 * the number's facts and hand-off policy, even when the number's own switch is off.
 */
export interface ReplyAgentStep extends StepBase {
  type: 'reply_agent';
}

/** Ends the run. */
export interface StopStep extends StepBase {
  type: 'stop';
  reason?: string;
}

export type Step = ConditionStep | DelayStep | SendSmsStep | UpdateContactStep | WebhookStep | AssignStep | ReplyAgentStep | StopStep;
export type StepType = Step['type'];
export const STEP_TYPES: readonly StepType[] = ['condition', 'delay', 'send_sms', 'update_contact', 'webhook', 'assign', 'reply_agent', 'stop'];

export interface Automation {
  name: string;
  state: AutomationState;
  priority: number;
  scope: AutomationScope;
  trigger: Trigger;
  steps: readonly Step[];
}

/** A problem in an automation document, e.g. `{ path: 'steps[2].template', message: 'unknown variable {Nmae}' }`. */
export interface AutomationError {
  path: string;
  message: string;
  hint?: string;
}

export interface ValidateAutomationOptions {
  /**
   * Template variables available when sending. Default: the built-ins
   * (`Name`, `Business`, `Agent`, `Number`) and any `attr.*`.
   */
  knownVariables?: readonly string[];
}

/** The special `update_contact` value meaning "the current time". */
export const NOW_VALUE = 'now';

/** Maximum nesting of condition steps, to keep automations readable. */
export const MAX_STEP_DEPTH = 8;

const E164 = /^\+[1-9]\d{6,14}$/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/** `steps[2].template: unknown variable {Nmae}`. */
export function formatAutomationError(error: AutomationError): string {
  return error.path === '' ? error.message : `${error.path}: ${error.message}`;
}

/**
 * Validates an automation document (typically JSON from the API). Returns
 * every problem with a path to it; an empty list means the document is a
 * valid {@link Automation}.
 */
export function validateAutomation(doc: unknown, options: ValidateAutomationOptions = {}): AutomationError[] {
  const knownVariables = options.knownVariables ?? [...BUILT_IN_VARIABLE_NAMES, ANY_ATTRIBUTE];
  const errors: AutomationError[] = [];
  const add = (path: string, message: string, hint?: string): void => {
    errors.push(hint === undefined ? { path, message } : { path, message, hint });
  };

  if (!isObject(doc)) {
    add('', 'automation must be an object');
    return errors;
  }
  if (typeof doc.name !== 'string' || doc.name.trim() === '') add('name', 'name is required');
  if (!AUTOMATION_STATES.includes(doc.state as AutomationState)) {
    add('state', `state must be one of ${AUTOMATION_STATES.join(', ')}, got ${JSON.stringify(doc.state)}`);
  }
  if (typeof doc.priority !== 'number' || !Number.isFinite(doc.priority)) {
    add('priority', `priority must be a number, got ${JSON.stringify(doc.priority)}`);
  }
  validateScope(doc.scope, add);
  const trigger = validateTrigger(doc.trigger, add);

  if (!Array.isArray(doc.steps) || doc.steps.length === 0) {
    add('steps', 'an automation needs at least one step');
  } else {
    validateSteps(doc.steps, 'steps', 1);
  }
  return errors;

  function validateSteps(steps: readonly unknown[], path: string, depth: number): void {
    steps.forEach((step, i) => validateStep(step, `${path}[${i}]`, depth));
  }

  function validateStep(step: unknown, path: string, depth: number): void {
    if (!isObject(step)) {
      add(path, 'step must be an object with a type');
      return;
    }
    if (step.note !== undefined && typeof step.note !== 'string') add(`${path}.note`, 'note must be a string');
    switch (step.type) {
      case 'condition': {
        for (const e of validateCondition(step.if, trigger)) add(`${path}.if${e.path}`, e.message);
        if (depth >= MAX_STEP_DEPTH) {
          add(path, `conditions are nested more than ${MAX_STEP_DEPTH} deep; split the automation`);
          return;
        }
        if (!Array.isArray(step.then)) add(`${path}.then`, 'then must be a list of steps');
        else validateSteps(step.then, `${path}.then`, depth + 1);
        if (step.else !== undefined) {
          if (!Array.isArray(step.else)) add(`${path}.else`, 'else must be a list of steps');
          else validateSteps(step.else, `${path}.else`, depth + 1);
        }
        if (Array.isArray(step.then) && step.then.length === 0 && (!Array.isArray(step.else) || step.else.length === 0)) {
          add(path, 'a condition needs steps in then or else');
        }
        return;
      }
      case 'delay': {
        const hasDuration = step.duration !== undefined;
        const hasUntil = step.until !== undefined;
        if (hasDuration === hasUntil) {
          add(path, 'a delay needs exactly one of duration (e.g. "15s") or until: "business_hours"');
        } else if (hasDuration && !isDuration(step.duration)) {
          add(`${path}.duration`, `invalid duration ${JSON.stringify(step.duration)} (use 15s, 3m, 2h, 7d)`);
        } else if (hasUntil && step.until !== 'business_hours') {
          add(`${path}.until`, `until must be "business_hours", got ${JSON.stringify(step.until)}`);
        }
        return;
      }
      case 'send_sms': {
        const hasTemplate = step.template !== undefined;
        const hasVariants = step.variants !== undefined;
        if (hasTemplate === hasVariants) {
          add(path, 'send_sms needs exactly one of template or variants');
        } else if (hasTemplate) {
          checkTemplate(step.template, `${path}.template`);
        } else if (!Array.isArray(step.variants)) {
          add(`${path}.variants`, 'variants must be a list of { id, template, weight }');
        } else {
          const variants = step.variants as unknown[];
          const shaped = variants.map((v) => (isObject(v) ? { id: v.id as string, weight: v.weight as number } : { id: '', weight: Number.NaN }));
          for (const e of validateVariants(shaped)) add(`${path}.variants${e.path}`, e.message);
          variants.forEach((v, i) => checkTemplate(isObject(v) ? v.template : undefined, `${path}.variants[${i}].template`));
        }
        if (step.variant_selection !== undefined) {
          if (!hasVariants) add(`${path}.variant_selection`, 'variant_selection needs variants');
          else if (!VARIANT_SELECTIONS.includes(step.variant_selection as VariantSelection)) {
            add(`${path}.variant_selection`, `variant_selection must be one of ${VARIANT_SELECTIONS.join(', ')}, got ${JSON.stringify(step.variant_selection)}`);
          }
        }
        return;
      }
      case 'update_contact':
        if (typeof step.attribute !== 'string' || !ATTRIBUTE_NAME.test(step.attribute)) {
          add(`${path}.attribute`, `attribute must be a name of letters, digits, _ or -, got ${JSON.stringify(step.attribute)}`);
        }
        if (typeof step.value !== 'string') add(`${path}.value`, `value must be a string (or "${NOW_VALUE}"), got ${JSON.stringify(step.value)}`);
        return;
      case 'webhook':
        if (!isHttpUrl(step.url)) add(`${path}.url`, `url must be an http(s) URL, got ${JSON.stringify(step.url)}`);
        if (step.secret !== undefined && (typeof step.secret !== 'string' || step.secret === '')) {
          add(`${path}.secret`, 'secret must be a non-empty string');
        }
        return;
      case 'assign': {
        const targets = ['teamId', 'userId'].filter((k) => step[k] !== undefined);
        if (targets.length !== 1) add(path, 'assign needs exactly one of teamId or userId');
        for (const k of targets) {
          if (typeof step[k] !== 'string' || step[k] === '') add(`${path}.${k}`, `${k} must be a non-empty string`);
        }
        return;
      }
      case 'reply_agent':
        return;
      case 'stop':
        if (step.reason !== undefined && typeof step.reason !== 'string') add(`${path}.reason`, 'reason must be a string');
        return;
      default:
        add(`${path}.type`, `unknown step type ${JSON.stringify(step.type)} (use ${STEP_TYPES.join(', ')})`);
    }
  }

  function checkTemplate(template: unknown, path: string): void {
    if (typeof template !== 'string' || template.trim() === '') {
      add(path, 'template must be a non-empty string');
      return;
    }
    for (const e of validateTemplate(template, knownVariables)) add(path, e.message, e.hint);
  }
}

/** Validates and narrows: the typed automation, or its errors. */
export function parseAutomation(
  doc: unknown,
  options: ValidateAutomationOptions = {},
): { ok: true; automation: Automation } | { ok: false; errors: AutomationError[] } {
  const errors = validateAutomation(doc, options);
  return errors.length === 0 ? { ok: true, automation: doc as Automation } : { ok: false, errors };
}

/** The event facts that decide whether an automation starts a run. */
export interface TriggerEvent {
  type: TriggerType;
  /** Our number the event happened on (E.164). */
  number?: string;
  /** The agent or extension that handled the event, when the source says (PBX call events). */
  extension?: string;
}

/**
 * Whether an event starts a run of `automation`: it must be active, have the
 * event's trigger type, and cover the event's number.
 */
export function matchesTrigger(automation: Automation, event: TriggerEvent): { matches: boolean; reason: string } {
  if (automation.state !== 'active') return { matches: false, reason: `automation is ${automation.state}` };
  if (automation.trigger.type !== event.type) {
    return { matches: false, reason: `trigger is ${automation.trigger.type}, event is ${event.type}` };
  }
  const { numbers } = automation.scope;
  if (numbers !== 'all' && (event.number === undefined || !numbers.includes(event.number))) {
    return { matches: false, reason: `number ${event.number ?? '(none)'} is not in scope` };
  }
  const { extensions } = automation.scope;
  if (extensions && extensions.length > 0 && (event.extension === undefined || !extensions.includes(event.extension))) {
    return { matches: false, reason: `agent or extension ${event.extension ?? '(none given)'} is not in scope` };
  }
  return { matches: true, reason: `${event.type} on ${numbers === 'all' ? 'any number' : event.number}` };
}

/** Sort order for automations matching one event: higher priority first, then by name. */
export function compareByPriority(a: Automation, b: Automation): number {
  return b.priority - a.priority || a.name.localeCompare(b.name);
}

function validateScope(scope: unknown, add: (path: string, message: string) => void): void {
  if (!isObject(scope)) {
    add('scope', 'scope is required: { numbers: [...] } or { numbers: "all" }');
    return;
  }
  const { numbers, extensions } = scope;
  if (extensions !== undefined) {
    if (!Array.isArray(extensions)) add('scope.extensions', 'scope.extensions must be a list of agent or extension names');
    else extensions.forEach((e, i) => {
      if (typeof e !== 'string' || e.trim() === '') add(`scope.extensions[${i}]`, 'an extension must be a non-empty string');
    });
  }
  if (numbers === 'all') return;
  if (!Array.isArray(numbers) || numbers.length === 0) {
    add('scope.numbers', 'scope.numbers must list at least one number, or be "all"');
    return;
  }
  numbers.forEach((n, i) => {
    if (typeof n !== 'string' || !E164.test(n)) add(`scope.numbers[${i}]`, `${JSON.stringify(n)} is not an E.164 number such as +15551234567`);
  });
}

function validateTrigger(trigger: unknown, add: (path: string, message: string) => void): TriggerType | undefined {
  if (!isObject(trigger)) {
    add('trigger', `trigger is required: { type: ${TRIGGER_TYPES.join(' | ')} }`);
    return undefined;
  }
  const type = trigger.type as TriggerType;
  if (!TRIGGER_TYPES.includes(type)) {
    add('trigger.type', `unknown trigger ${JSON.stringify(trigger.type)} (use ${TRIGGER_TYPES.join(', ')})`);
    return undefined;
  }
  if (type === 'message.not_replied') {
    if (!isDuration(trigger.after)) add('trigger.after', `message.not_replied needs after, a duration such as "2h", got ${JSON.stringify(trigger.after)}`);
  } else if (trigger.after !== undefined) {
    add('trigger.after', `after only applies to message.not_replied triggers`);
  }
  return type;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
