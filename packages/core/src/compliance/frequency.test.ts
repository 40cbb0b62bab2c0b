import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { capDecision, countryAllowed, stateFrequencyCap, type CapDecision } from './frequency.js';

const H = 3_600_000;
const NOW = 1_750_000_000_000;
const cap = { maxPerWindow: 3, windowMs: 24 * H };

describe('capDecision', () => {
  it.each<[string, number[], CapDecision]>([
    ['no history', [], { allowed: true, remaining: 2 }],
    ['two in window', [NOW - 2 * H, NOW - H], { allowed: true, remaining: 0 }],
    ['old sends are ignored', [NOW - 48 * H, NOW - 30 * H, NOW - H], { allowed: true, remaining: 1 }],
    ['exactly windowMs ago has left the window', [NOW - 24 * H, NOW - 2 * H, NOW - H], { allowed: true, remaining: 0 }],
    ['cap reached: oldest leaves first', [NOW - 20 * H, NOW - 5 * H, NOW - H], { allowed: false, reason: 'cap_reached', nextAllowedAt: NOW + 4 * H }],
    ['unsorted input', [NOW - H, NOW - 20 * H, NOW - 5 * H], { allowed: false, reason: 'cap_reached', nextAllowedAt: NOW + 4 * H }],
    [
      'over the cap: enough sends must expire',
      [NOW - 23 * H, NOW - 10 * H, NOW - 5 * H, NOW - H],
      { allowed: false, reason: 'cap_reached', nextAllowedAt: NOW + 14 * H },
    ],
    ['future timestamps count (clock skew)', [NOW - H, NOW, NOW + 1000], { allowed: false, reason: 'cap_reached', nextAllowedAt: NOW + 23 * H }],
  ])('%s', (_label, sent, expected) => {
    expect(capDecision(sent, NOW, cap)).toEqual(expected);
  });

  it('accepts a luxon DateTime and a one-per-window cap', () => {
    expect(capDecision([NOW - 10_000], DateTime.fromMillis(NOW), { maxPerWindow: 1, windowMs: 60_000 })).toEqual({
      allowed: false,
      reason: 'cap_reached',
      nextAllowedAt: NOW + 50_000,
    });
  });

  it.each([
    { maxPerWindow: 0, windowMs: H },
    { maxPerWindow: 1.5, windowMs: H },
    { maxPerWindow: 1, windowMs: 0 },
    { maxPerWindow: 1, windowMs: Number.NaN },
  ])('rejects invalid cap %j', (bad) => {
    expect(() => capDecision([], NOW, bad)).toThrow(RangeError);
  });
});

describe('stateFrequencyCap', () => {
  it.each([
    ['FL', 3],
    ['ok', 3],
    ['US-MD', 3],
  ])('%s → %i per 24h', (state, max) => {
    expect(stateFrequencyCap(state)).toMatchObject({ maxPerWindow: max, windowMs: 24 * H, scope: 'same subject' });
  });

  it.each(['TX', 'NY', 'FEDERAL'])('%s → none', (state) => {
    expect(stateFrequencyCap(state)).toBeUndefined();
  });
});

describe('countryAllowed', () => {
  it.each<[string | null | undefined, readonly string[] | undefined, boolean]>([
    ['US', undefined, true],
    ['ca', undefined, true],
    [' GB ', undefined, true],
    ['AU', undefined, true],
    ['FR', undefined, false],
    ['GG', undefined, false],
    [undefined, undefined, false],
    [null, undefined, false],
    ['', undefined, false],
    ['FR', ['fr', 'BE'], true],
    ['US', [], false],
  ])('%j in %j → %s', (country, allowed, expected) => {
    expect(countryAllowed(country, allowed)).toBe(expected);
  });
});
