/**
 * A/B statistics of text variants: reply rates with Wilson score intervals, and a Bayesian
 * beta-binomial comparison (the chance each variant beats the others, the expected loss of choosing
 * it), computed by deterministic quadrature: the same counts always give the same answer.
 *
 * References: E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
 * JASA 22 (1927); R. G. Newcombe, "Two-sided confidence intervals for the single proportion",
 * Statistics in Medicine 17 (1998); Evan Miller, "Formulas for Bayesian A/B Testing"
 * (https://www.evanmiller.org/bayesian-ab-testing.html); Chris Stucchio, "Bayesian A/B Testing at
 * VWO" (https://vwo.com/downloads/VWO_SmartStats_technical_whitepaper.pdf).
 */

/** z for a two-sided 95% interval. */
export const Z_95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/** The Wilson score interval of `successes` out of `trials` (null when there are no trials). */
export function wilsonInterval(successes: number, trials: number, z: number = Z_95): Interval | null {
  if (trials <= 0) return null;
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const center = (p + z2 / (2 * trials)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9: about 15 significant digits). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = c[0] as number;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] as number) / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

export interface BetaParams {
  alpha: number;
  beta: number;
}

const GRID = 4001;

/**
 * For each Beta posterior: the probability that it is the largest of all, and the expected loss of
 * choosing it (E[max of all] − E[it]). Deterministic: Simpson's rule on one grid covering every
 * posterior's mass (mean ± 14 standard deviations, clipped to [0, 1]); each CDF is the running
 * integral of its density on that grid.
 */
export function compareBetas(posteriors: readonly BetaParams[]): { chanceToBeat: number[]; expectedLoss: number[] } {
  const k = posteriors.length;
  if (k === 0) return { chanceToBeat: [], expectedLoss: [] };
  if (k === 1) return { chanceToBeat: [1], expectedLoss: [0] };
  let lo = 1;
  let hi = 0;
  for (const { alpha, beta } of posteriors) {
    const mean = alpha / (alpha + beta);
    const sd = Math.sqrt((alpha * beta) / ((alpha + beta) ** 2 * (alpha + beta + 1)));
    lo = Math.min(lo, mean - 14 * sd);
    hi = Math.max(hi, mean + 14 * sd);
  }
  lo = Math.max(0, lo);
  hi = Math.min(1, hi);
  const h = (hi - lo) / (GRID - 1);
  const xs = Array.from({ length: GRID }, (_, i) => lo + i * h);
  // Densities (log space, then normalized to integrate to 1 on the grid) and their CDFs.
  const pdfs: number[][] = [];
  const cdfs: number[][] = [];
  for (const { alpha, beta } of posteriors) {
    const logB = logGamma(alpha) + logGamma(beta) - logGamma(alpha + beta);
    const pdf = xs.map((x) => {
      if ((x <= 0 && alpha < 1) || (x >= 1 && beta < 1)) return 0;
      const lx = x <= 0 ? (alpha === 1 ? 0 : -Infinity) : (alpha - 1) * Math.log(x);
      const l1x = x >= 1 ? (beta === 1 ? 0 : -Infinity) : (beta - 1) * Math.log(1 - x);
      return Math.exp(lx + l1x - logB);
    });
    const cdf = new Array<number>(GRID).fill(0);
    for (let i = 1; i < GRID; i++) cdf[i] = (cdf[i - 1] as number) + ((pdf[i - 1] as number) + (pdf[i] as number)) * (h / 2);
    const total = cdf[GRID - 1] as number;
    pdfs.push(pdf.map((v) => v / total));
    cdfs.push(cdf.map((v) => v / total));
  }
  const simpson = (f: (i: number) => number): number => {
    let s = f(0) + f(GRID - 1);
    for (let i = 1; i < GRID - 1; i++) s += (i % 2 === 1 ? 4 : 2) * f(i);
    return (s * h) / 3;
  };
  const chance = posteriors.map((_, v) =>
    simpson((i) => {
      let p = pdfs[v]![i] as number;
      for (let w = 0; w < k; w++) if (w !== v) p *= cdfs[w]![i] as number;
      return p;
    }),
  );
  const sum = chance.reduce((a, b) => a + b, 0);
  // E[max] = lo + ∫ (1 − Π F_j) over [lo, hi]: the maximum is above lo almost surely.
  const expectedMax =
    lo +
    simpson((i) => {
      let all = 1;
      for (let w = 0; w < k; w++) all *= cdfs[w]![i] as number;
      return 1 - all;
    });
  return {
    chanceToBeat: chance.map((c) => c / sum),
    expectedLoss: posteriors.map(({ alpha, beta }) => Math.max(0, expectedMax - alpha / (alpha + beta))),
  };
}

export interface VariantCounts {
  id: string;
  delivered: number;
  replies: number;
}

export interface ExperimentRules {
  /** Every variant needs at least this many delivered texts before a winner is called (30). */
  minDelivered: number;
  /** The winner's chance to beat all others (0.95). */
  minChanceToBeat: number;
  /** The winner's expected loss, as a fraction (0.005 = half a percentage point). */
  maxExpectedLoss: number;
}

export const DEFAULT_EXPERIMENT_RULES: ExperimentRules = { minDelivered: 30, minChanceToBeat: 0.95, maxExpectedLoss: 0.005 };

export interface VariantResult {
  id: string;
  delivered: number;
  replies: number;
  reply_rate: number | null;
  reply_rate_interval: Interval | null;
  chance_to_beat: number;
  expected_loss: number;
}

export interface ExperimentResult {
  variants: VariantResult[];
  verdict: 'winner' | 'too_early_to_tell';
  winner: string | null;
  /** Estimated further delivered texts (all variants together) before a winner could be called; null when no difference is visible yet. */
  more_texts_needed: number | null;
  reason: string;
}

function leaderOf(counts: readonly VariantCounts[]): { index: number; chance: number[]; loss: number[] } {
  const { chanceToBeat, expectedLoss } = compareBetas(counts.map((c) => ({ alpha: 1 + c.replies, beta: 1 + c.delivered - c.replies })));
  let index = 0;
  for (let i = 1; i < counts.length; i++) if ((chanceToBeat[i] as number) > (chanceToBeat[index] as number)) index = i;
  return { index, chance: chanceToBeat, loss: expectedLoss };
}

function decisive(counts: readonly VariantCounts[], rules: ExperimentRules): boolean {
  if (counts.some((c) => c.delivered < rules.minDelivered)) return false;
  const { index, chance, loss } = leaderOf(counts);
  return (chance[index] as number) >= rules.minChanceToBeat && (loss[index] as number) < rules.maxExpectedLoss;
}

/**
 * Estimates how many more delivered texts would let a winner be called if the observed reply rates
 * held: every variant smaller than n is grown to n at its current rate (fractional counts), and n is
 * the smallest that passes the rules (doubling, then bisection). Null when the rates are equal or n
 * would pass a million per variant.
 */
function moreTextsNeeded(counts: readonly VariantCounts[], rules: ExperimentRules): number | null {
  const total = counts.reduce((a, c) => a + c.delivered, 0);
  if (total === 0) return null;
  // With no data for a variant, borrow the pooled rate: nothing distinguishes it yet.
  const pooled = counts.reduce((a, c) => a + c.replies, 0) / total;
  const rates = counts.map((c) => (c.delivered > 0 ? c.replies / c.delivered : pooled));
  const at = (n: number): VariantCounts[] =>
    counts.map((c, i) => {
      const size = Math.max(n, c.delivered);
      return { id: c.id, delivered: size, replies: (rates[i] as number) * size };
    });
  const current = rules.minDelivered;
  const cap = 1_000_000;
  let high = current;
  while (!decisive(at(high), rules)) {
    if (high >= cap) return null;
    high = Math.min(cap, high * 2);
  }
  let low = current;
  if (decisive(at(low), rules)) high = low;
  while (high - low > Math.max(1, Math.ceil(low * 0.01))) {
    const mid = Math.floor((low + high) / 2);
    if (decisive(at(mid), rules)) high = mid;
    else low = mid;
  }
  return counts.reduce((a, c) => a + Math.max(0, high - c.delivered), 0);
}

/** The experiment's statistics and verdict. */
export function analyzeExperiment(counts: readonly VariantCounts[], rules: ExperimentRules = DEFAULT_EXPERIMENT_RULES): ExperimentResult {
  for (const c of counts) {
    if (!Number.isInteger(c.delivered) || !Number.isInteger(c.replies) || c.delivered < 0 || c.replies < 0 || c.replies > c.delivered) {
      throw new RangeError(`variant ${c.id}: replies (${c.replies}) must be a whole number between 0 and delivered (${c.delivered})`);
    }
  }
  if (counts.length === 0) return { variants: [], verdict: 'too_early_to_tell', winner: null, more_texts_needed: null, reason: 'no variants' };
  const { index, chance, loss } = leaderOf(counts);
  const variants = counts.map((c, i) => ({
    id: c.id,
    delivered: c.delivered,
    replies: c.replies,
    reply_rate: c.delivered > 0 ? c.replies / c.delivered : null,
    reply_rate_interval: wilsonInterval(c.replies, c.delivered),
    chance_to_beat: chance[i] as number,
    expected_loss: loss[i] as number,
  }));
  const leader = counts[index] as VariantCounts;
  if (counts.length < 2) return { variants, verdict: 'too_early_to_tell', winner: null, more_texts_needed: null, reason: 'an experiment needs at least two variants' };
  const short = counts.filter((c) => c.delivered < rules.minDelivered);
  if (short.length === 0 && (chance[index] as number) >= rules.minChanceToBeat && (loss[index] as number) < rules.maxExpectedLoss) {
    return { variants, verdict: 'winner', winner: leader.id, more_texts_needed: 0, reason: `${leader.id} beats the others with ${(100 * (chance[index] as number)).toFixed(1)}% probability` };
  }
  const reason =
    short.length > 0
      ? `every variant needs at least ${rules.minDelivered} delivered texts (${short.map((c) => `${c.id}: ${c.delivered}`).join(', ')})`
      : (chance[index] as number) < rules.minChanceToBeat
        ? `the leader ${leader.id} beats the others with ${(100 * (chance[index] as number)).toFixed(1)}% probability, under ${100 * rules.minChanceToBeat}%`
        : `choosing the leader ${leader.id} could still cost ${(100 * (loss[index] as number)).toFixed(2)} percentage points, over ${100 * rules.maxExpectedLoss}`;
  return { variants, verdict: 'too_early_to_tell', winner: null, more_texts_needed: moreTextsNeeded(counts, rules), reason };
}
