import { describe, expect, it } from 'vitest';
import { evaluateCondition, fieldSpec, toTimestamp, validateCondition } from './condition.js';
import type { Condition } from './condition.js';

const NOW = Date.UTC(2026, 0, 15, 14, 0, 0);
const HOUR = 3_600_000;

const facts: Record<string, unknown> = {
  'call.outcome': 'missed',
  'call.direction': 'inbound',
  'call.duration': 25,
  'call.number': '+15551230000',
  'contact.source': 'Website Form',
  'contact.attr.last_missed_call_sms_at': new Date(NOW - 3 * HOUR).toISOString(),
  'contact.attr.plan': 'gold',
  'contact.attr.garbage': 'yesterday-ish',
  'contact.last_text_at': NOW - 30 * HOUR,
  'business_hours.open': false,
  'run.replied': false,
};
const lookup = (field: string): unknown => facts[field];

describe('evaluateCondition', () => {
  it.each<[Condition, boolean, string]>([
    [{ field: 'call.outcome', op: '==', value: 'missed' }, true, 'call.outcome == missed: true (missed)'],
    [{ field: 'call.outcome', op: '!=', value: 'missed' }, false, 'call.outcome != missed: false (missed)'],
    [{ field: 'call.outcome', op: 'in', value: ['missed', 'voicemail'] }, true, 'call.outcome in [missed, voicemail]: true (missed)'],
    [{ field: 'call.outcome', op: 'not_in', value: ['answered', 'too_short'] }, true, 'call.outcome not_in [answered, too_short]: true (missed)'],
    [{ field: 'call.duration', op: '>=', value: 25 }, true, 'call.duration >= 25: true (25)'],
    [{ field: 'call.duration', op: '<', value: 10 }, false, 'call.duration < 10: false (25)'],
    [{ field: 'contact.source', op: '==', value: 'website form' }, true, 'contact.source == website form: true (Website Form)'],
    [{ field: 'contact.attr.plan', op: 'in', value: ['Gold', 'Platinum'] }, true, 'contact.attr.plan in [Gold, Platinum]: true (gold)'],
    [{ field: 'contact.attr.last_missed_call_sms_at', op: 'within', value: '24h' }, true, 'contact.attr.last_missed_call_sms_at within 24h: true (3h ago)'],
    [{ field: 'contact.attr.last_missed_call_sms_at', op: 'older_than', value: '2h' }, true, 'contact.attr.last_missed_call_sms_at older_than 2h: true (3h ago)'],
    [{ field: 'contact.last_text_at', op: 'within', value: '1d' }, false, 'contact.last_text_at within 1d: false (1d6h ago)'],
    [{ field: 'business_hours.open', op: '==', value: true }, false, 'business_hours.open == true: false (false)'],
    [{ field: 'run.replied', op: '!=', value: true }, true, 'run.replied != true: true (false)'],
    // Missing values
    [{ field: 'contact.attr.never', op: '==', value: 'x' }, false, 'contact.attr.never == x: false (not set)'],
    [{ field: 'contact.attr.never', op: '!=', value: 'x' }, true, 'contact.attr.never != x: true (not set)'],
    [{ field: 'contact.attr.never', op: 'in', value: ['x'] }, false, 'contact.attr.never in [x]: false (not set)'],
    [{ field: 'contact.attr.never', op: 'not_in', value: ['x'] }, true, 'contact.attr.never not_in [x]: true (not set)'],
    [{ field: 'contact.attr.never', op: 'within', value: '24h' }, false, 'contact.attr.never within 24h: false (never)'],
    [{ field: 'contact.attr.never', op: 'older_than', value: '24h' }, true, 'contact.attr.never older_than 24h: true (never)'],
    [{ field: 'contact.attr.never', op: 'exists' }, false, 'contact.attr.never exists: false (not set)'],
    [{ field: 'contact.attr.plan', op: 'missing' }, false, 'contact.attr.plan missing: false (gold)'],
    [{ field: 'contact.last_reply_at', op: '>', value: 1 }, false, 'contact.last_reply_at > 1: false (not set)'],
    [{ field: 'contact.attr.garbage', op: 'within', value: '24h' }, false, 'contact.attr.garbage within 24h: false (unreadable time "yesterday-ish")'],
    // Combinations evaluate every part so the trace shows every value.
    [
      { all: [{ field: 'call.outcome', op: '==', value: 'missed' }, { field: 'call.direction', op: '==', value: 'outbound' }] },
      false,
      'all(call.outcome == missed: true (missed); call.direction == outbound: false (inbound)): false',
    ],
    [
      { any: [{ field: 'call.outcome', op: '==', value: 'voicemail' }, { field: 'call.direction', op: '==', value: 'inbound' }] },
      true,
      'any(call.outcome == voicemail: false (missed); call.direction == inbound: true (inbound)): true',
    ],
    [{ not: { field: 'business_hours.open', op: '==', value: true } }, true, 'not(business_hours.open == true: false (false)): true'],
  ])('%j', (condition, result, explanation) => {
    expect(evaluateCondition(condition, lookup, NOW)).toEqual({ result, explanation });
  });

  it('measures within/older_than against now, inclusive of the window edge', () => {
    const at = { 'contact.attr.t': String(NOW - 24 * HOUR) };
    const look = (f: string): unknown => at[f as keyof typeof at];
    expect(evaluateCondition({ field: 'contact.attr.t', op: 'within', value: '24h' }, look, NOW).result).toBe(true);
    expect(evaluateCondition({ field: 'contact.attr.t', op: 'older_than', value: '24h' }, look, NOW).result).toBe(false);
    expect(evaluateCondition({ field: 'contact.attr.t', op: 'older_than', value: '24h' }, look, NOW + 1).result).toBe(true);
  });
});

describe('validateCondition', () => {
  it.each<[string, unknown, Array<string | RegExp>]>([
    ['a valid comparison', { field: 'call.outcome', op: '==', value: 'missed' }, []],
    ['a valid combination', { all: [{ field: 'call.duration', op: '>', value: 5 }, { not: { field: 'contact.attr.vip', op: 'exists' } }] }, []],
    ['not an object', 'call.outcome == missed', [': condition must be an object: { field, op, value }, { all: [...] }, { any: [...] } or { not: ... }']],
    ['unknown field', { field: 'call.outcom', op: '==', value: 'missed' }, [/^\.field: unknown field call\.outcom \(known: call\.outcome, /]],
    ['typo in an enum value', { field: 'call.outcome', op: '==', value: 'mised' }, ['.value: "mised" is not a valid call.outcome (use answered, missed, voicemail, too_short, answered_elsewhere)']],
    ['typo in a list', { field: 'call.direction', op: 'in', value: ['inbound', 'outgoing'] }, ['.value: "outgoing" is not a valid call.direction (use inbound, outbound)']],
    ['operator that does not fit', { field: 'call.outcome', op: '>', value: 3 }, ['.op: operator ">" does not apply to call.outcome (use ==, !=, in, not_in, exists, missing)']],
    ['number compared with text', { field: 'call.duration', op: '>', value: '30s' }, ['.value: > needs a number, got "30s"']],
    ['boolean field with a string', { field: 'business_hours.open', op: '==', value: 'yes' }, ['.value: business_hours.open is true or false, got "yes"']],
    ['bad window', { field: 'contact.last_text_at', op: 'within', value: '1 day' }, ['.value: within needs a duration such as "24h", got "1 day"']],
    ['value on exists', { field: 'contact.source', op: 'exists', value: 'x' }, ['.value: exists takes no value']],
    ['empty all', { all: [] }, ['.all: all must be a non-empty list of conditions']],
    ['nested error path', { any: [{ field: 'call.outcome', op: '==', value: 'missed' }, { not: { field: 'nope', op: '==' } }] }, [/^\.any\[1\]\.not\.field: unknown field nope /]],
    ['bad attribute name', { field: 'contact.attr.', op: 'exists' }, [/^\.field: unknown field contact\.attr\. /]],
  ])('%s', (_label, condition, expected) => {
    const messages = validateCondition(condition).map((e) => `${e.path}: ${e.message}`);
    expect(messages).toEqual(expected.map((m) => (typeof m === 'string' ? m : expect.stringMatching(m))));
  });

  it('rejects call fields on triggers without a call', () => {
    expect(validateCondition({ field: 'call.outcome', op: '==', value: 'missed' }, 'message.received')).toEqual([
      { path: '.field', message: 'call.outcome is only available for call.completed triggers, not message.received' },
    ]);
    expect(validateCondition({ field: 'call.outcome', op: '==', value: 'missed' }, 'call.completed')).toEqual([]);
  });
});

describe('fieldSpec and toTimestamp', () => {
  it('knows attribute fields', () => {
    expect(fieldSpec('contact.attr.company')?.kind).toBe('attribute');
    expect(fieldSpec('call.outcome')?.kind).toBe('enum');
    expect(fieldSpec('toString')).toBeUndefined();
  });

  it.each<[unknown, number | undefined]>([
    [1_768_485_600_000, 1_768_485_600_000],
    ['1768485600000', 1_768_485_600_000],
    ['2026-01-15T14:00:00.000Z', 1_768_485_600_000],
    ['2026-01-15T09:00:00-05:00', 1_768_485_600_000],
    ['2026-01-15', undefined],
    ['soon', undefined],
    [null, undefined],
  ])('toTimestamp(%j) = %j', (value, expected) => {
    expect(toTimestamp(value)).toBe(expected);
  });
});
