import { describe, expect, it } from 'vitest';
import { compareBetas } from './ab-test.js';
import { betaDraw, seededUniform, thompsonPick } from './thompson.js';

const AB = [{ id: 'A' }, { id: 'B' }];
const share = (evidence: { id: string; delivered: number; replies: number }[], n = 20_000) => {
  let a = 0;
  for (let i = 0; i < n; i++) if (thompsonPick(AB, evidence, `contact-${i}`).variant.id === 'A') a++;
  return a / n;
};

describe('Thompson sampling of text variants', () => {
  it('draws Beta variates with the right mean and variance', () => {
    const uniform = seededUniform(42);
    const draws = Array.from({ length: 40_000 }, () => betaDraw(3, 7, uniform));
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
    const variance = draws.reduce((s, x) => s + (x - mean) ** 2, 0) / draws.length;
    expect(mean).toBeCloseTo(0.3, 2); // 3 / (3 + 7)
    expect(variance).toBeCloseTo((3 * 7) / (10 * 10 * 11), 3);
    expect(draws.every((x) => x > 0 && x < 1)).toBe(true);
  });

  it('is deterministic for a key and the same counts', () => {
    const evidence = [
      { id: 'A', delivered: 20, replies: 5 },
      { id: 'B', delivered: 21, replies: 6 },
    ];
    for (let i = 0; i < 50; i++) expect(thompsonPick(AB, evidence, `k${i}`).variant).toBe(thompsonPick(AB, evidence, `k${i}`).variant);
  });

  it('splits evenly while nothing is known', () => {
    expect(share([])).toBeGreaterThan(0.48);
    expect(share([])).toBeLessThan(0.52);
  });

  it('sends each variant as often as the chance that it is the best (the Thompson property)', () => {
    const evidence = [
      { id: 'A', delivered: 40, replies: 12 },
      { id: 'B', delivered: 38, replies: 8 },
    ];
    const { chanceToBeat } = compareBetas([
      { alpha: 13, beta: 29 },
      { alpha: 9, beta: 31 },
    ]);
    expect(Math.abs(share(evidence) - chanceToBeat[0]!)).toBeLessThan(0.015);
  });

  it('moves almost every text to a clear leader, and keeps trying a variant that may still lead', () => {
    expect(
      share([
        { id: 'A', delivered: 300, replies: 90 },
        { id: 'B', delivered: 300, replies: 30 },
      ]),
    ).toBeGreaterThan(0.999);
    const early = share([
      { id: 'A', delivered: 3, replies: 1 },
      { id: 'B', delivered: 3, replies: 0 },
    ]);
    expect(early).toBeGreaterThan(0.55);
    expect(early).toBeLessThan(0.9);
  });

  it('clamps inconsistent counts instead of failing', () => {
    expect(['A', 'B']).toContain(thompsonPick(AB, [{ id: 'A', delivered: 2, replies: 9 }, { id: 'B', delivered: -1, replies: 0 }], 'x').variant.id);
  });
});
