/**
 * Thompson sampling for A/B text variants (issue 16, docs/analytics.md "Experiments"): for each text,
 * draw one reply rate per variant from its posterior Beta(1 + replies, 1 + delivered − replies) and
 * send the variant whose draw is highest. A variant that is ahead is chosen more often, one that may
 * still be ahead keeps being tried: the share moves toward the leader as evidence grows.
 *
 * The draws are deterministic for a key (a seeded generator, mulberry32), so the same contact and the
 * same counts give the same variant (a retried step does not switch wording), and tests are exact.
 *
 * References: W. R. Thompson, "On the likelihood that one unknown probability exceeds another in view
 * of the evidence of two samples", Biometrika 25 (1933); O. Chapelle and L. Li, "An Empirical
 * Evaluation of Thompson Sampling", NeurIPS 2011; gamma draws by G. Marsaglia and W. W. Tsang, "A
 * simple method for generating gamma variables", ACM TOMS 26 (2000).
 */
import { hash32 } from '../templates/variants.js';

export interface VariantEvidence {
  id: string;
  delivered: number;
  replies: number;
}

/** A uniform generator in [0, 1) from a 32-bit seed (mulberry32). */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller). */
function normal(uniform: () => number): number {
  let u = 0;
  while (u === 0) u = uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
}

/** A Gamma(shape, 1) draw, shape ≥ 1 (Marsaglia–Tsang). */
function gamma(shape: number, uniform: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(uniform);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = uniform();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(alpha, beta) draw for alpha, beta ≥ 1, as X / (X + Y) of two gamma draws. */
export function betaDraw(alpha: number, beta: number, uniform: () => number): number {
  const x = gamma(alpha, uniform);
  const y = gamma(beta, uniform);
  return x / (x + y);
}

/**
 * The variant to send for `key`: the highest of one posterior draw per variant. Variants missing
 * from `evidence` count as never sent (Beta(1, 1), uniform). Counts are clamped to be consistent.
 */
export function thompsonPick<T extends { id: string }>(variants: readonly T[], evidence: readonly VariantEvidence[], key: string): { variant: T; draws: Record<string, number> } {
  if (variants.length === 0) throw new RangeError('thompsonPick needs at least one variant');
  const uniform = seededUniform(hash32(`thompson:${key}`));
  const draws: Record<string, number> = {};
  let best = variants[0]!;
  let bestDraw = -1;
  for (const v of variants) {
    const e = evidence.find((x) => x.id === v.id);
    const delivered = Math.max(0, Math.floor(e?.delivered ?? 0));
    const replies = Math.min(delivered, Math.max(0, Math.floor(e?.replies ?? 0)));
    const draw = betaDraw(1 + replies, 1 + delivered - replies, uniform);
    draws[v.id] = draw;
    if (draw > bestDraw) {
      bestDraw = draw;
      best = v;
    }
  }
  return { variant: best, draws };
}
