/**
 * Conditions: the `if` of a condition step.
 *
 * A condition is a comparison of one field against a value, or a combination:
 *
 * ```json
 * { "field": "call.outcome", "op": "==", "value": "missed" }
 * { "field": "contact.attr.last_missed_call_sms_at", "op": "within", "value": "24h" }
 * { "all": [ ...conditions ] }   { "any": [ ...conditions ] }   { "not": condition }
 * ```
 *
 * Fields are listed in {@link CONDITION_FIELDS}, plus `contact.attr.<name>` for
 * any contact attribute. Each field has a kind that decides which operators
 * and values make sense (see {@link OPERATORS_BY_KIND}).
 *
 * Missing values never throw: a missing field is not `==` anything, is `!=`
 * and `not_in` everything, is neither `>` nor `<`, is not `within` any window
 * and is `older_than` every window (a text that was never sent is "long ago").
 * Text comparisons on free-text fields (`call.number`, `contact.source`,
 * attributes) ignore case and surrounding spaces; enum fields are exact.
 *
 * Evaluation returns the result and a one-line explanation with the values it
 * saw, e.g. `call.outcome == missed: true (missed)`, which run traces show.
 */
import { CALL_OUTCOMES } from '../calls/classify-call.js';
import { formatDuration, isDuration, parseDuration } from './duration.js';
import type { TriggerType } from './automation.js';

export type ComparisonOperator =
  | '=='
  | '!='
  | 'in'
  | 'not_in'
  | '>'
  | '>='
  | '<'
  | '<='
  | 'exists'
  | 'missing'
  | 'within'
  | 'older_than';

export type ConditionValue = string | number | boolean | readonly string[];

/** One field compared with one value. `value` is omitted for `exists`/`missing`. */
export interface Comparison {
  field: string;
  op: ComparisonOperator;
  value?: ConditionValue;
}

export type Condition =
  | Comparison
  | { all: readonly Condition[] }
  | { any: readonly Condition[] }
  | { not: Condition };

/** How a field's values behave. `attribute` is free text that may also hold a timestamp. */
export type FieldKind = 'enum' | 'text' | 'number' | 'boolean' | 'timestamp' | 'attribute';

export interface FieldSpec {
  kind: FieldKind;
  description: string;
  /** Allowed values of an `enum` field. */
  values?: readonly string[];
  /** Triggers whose events carry this field; absent = every trigger. */
  triggers?: readonly TriggerType[];
}

/** Prefix of contact-attribute fields: `contact.attr.company`. */
export const CONTACT_ATTRIBUTE_FIELD_PREFIX = 'contact.attr.';

const CALL_TRIGGERS: readonly TriggerType[] = ['call.completed'];

/** The fields conditions can test (besides `contact.attr.<name>`). */
export const CONDITION_FIELDS: Readonly<Record<string, FieldSpec>> = {
  'call.outcome': {
    kind: 'enum',
    values: CALL_OUTCOMES,
    triggers: CALL_TRIGGERS,
    description: 'answered, missed, voicemail, too_short or answered_elsewhere (see calls/README.md)',
  },
  'call.direction': { kind: 'enum', values: ['inbound', 'outbound'], triggers: CALL_TRIGGERS, description: 'inbound (they called us) or outbound' },
  'call.duration': { kind: 'number', triggers: CALL_TRIGGERS, description: 'seconds the call lasted (for unanswered calls: how long it rang)' },
  'call.number': { kind: 'text', triggers: CALL_TRIGGERS, description: 'our number the call was on, E.164' },
  'contact.source': { kind: 'text', description: "where the contact came from, e.g. 'website form'" },
  'contact.last_text_at': { kind: 'timestamp', description: 'when we last sent the contact a text' },
  'contact.last_reply_at': { kind: 'timestamp', description: 'when the contact last sent us a text' },
  'business_hours.open': { kind: 'boolean', description: "whether the organization's business hours are open now (always true without a schedule)" },
  'run.replied': { kind: 'boolean', description: 'whether the contact has texted us since this run last sent a text (or since it started)' },
};

/** Which operators each kind of field accepts. */
export const OPERATORS_BY_KIND: Readonly<Record<FieldKind, readonly ComparisonOperator[]>> = {
  enum: ['==', '!=', 'in', 'not_in', 'exists', 'missing'],
  text: ['==', '!=', 'in', 'not_in', 'exists', 'missing'],
  number: ['==', '!=', '>', '>=', '<', '<=', 'exists', 'missing'],
  boolean: ['==', '!='],
  timestamp: ['within', 'older_than', 'exists', 'missing'],
  attribute: ['==', '!=', 'in', 'not_in', 'exists', 'missing', 'within', 'older_than'],
};

const ATTRIBUTE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/** A problem in a condition; `path` is relative to the condition, e.g. `.all[1].value`. */
export interface ConditionError {
  path: string;
  message: string;
}

/** The spec of a field, including `contact.attr.<name>`; undefined when unknown. */
export function fieldSpec(field: string): FieldSpec | undefined {
  if (field.startsWith(CONTACT_ATTRIBUTE_FIELD_PREFIX)) {
    const name = field.slice(CONTACT_ATTRIBUTE_FIELD_PREFIX.length);
    return ATTRIBUTE_NAME.test(name) ? { kind: 'attribute', description: `contact attribute ${name}` } : undefined;
  }
  return Object.prototype.hasOwnProperty.call(CONDITION_FIELDS, field) ? CONDITION_FIELDS[field] : undefined;
}

/**
 * Checks a condition's shape, fields, operators and values. `trigger`, when
 * given, rejects fields its events never carry (`call.*` outside `call.completed`).
 */
export function validateCondition(condition: unknown, trigger?: TriggerType): ConditionError[] {
  const errors: ConditionError[] = [];
  check(condition, '', 0);
  return errors;

  function check(node: unknown, path: string, depth: number): void {
    if (depth > 10) {
      errors.push({ path, message: 'condition is nested too deeply (more than 10 levels)' });
      return;
    }
    if (!isObject(node)) {
      errors.push({ path, message: 'condition must be an object: { field, op, value }, { all: [...] }, { any: [...] } or { not: ... }' });
      return;
    }
    if ('all' in node || 'any' in node) {
      const key = 'all' in node ? 'all' : 'any';
      const list = node[key];
      if (!Array.isArray(list) || list.length === 0) {
        errors.push({ path: `${path}.${key}`, message: `${key} must be a non-empty list of conditions` });
        return;
      }
      list.forEach((child, i) => check(child, `${path}.${key}[${i}]`, depth + 1));
      return;
    }
    if ('not' in node) {
      check(node.not, `${path}.not`, depth + 1);
      return;
    }
    checkComparison(node, path);
  }

  function checkComparison(node: Record<string, unknown>, path: string): void {
    const { field, op, value } = node;
    if (typeof field !== 'string' || field === '') {
      errors.push({ path: `${path}.field`, message: 'field is required, e.g. "call.outcome"' });
      return;
    }
    const spec = fieldSpec(field);
    if (!spec) {
      errors.push({ path: `${path}.field`, message: `unknown field ${field} (known: ${Object.keys(CONDITION_FIELDS).join(', ')}, contact.attr.<name>)` });
      return;
    }
    if (trigger && spec.triggers && !spec.triggers.includes(trigger)) {
      errors.push({ path: `${path}.field`, message: `${field} is only available for ${spec.triggers.join(', ')} triggers, not ${trigger}` });
    }
    const operators = OPERATORS_BY_KIND[spec.kind];
    if (typeof op !== 'string' || !(operators as readonly string[]).includes(op)) {
      errors.push({ path: `${path}.op`, message: `operator ${JSON.stringify(op)} does not apply to ${field} (use ${operators.join(', ')})` });
      return;
    }
    const problem = valueProblem(spec, field, op as ComparisonOperator, value);
    if (problem) errors.push({ path: `${path}.value`, message: problem });
  }
}

function valueProblem(spec: FieldSpec, field: string, op: ComparisonOperator, value: unknown): string | undefined {
  const enumCheck = (v: unknown): string | undefined =>
    spec.kind === 'enum' && spec.values && !spec.values.includes(String(v))
      ? `${JSON.stringify(v)} is not a valid ${field} (use ${spec.values.join(', ')})`
      : undefined;
  switch (op) {
    case 'exists':
    case 'missing':
      return value === undefined ? undefined : `${op} takes no value`;
    case 'within':
    case 'older_than':
      return isDuration(value) ? undefined : `${op} needs a duration such as "24h", got ${JSON.stringify(value)}`;
    case 'in':
    case 'not_in':
      if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string')) {
        return `${op} needs a non-empty list of strings, got ${JSON.stringify(value)}`;
      }
      return value.map(enumCheck).find((m) => m !== undefined);
    case '>':
    case '>=':
    case '<':
    case '<=':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `${op} needs a number, got ${JSON.stringify(value)}`;
    case '==':
    case '!=':
      if (spec.kind === 'boolean') return typeof value === 'boolean' ? undefined : `${field} is true or false, got ${JSON.stringify(value)}`;
      if (spec.kind === 'number') {
        return typeof value === 'number' && Number.isFinite(value) ? undefined : `${op} needs a number, got ${JSON.stringify(value)}`;
      }
      if (typeof value !== 'string') return `${op} needs a string, got ${JSON.stringify(value)}`;
      return enumCheck(value);
  }
}

/** Result of evaluating a condition, with the values it saw. */
export interface ConditionResult {
  result: boolean;
  /** e.g. `call.outcome == missed: true (missed)`. */
  explanation: string;
}

/** Supplies the current value of a field (undefined when missing). */
export type FieldLookup = (field: string) => unknown;

/**
 * Evaluates a condition against field values at `now` (epoch ms, used by
 * `within`/`older_than`). Every branch of `all`/`any` is evaluated so the
 * explanation shows every value, not just the first deciding one.
 */
export function evaluateCondition(condition: Condition, lookup: FieldLookup, now: number): ConditionResult {
  if ('all' in condition || 'any' in condition) {
    const isAll = 'all' in condition;
    const parts = (isAll ? condition.all : condition.any).map((c) => evaluateCondition(c, lookup, now));
    const result = isAll ? parts.every((p) => p.result) : parts.some((p) => p.result);
    return { result, explanation: `${isAll ? 'all' : 'any'}(${parts.map((p) => p.explanation).join('; ')}): ${result}` };
  }
  if ('not' in condition) {
    const inner = evaluateCondition(condition.not, lookup, now);
    return { result: !inner.result, explanation: `not(${inner.explanation}): ${!inner.result}` };
  }
  return evaluateComparison(condition, lookup(condition.field), now);
}

function evaluateComparison(c: Comparison, actual: unknown, now: number): ConditionResult {
  const spec = fieldSpec(c.field);
  const kind = spec?.kind ?? 'attribute';
  const missing = actual === undefined || actual === null || actual === '';
  const label = `${c.field} ${c.op}${c.value === undefined ? '' : ` ${formatValue(c.value)}`}`;
  const done = (result: boolean, seen: string): ConditionResult => ({ result, explanation: `${label}: ${result} (${seen})` });
  const seen = missing ? 'not set' : formatValue(actual);

  switch (c.op) {
    case 'exists':
      return done(!missing, seen);
    case 'missing':
      return done(missing, seen);
    case 'within':
    case 'older_than': {
      const window = isDuration(c.value) ? parseDuration(c.value) : Number.NaN;
      const at = missing ? undefined : toTimestamp(actual);
      if (at === undefined) {
        return done(c.op === 'older_than', missing ? 'never' : `unreadable time ${JSON.stringify(actual)}`);
      }
      const age = now - at;
      const ago = age >= 0 ? `${formatDuration(age)} ago` : `in ${formatDuration(-age)}`;
      return done(c.op === 'within' ? age <= window : age > window, ago);
    }
    case 'in':
    case 'not_in': {
      const list = Array.isArray(c.value) ? (c.value as readonly unknown[]) : [c.value];
      const found = !missing && list.some((v) => same(kind, actual, v));
      return done(c.op === 'in' ? found : !found, seen);
    }
    case '==':
      return done(!missing && same(kind, actual, c.value), seen);
    case '!=':
      return done(missing || !same(kind, actual, c.value), seen);
    case '>':
    case '>=':
    case '<':
    case '<=': {
      const a = typeof actual === 'number' ? actual : Number.NaN;
      const b = typeof c.value === 'number' ? c.value : Number.NaN;
      const result =
        !missing && !Number.isNaN(a) && !Number.isNaN(b) && (c.op === '>' ? a > b : c.op === '>=' ? a >= b : c.op === '<' ? a < b : a <= b);
      return done(result, seen);
    }
  }
}

function same(kind: FieldKind, actual: unknown, expected: unknown): boolean {
  if (kind === 'text' || kind === 'attribute') {
    return String(actual).trim().toLowerCase() === String(expected).trim().toLowerCase();
  }
  return actual === expected;
}

/**
 * Reads a stored time: epoch ms (number or digits) or an ISO 8601 string with
 * a zone (`2026-01-15T14:00:00.000Z`). Returns undefined when unreadable.
 */
export function toTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  return String(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
