/**
 * A/B variants of a message. Each contact is assigned one variant per
 * automation, deterministically: the same contact always gets the same variant
 * (so a retry or a follow-up never switches wording), and across many contacts
 * the split follows the weights.
 *
 * The assignment hashes a sticky key ({@link variantStickyKey}: automation id +
 * contact id) with 32-bit FNV-1a plus a final avalanche mix. No crypto is
 * needed: the hash only has to spread keys evenly, not resist attackers.
 */

/** A candidate variant. `weight` is relative: weights 1 and 3 split 25 % / 75 %. */
export interface WeightedVariant {
  id: string;
  weight: number;
}

/** A problem with a variant list. `path` is relative to the list, e.g. `[1].weight`. */
export interface VariantError {
  path: string;
  message: string;
}

/** The key that makes a contact's variant sticky within one automation. */
export function variantStickyKey(contactId: string, automationId: string): string {
  return `${automationId}:${contactId}`;
}

/**
 * Picks the variant for `stickyKey`. Deterministic for a given key and variant
 * list; the chance of each variant is its weight divided by the total.
 * Changing weights or the list moves some contacts to another variant.
 * @throws {RangeError} when the list is empty or a weight is not a positive finite number.
 */
export function pickVariant<T extends WeightedVariant>(variants: readonly T[], stickyKey: string): T {
  if (variants.length === 0) throw new RangeError('pickVariant needs at least one variant');
  let total = 0;
  for (const v of variants) {
    if (!isPositiveWeight(v.weight)) throw new RangeError(`variant ${v.id} has invalid weight ${String(v.weight)}`);
    total += v.weight;
  }
  // A point in [0, total), from the hash as a fraction of 2^32.
  const point = (hash32(stickyKey) / 0x1_0000_0000) * total;
  let cumulative = 0;
  for (const v of variants) {
    cumulative += v.weight;
    if (point < cumulative) return v;
  }
  // Only reachable through floating-point rounding at the very top of the range.
  return variants[variants.length - 1] as T;
}

/**
 * Checks a variant list for use in a message: at least two variants (one
 * variant is just a template), non-empty unique ids, positive finite weights.
 */
export function validateVariants(variants: readonly WeightedVariant[]): VariantError[] {
  const errors: VariantError[] = [];
  if (variants.length < 2) {
    errors.push({ path: '', message: `A/B variants need at least 2 variants, got ${variants.length} (use a single template instead)` });
  }
  const seen = new Set<string>();
  variants.forEach((v, i) => {
    if (typeof v.id !== 'string' || v.id.trim() === '') {
      errors.push({ path: `[${i}].id`, message: 'variant id must be a non-empty string' });
    } else if (seen.has(v.id)) {
      errors.push({ path: `[${i}].id`, message: `duplicate variant id ${v.id}` });
    } else {
      seen.add(v.id);
    }
    if (!isPositiveWeight(v.weight)) {
      errors.push({ path: `[${i}].weight`, message: `weight must be a positive number, got ${String(v.weight)}` });
    }
  });
  return errors;
}

/**
 * 32-bit FNV-1a over the UTF-16 code units of `text`, followed by the
 * MurmurHash3 finaliser so that keys differing only in their last characters
 * still land far apart. Returns an unsigned integer in [0, 2^32).
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function isPositiveWeight(weight: unknown): weight is number {
  return typeof weight === 'number' && Number.isFinite(weight) && weight > 0;
}
