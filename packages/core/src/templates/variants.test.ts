import { describe, expect, it } from 'vitest';
import { hash32, pickVariant, validateVariants, variantStickyKey } from './variants.js';
import type { WeightedVariant } from './variants.js';

describe('hash32', () => {
  // Pinned so that a refactor can never silently move contacts to another variant.
  it.each<[string, number]>([
    ['', 2872998923],
    ['a', 444641715],
    ['automation-1:contact-1', 1584808728],
    ['automation-1:contact-2', 899273920],
    ['é😀', 4159213040],
  ])('hash32(%j) = %i', (text, expected) => {
    expect(hash32(text)).toBe(expected);
  });

  it('returns unsigned 32-bit integers', () => {
    for (let i = 0; i < 1000; i++) {
      const v = hash32(`key-${i}`);
      expect(Number.isInteger(v) && v >= 0 && v < 2 ** 32).toBe(true);
    }
  });
});

describe('pickVariant', () => {
  const ab: WeightedVariant[] = [
    { id: 'a', weight: 1 },
    { id: 'b', weight: 1 },
  ];

  it('is sticky: the same key always gets the same variant', () => {
    const key = variantStickyKey('contact-42', 'automation-7');
    const first = pickVariant(ab, key);
    for (let i = 0; i < 10; i++) expect(pickVariant(ab, key)).toBe(first);
  });

  it('keys contact and automation together', () => {
    expect(variantStickyKey('c1', 'a1')).toBe('a1:c1');
  });

  it.each<[string, WeightedVariant[], Record<string, number>]>([
    ['50/50', ab, { a: 0.5, b: 0.5 }],
    ['25/75', [{ id: 'a', weight: 1 }, { id: 'b', weight: 3 }], { a: 0.25, b: 0.75 }],
    ['three-way 20/30/50', [{ id: 'a', weight: 20 }, { id: 'b', weight: 30 }, { id: 'c', weight: 50 }], { a: 0.2, b: 0.3, c: 0.5 }],
    ['fractional weights', [{ id: 'a', weight: 0.1 }, { id: 'b', weight: 0.9 }], { a: 0.1, b: 0.9 }],
  ])('respects weights: %s', (_label, variants, expected) => {
    const counts: Record<string, number> = {};
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const v = pickVariant(variants, variantStickyKey(`contact-${i}`, 'automation-1'));
      counts[v.id] = (counts[v.id] ?? 0) + 1;
    }
    for (const [id, share] of Object.entries(expected)) {
      expect(Math.abs((counts[id] ?? 0) / n - share)).toBeLessThan(0.015);
    }
  });

  it('returns the variant object itself, with its extra fields', () => {
    const variants = [
      { id: 'a', weight: 1, template: 'Hi!' },
      { id: 'b', weight: 1, template: 'Hello!' },
    ];
    expect(variants).toContain(pickVariant(variants, 'k'));
  });

  it('always picks the only variant', () => {
    expect(pickVariant([{ id: 'only', weight: 5 }], 'anything').id).toBe('only');
  });

  it.each<[string, WeightedVariant[]]>([
    ['empty list', []],
    ['zero weight', [{ id: 'a', weight: 0 }, { id: 'b', weight: 1 }]],
    ['negative weight', [{ id: 'a', weight: -1 }, { id: 'b', weight: 1 }]],
    ['NaN weight', [{ id: 'a', weight: Number.NaN }, { id: 'b', weight: 1 }]],
  ])('rejects %s', (_label, variants) => {
    expect(() => pickVariant(variants, 'k')).toThrow(RangeError);
  });
});

describe('validateVariants', () => {
  it.each<[string, WeightedVariant[], string[]]>([
    ['valid pair', [{ id: 'a', weight: 1 }, { id: 'b', weight: 2 }], []],
    ['single variant', [{ id: 'a', weight: 1 }], [': A/B variants need at least 2 variants, got 1 (use a single template instead)']],
    ['no variants', [], [': A/B variants need at least 2 variants, got 0 (use a single template instead)']],
    ['zero weight', [{ id: 'a', weight: 0 }, { id: 'b', weight: 1 }], ['[0].weight: weight must be a positive number, got 0']],
    ['infinite weight', [{ id: 'a', weight: 1 }, { id: 'b', weight: Infinity }], ['[1].weight: weight must be a positive number, got Infinity']],
    ['duplicate id', [{ id: 'a', weight: 1 }, { id: 'a', weight: 1 }], ['[1].id: duplicate variant id a']],
    ['blank id', [{ id: ' ', weight: 1 }, { id: 'b', weight: 1 }], ['[0].id: variant id must be a non-empty string']],
  ])('%s', (_label, variants, expected) => {
    expect(validateVariants(variants).map((e) => `${e.path}: ${e.message}`)).toEqual(expected);
  });
});
