import { describe, expect, it } from 'vitest';
import { formatDuration, isDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each<[string, number]>([
    ['15s', 15_000],
    ['3m', 180_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['1w', 604_800_000],
    ['1h30m', 5_400_000],
    ['1d12h', 129_600_000],
    ['0s', 0],
    ['90m', 5_400_000],
  ])('%s → %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(isDuration(text)).toBe(true);
  });

  it.each(['', '15', '1.5h', '3 min', '-5m', '30m1h', '2hh', 'h', '15S', ' 15s'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(RangeError);
    expect(isDuration(text)).toBe(false);
  });

  it('explains the expected format', () => {
    expect(() => parseDuration('15')).toThrow('invalid duration "15" (use a whole number and a unit: 15s, 3m, 2h, 7d, or 1h30m)');
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [999, '0s'],
    [15_000, '15s'],
    [180_000, '3m'],
    [5_400_000, '1h30m'],
    [86_400_000, '1d'],
    [90_061_000, '1d1h1m1s'],
    [1_209_600_000, '2w'],
  ])('%i ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
