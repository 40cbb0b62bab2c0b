import { describe, expect, it } from 'vitest';
import { DEFAULT_EPISODE_WINDOW_MS, groupIntoEpisodes, isSameEpisode } from './episodes.js';

const T = Date.UTC(2026, 0, 15, 14, 0, 0);
const MIN = 60_000;

describe('isSameEpisode', () => {
  it.each<[string, number | null | undefined, number, number | undefined, boolean]>([
    ['no previous missed call', undefined, T, undefined, false],
    ['null previous missed call', null, T, undefined, false],
    ['same instant', T, T, undefined, true],
    ['4 minutes later', T, T + 4 * MIN, undefined, true],
    ['exactly 10 minutes later (inclusive)', T, T + 10 * MIN, undefined, true],
    ['10 minutes and 1 ms later', T, T + 10 * MIN + 1, undefined, false],
    ['an hour later', T, T + 60 * MIN, undefined, false],
    ['out of order: previous 2 minutes after now', T + 2 * MIN, T, undefined, true],
    ['custom 30 s window, 20 s later', T, T + 20_000, 30_000, true],
    ['custom 30 s window, 40 s later', T, T + 40_000, 30_000, false],
  ])('%s → %s', (_name, previous, now, windowMs, expected) => {
    expect(isSameEpisode(previous, now, windowMs)).toBe(expected);
  });

  it('defaults to ten minutes', () => {
    expect(DEFAULT_EPISODE_WINDOW_MS).toBe(10 * MIN);
  });

  it('rejects a negative window', () => {
    expect(() => isSameEpisode(T, T, -1)).toThrow(RangeError);
  });
});

describe('groupIntoEpisodes', () => {
  it.each<[string, number[], number[][]]>([
    ['nothing', [], []],
    ['three missed calls within ten minutes are one episode', [T, T + 3 * MIN, T + 9 * MIN], [[T, T + 3 * MIN, T + 9 * MIN]]],
    ['a call an hour later starts a new episode', [T, T + 2 * MIN, T + 60 * MIN], [[T, T + 2 * MIN], [T + 60 * MIN]]],
    ['the window slides with each retry', [T, T + 8 * MIN, T + 16 * MIN], [[T, T + 8 * MIN, T + 16 * MIN]]],
    ['unsorted input', [T + 60 * MIN, T, T + 1 * MIN], [[T, T + 1 * MIN], [T + 60 * MIN]]],
  ])('%s', (_name, input, expected) => {
    expect(groupIntoEpisodes(input)).toEqual(expected);
  });
});
