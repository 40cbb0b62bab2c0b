import { describe, expect, it } from 'vitest';
import { analyzeExperiment, compareBetas, wilsonInterval } from '../index.js';

// Reference functions written independently of the implementation: exact sums, a continued fraction.
function lnGammaStirling(x: number): number {
  // Shift up, then Stirling's series: accurate to ~1e-13 for x ≥ 10.
  let shift = 0;
  while (x < 10) {
    shift -= Math.log(x);
    x += 1;
  }
  const x2 = x * x;
  return shift + (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x * x2) + 1 / (1260 * x2 * x2 * x) - 1 / (1680 * x2 * x2 * x2 * x);
}
const lnBeta = (a: number, b: number) => lnGammaStirling(a) + lnGammaStirling(b) - lnGammaStirling(a + b);

/** Evan Miller's closed form: P(p_B > p_A) for p_A ~ Beta(aA, bA), p_B ~ Beta(aB, bB), aB an integer. */
function probBBeatsA(aA: number, bA: number, aB: number, bB: number): number {
  let total = 0;
  for (let i = 0; i < aB; i++) total += Math.exp(lnBeta(aA + i, bB + bA) - Math.log(bB + i) - lnBeta(1 + i, bB) - lnBeta(aA, bA));
  return total;
}

/** Chris Stucchio's closed form of the expected loss of choosing A: E[max(p_B − p_A, 0)]. */
function lossOfChoosingA(aA: number, bA: number, aB: number, bB: number): number {
  return (aB / (aB + bB)) * probBBeatsA(aA, bA, aB + 1, bB) - (aA / (aA + bA)) * probBBeatsA(aA + 1, bA, aB, bB);
}

/** Regularized incomplete beta by Lentz's continued fraction (Numerical Recipes' betacf). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - lnBeta(a, b));
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / d;
  let f = d;
  for (let m = 1; m < 500; m++) {
    for (const numerator of [(m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)), -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))]) {
      d = 1 + numerator * d;
      c = 1 + numerator / c;
      d = 1 / d;
      f *= c * d;
    }
  }
  return (front * f) / a;
}

describe('Wilson score interval', () => {
  // Newcombe (1998), Statistics in Medicine 17:857–872, Table I, method 3 (score interval without continuity correction).
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('%i of %i is [%f, %f] as published', (x, n, low, high) => {
    const interval = wilsonInterval(x, n)!;
    expect(interval.low).toBeCloseTo(low, 4);
    expect(interval.high).toBeCloseTo(high, 4);
  });

  it('has no interval without trials', () => {
    expect(wilsonInterval(0, 0)).toBeNull();
  });
});

describe('Bayesian comparison of two variants', () => {
  it.each([
    [10, 100, 15, 100],
    [30, 200, 45, 210],
    [0, 30, 3, 30],
    [120, 1000, 150, 1000],
    [1500, 10000, 1580, 10000],
  ])('matches the closed forms for A %i/%i and B %i/%i', (rA, nA, rB, nB) => {
    const [aA, bA, aB, bB] = [1 + rA, 1 + nA - rA, 1 + rB, 1 + nB - rB];
    const { chanceToBeat, expectedLoss } = compareBetas([
      { alpha: aA, beta: bA },
      { alpha: aB, beta: bB },
    ]);
    const pB = probBBeatsA(aA, bA, aB, bB);
    expect(chanceToBeat[1]).toBeCloseTo(pB, 6);
    expect(chanceToBeat[0]).toBeCloseTo(1 - pB, 6);
    expect(expectedLoss[0]).toBeCloseTo(lossOfChoosingA(aA, bA, aB, bB), 7);
    expect(expectedLoss[1]).toBeCloseTo(lossOfChoosingA(aB, bB, aA, bA), 7);
  });
});

describe('Bayesian comparison of three variants', () => {
  it('matches a midpoint-rule integration with continued-fraction CDFs', () => {
    const posteriors = [
      { alpha: 1 + 40, beta: 1 + 160 },
      { alpha: 1 + 52, beta: 1 + 150 },
      { alpha: 1 + 47, beta: 1 + 151 },
    ];
    const steps = 20_000;
    const pdf = (x: number, a: number, b: number) => Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log(1 - x) - lnBeta(a, b));
    const reference = posteriors.map((p, i) => {
      let sum = 0;
      for (let s = 0; s < steps; s++) {
        const x = (s + 0.5) / steps;
        let v = pdf(x, p.alpha, p.beta);
        posteriors.forEach((q, j) => {
          if (j !== i) v *= incompleteBeta(x, q.alpha, q.beta);
        });
        sum += v / steps;
      }
      return sum;
    });
    const { chanceToBeat } = compareBetas(posteriors);
    chanceToBeat.forEach((c, i) => expect(c).toBeCloseTo(reference[i] as number, 5));
    expect(chanceToBeat.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  });
});

describe('the verdict', () => {
  it('calls a winner when every variant has 30 delivered, the leader beats the others at 95% and risks under half a point', () => {
    const result = analyzeExperiment([
      { id: 'a', delivered: 2000, replies: 200 },
      { id: 'b', delivered: 2000, replies: 320 },
    ]);
    expect(result.verdict).toBe('winner');
    expect(result.winner).toBe('b');
    expect(result.more_texts_needed).toBe(0);
    expect(result.variants[1]!.chance_to_beat).toBeGreaterThan(0.99);
    expect(result.variants[1]!.expected_loss).toBeLessThan(0.005);
    expect(result.variants[1]!.reply_rate).toBeCloseTo(0.16, 10);
  });

  it('is too early with fewer than 30 delivered for a variant, however large the gap', () => {
    const result = analyzeExperiment([
      { id: 'a', delivered: 29, replies: 0 },
      { id: 'b', delivered: 500, replies: 250 },
    ]);
    expect(result.verdict).toBe('too_early_to_tell');
    expect(result.winner).toBeNull();
    expect(result.reason).toContain('a: 29');
    expect(result.more_texts_needed).toBe(1);
  });

  it('is too early when the leader is not 95% likely to be best, and estimates the texts still needed', () => {
    const result = analyzeExperiment([
      { id: 'a', delivered: 100, replies: 10 },
      { id: 'b', delivered: 100, replies: 13 },
    ]);
    expect(result.verdict).toBe('too_early_to_tell');
    expect(result.reason).toContain('under 95%');
    expect(result.more_texts_needed).toBeGreaterThan(500);
    // Growing both variants by the estimate, at the same rates, does call a winner.
    const n = Math.ceil((100 + (result.more_texts_needed as number) / 2) / 100) * 100;
    const later = analyzeExperiment([
      { id: 'a', delivered: n, replies: n / 10 },
      { id: 'b', delivered: n, replies: (13 * n) / 100 },
    ]);
    expect(later.verdict).toBe('winner');
  });

  it('is too early with no estimate when the variants do equally well', () => {
    const result = analyzeExperiment([
      { id: 'a', delivered: 400, replies: 80 },
      { id: 'b', delivered: 400, replies: 80 },
    ]);
    expect(result.verdict).toBe('too_early_to_tell');
    expect(result.more_texts_needed).toBeNull();
    expect(result.variants[0]!.chance_to_beat).toBeCloseTo(0.5, 6);
  });

  it('gives the same numbers every time (no sampling)', () => {
    const counts = [
      { id: 'a', delivered: 321, replies: 40 },
      { id: 'b', delivered: 300, replies: 51 },
      { id: 'c', delivered: 310, replies: 44 },
    ];
    expect(analyzeExperiment(counts)).toEqual(analyzeExperiment(counts));
  });

  it('refuses impossible counts', () => {
    expect(() => analyzeExperiment([{ id: 'a', delivered: 5, replies: 6 }])).toThrow(/between 0 and delivered/);
  });
});
