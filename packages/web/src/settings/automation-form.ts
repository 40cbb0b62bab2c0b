/**
 * The automation editor's form state and its conversion to and from the API's automation document
 * (core automations/automation.ts). Pure, so it is unit-tested without a browser.
 *
 * A step the form knows (condition with one comparison, delay, send_sms with one template,
 * update_contact, webhook, assign, stop) is edited field by field; any other step (A/B variants,
 * an unknown type, a shape the form does not handle) is kept as JSON text in place and sent back as
 * it was unless the user edits that text. Every key of a step is kept, including ones the form does
 * not show, so a round trip never loses anything.
 */
import { CONDITION_FIELDS, OPERATORS_BY_KIND, fieldSpec, type FieldKind } from '@textback/core';

export type Json = Record<string, unknown>;

/** One step being edited. `raw` is the step as the API has it (minus then/else, which are drafts). */
export interface StepDraft {
  key: string;
  raw: Json;
  /** Shown as JSON: the text being edited (kept as typed; parsed on save). */
  json?: string;
  /** Condition with one comparison: its value as typed (a list is comma-separated). */
  valueText?: string;
  /** Condition whose `if` is not one comparison (all/any/not): the `if` as JSON text. */
  ifJson?: string;
  then?: StepDraft[];
  else?: StepDraft[];
}

export type KnownStepType = 'condition' | 'delay' | 'send_sms' | 'update_contact' | 'webhook' | 'assign' | 'reply_agent' | 'stop';
export const FORM_STEP_TYPES: readonly KnownStepType[] = ['condition', 'delay', 'send_sms', 'update_contact', 'webhook', 'assign', 'reply_agent', 'stop'];

export const STEP_LABELS: Record<KnownStepType, string> = {
  condition: 'Condition',
  delay: 'Wait',
  send_sms: 'Send a text',
  update_contact: 'Update the contact',
  webhook: 'Call a webhook',
  assign: 'Assign the conversation',
  reply_agent: 'Let the reply agent answer',
  stop: 'Stop',
};

let counter = 0;
const nextKey = () => `s${++counter}`;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

/** Whether the form has fields for this step (else it is shown as JSON). Nested steps are judged on their own. */
export function formKnows(step: unknown): boolean {
  if (!isObject(step)) return false;
  if (step.note !== undefined && !isString(step.note)) return false;
  switch (step.type) {
    case 'condition':
      return isObject(step.if) && Array.isArray(step.then) && (step.else === undefined || Array.isArray(step.else));
    case 'delay':
      return (isString(step.duration) && step.until === undefined) || (step.until === 'business_hours' && step.duration === undefined);
    case 'send_sms':
      return isString(step.template) && step.variants === undefined;
    case 'update_contact':
      return isString(step.attribute) && isString(step.value);
    case 'webhook':
      return isString(step.url) && (step.secret === undefined || isString(step.secret));
    case 'assign':
      return (isString(step.teamId) && step.userId === undefined) || (isString(step.userId) && step.teamId === undefined);
    case 'reply_agent':
      return Object.keys(step).every((k) => k === 'type' || k === 'note');
    case 'stop':
      return step.reason === undefined || isString(step.reason);
    default:
      return false;
  }
}

/** A condition's `if` is one comparison the form has fields for. */
export function isSimpleComparison(cond: unknown): cond is { field: string; op: string; value?: unknown } {
  return isObject(cond) && isString(cond.field) && isString(cond.op) && !('all' in cond) && !('any' in cond) && !('not' in cond);
}

/** The kind of a condition field (attribute for `contact.attr.*`, text for unknown). */
export function kindOf(field: string): FieldKind {
  return fieldSpec(field)?.kind ?? 'text';
}

export const operatorsFor = (field: string) => OPERATORS_BY_KIND[kindOf(field)];
export const takesValue = (op: string) => op !== 'exists' && op !== 'missing';
export const takesList = (op: string) => op === 'in' || op === 'not_in';

/** A condition value as the form shows it. */
export function valueToText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(String).join(', ');
  return String(value);
}

/** The value the API expects for a field and operator, from the text typed (left as text when it does not parse, so the server says why). */
export function textToValue(field: string, op: string, text: string): unknown {
  if (!takesValue(op)) return undefined;
  if (takesList(op)) return text.split(',').map((s) => s.trim()).filter(Boolean);
  const kind = kindOf(field);
  const t = text.trim();
  if (kind === 'boolean') return t === 'true' ? true : t === 'false' ? false : t;
  if (kind === 'number' && t !== '' && Number.isFinite(Number(t))) return Number(t);
  return kind === 'number' ? t : text;
}

/** API steps → drafts. */
export function toDrafts(steps: unknown): StepDraft[] {
  return (Array.isArray(steps) ? steps : []).map(toDraft);
}

export function toDraft(step: unknown): StepDraft {
  if (!formKnows(step)) return { key: nextKey(), raw: isObject(step) ? step : {}, json: JSON.stringify(step, null, 2) };
  const s = step as Json;
  if (s.type !== 'condition') return { key: nextKey(), raw: { ...s } };
  const { then, else: otherwise, ...rest } = s;
  const draft: StepDraft = { key: nextKey(), raw: rest, then: toDrafts(then) };
  if (otherwise !== undefined) draft.else = toDrafts(otherwise);
  if (isSimpleComparison(s.if)) draft.valueText = valueToText(s.if.value);
  else draft.ifJson = JSON.stringify(s.if, null, 2);
  return draft;
}

/** A problem found while turning drafts back into JSON (a JSON box that does not parse). */
export interface DraftProblem {
  path: string;
  message: string;
}

/** Drafts → API steps. JSON boxes that do not parse are reported with their step's path and left out. */
export function fromDrafts(drafts: readonly StepDraft[], path = 'steps', problems: DraftProblem[] = []): Json[] {
  const out: Json[] = [];
  drafts.forEach((d, i) => {
    const step = fromDraft(d, `${path}[${i}]`, problems);
    if (step) out.push(step);
  });
  return out;
}

function fromDraft(d: StepDraft, path: string, problems: DraftProblem[]): Json | null {
  if (d.json !== undefined) {
    try {
      const parsed = JSON.parse(d.json) as unknown;
      if (!isObject(parsed)) throw new Error('a step is a JSON object: { "type": … }');
      return parsed;
    } catch (e) {
      problems.push({ path, message: `not valid JSON: ${(e as Error).message}` });
      return null;
    }
  }
  const raw = { ...d.raw };
  if (raw.type === 'condition') {
    if (d.ifJson !== undefined) {
      try {
        raw.if = JSON.parse(d.ifJson) as unknown;
      } catch (e) {
        problems.push({ path: `${path}.if`, message: `not valid JSON: ${(e as Error).message}` });
      }
    } else if (isSimpleComparison(raw.if)) {
      const { field, op } = raw.if;
      const value = textToValue(field, op, d.valueText ?? '');
      raw.if = value === undefined ? { field, op } : { field, op, value };
    }
    raw.then = fromDrafts(d.then ?? [], `${path}.then`, problems);
    if (d.else !== undefined) raw.else = fromDrafts(d.else, `${path}.else`, problems);
  }
  // Optional texts left empty are absent, not "" (the server refuses an empty secret).
  for (const k of ['note', 'secret', 'reason'] as const) if (raw[k] === '') delete raw[k];
  return raw;
}

/** A new step of a type, with sensible first values. */
export function newStep(type: KnownStepType): StepDraft {
  switch (type) {
    case 'condition':
      return { key: nextKey(), raw: { type, if: { field: 'business_hours.open', op: '==', value: true } }, valueText: 'true', then: [] };
    case 'delay':
      return { key: nextKey(), raw: { type, duration: '15m' } };
    case 'send_sms':
      return { key: nextKey(), raw: { type, template: '' } };
    case 'update_contact':
      return { key: nextKey(), raw: { type, attribute: '', value: '' } };
    case 'webhook':
      return { key: nextKey(), raw: { type, url: '' } };
    case 'assign':
      return { key: nextKey(), raw: { type, teamId: '' } };
    case 'reply_agent':
    case 'stop':
      return { key: nextKey(), raw: { type } };
  }
}

/** Sets a condition's field, keeping the operator when the new field accepts it. */
export function withConditionField(d: StepDraft, field: string): StepDraft {
  const current = isSimpleComparison(d.raw.if) ? d.raw.if : { field, op: '==' };
  const ops = operatorsFor(field);
  const op = (ops as readonly string[]).includes(current.op) ? current.op : (ops[0] ?? '==');
  const kind = kindOf(field);
  const spec = CONDITION_FIELDS[field];
  let valueText = d.valueText ?? '';
  if (kind === 'boolean') valueText = valueText === 'false' ? 'false' : 'true';
  else if (kind === 'enum' && spec?.values && !spec.values.includes(valueText)) valueText = spec.values[0] ?? '';
  return { ...d, raw: { ...d.raw, if: { field, op } }, valueText };
}

// ------------------------------------------------------------------------------------------------
// Moving steps around (immutable, on a list at any depth, addressed by the draft's key)

/** Applies `fn` to the list that holds the step with `key` (top level or nested); returns the new top list. */
export function updateList(list: readonly StepDraft[], key: string, fn: (list: StepDraft[], index: number) => StepDraft[]): StepDraft[] {
  const index = list.findIndex((d) => d.key === key);
  if (index >= 0) return fn([...list], index);
  return list.map((d) => {
    if (!d.then && !d.else) return d;
    const then = d.then ? updateList(d.then, key, fn) : undefined;
    const otherwise = d.else ? updateList(d.else, key, fn) : undefined;
    if (then === d.then && otherwise === d.else) return d;
    return { ...d, ...(then ? { then } : {}), ...(otherwise ? { else: otherwise } : {}) };
  }) as StepDraft[];
}

export function replaceStep(list: readonly StepDraft[], key: string, next: StepDraft): StepDraft[] {
  return updateList(list, key, (l, i) => (l.splice(i, 1, next), l));
}
export function removeStep(list: readonly StepDraft[], key: string): StepDraft[] {
  return updateList(list, key, (l, i) => (l.splice(i, 1), l));
}
/** Moves a step up (-1) or down (1) within its own list; at either end it stays. */
export function moveStep(list: readonly StepDraft[], key: string, by: -1 | 1): StepDraft[] {
  return updateList(list, key, (l, i) => {
    const j = i + by;
    if (j < 0 || j >= l.length) return l;
    const [s] = l.splice(i, 1);
    if (s) l.splice(j, 0, s);
    return l;
  });
}

// ------------------------------------------------------------------------------------------------
// Server errors, by path

export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * A field path as a list of segments, whatever notation the server used: `steps[2].then[0].duration`
 * (domain validation), `body.steps.2.duration` (schema validation), `/steps/2/duration` (JSON pointer).
 */
export function pathSegments(field: string): string[] {
  const segments = field
    .replace(/\[(\d+)\]/g, '.$1')
    .split(/[./]/)
    .filter(Boolean);
  if (segments[0] === 'body') segments.shift();
  return segments;
}

/** The problems whose path is `at` or below it, with the rest of their path (e.g. `['duration']`). */
export function problemsAt(problems: readonly FieldProblem[], at: readonly string[]): { rest: string[]; message: string }[] {
  return problems.flatMap((p) => {
    const segments = pathSegments(p.field);
    if (segments.length < at.length || at.some((s, i) => segments[i] !== s)) return [];
    return [{ rest: segments.slice(at.length), message: p.message }];
  });
}

/**
 * A step's own problems (not its nested steps'), split into those naming one of `fields` and the
 * rest (shown on the step as a whole).
 */
export function stepProblems(problems: readonly FieldProblem[], stepPath: readonly string[], fields: readonly string[]) {
  const mine = problemsAt(problems, stepPath).filter((p) => !((p.rest[0] === 'then' || p.rest[0] === 'else') && /^\d+$/.test(p.rest[1] ?? '')));
  const byField: Record<string, string[]> = {};
  const general: string[] = [];
  for (const p of mine) {
    const f = p.rest[0];
    if (f !== undefined && fields.includes(f)) (byField[f] ??= []).push(p.message);
    else general.push(p.rest.length ? `${p.rest.join('.')}: ${p.message}` : p.message);
  }
  return { byField, general };
}

// ------------------------------------------------------------------------------------------------
// New automations: a trigger in words, and the steps it starts with

export interface TriggerChoice {
  id: string;
  label: string;
  trigger: { type: string; after?: string };
  steps: () => Json[];
}

const STARTER_TEXT = 'Hi {Name|there}, thanks for contacting {Business}! How can we help?';

export const TRIGGER_CHOICES: readonly TriggerChoice[] = [
  {
    id: 'missed-call',
    label: 'A call is missed',
    trigger: { type: 'call.completed' },
    steps: () => [
      { type: 'condition', note: 'only missed calls', if: { field: 'call.outcome', op: '!=', value: 'missed' }, then: [{ type: 'stop', reason: 'not a missed call' }] },
    ],
  },
  { id: 'call', label: 'A call ends (any outcome)', trigger: { type: 'call.completed' }, steps: () => [{ type: 'send_sms', template: STARTER_TEXT }] },
  { id: 'lead', label: 'A new lead comes in', trigger: { type: 'lead.created' }, steps: () => [{ type: 'send_sms', template: STARTER_TEXT }] },
  { id: 'text', label: 'A text comes in', trigger: { type: 'message.received' }, steps: () => [{ type: 'send_sms', template: STARTER_TEXT }] },
  {
    id: 'no-reply',
    label: 'Our text gets no reply',
    trigger: { type: 'message.not_replied', after: '1d' },
    steps: () => [{ type: 'send_sms', template: 'Hi {Name|there}, just checking in from {Business}. Reply here anytime.' }],
  },
];

export const TRIGGER_WORDS: Record<string, string> = {
  'call.completed': 'A call ends',
  'lead.created': 'A new lead comes in',
  'message.received': 'A text comes in',
  'message.not_replied': 'Our text gets no reply',
};

/** The document POST /v1/automations creates for a trigger choice: a draft, so it never sends until turned on. */
export function newAutomationDocument(choice: TriggerChoice, name: string, after?: string): Json {
  const trigger = choice.trigger.type === 'message.not_replied' ? { type: choice.trigger.type, after: after || choice.trigger.after } : { type: choice.trigger.type };
  return { name: name.trim() || choice.label, state: 'draft', priority: 50, scope: { numbers: 'all' }, trigger, steps: choice.steps() };
}

/** Words for a step in one line (the list, the dry-run trace). */
export function describeStep(step: Json): string {
  switch (step.type) {
    case 'delay':
      return step.until === 'business_hours' ? 'Wait until business hours' : `Wait ${String(step.duration)}`;
    case 'send_sms':
      return isString(step.template) ? `Text: ${step.template}` : 'Text (A/B variants)';
    case 'assign':
      return isString(step.teamId) ? 'Assign to a team' : 'Assign to a person';
    case 'reply_agent':
      return 'Let the reply agent answer their replies';
    case 'stop':
      return isString(step.reason) ? `Stop: ${step.reason}` : 'Stop';
    default:
      return String(step.type ?? 'step').replace(/_/g, ' ');
  }
}
