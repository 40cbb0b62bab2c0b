import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GSM7_CHARSET, GSM7_SEPTETS } from './gsm7-charset.js';
import { countSegments, previewSegments, smartEncode } from './index.js';
import { SMART_ENCODING_MAP } from './smart-encoding-map.js';

const a = (n: number) => 'a'.repeat(n);
const EXTENSION_CHARS = ['^', '{', '}', '\\', '[', '~', ']', '|', '€', '\f'];

describe('countSegments — worked examples from sms-encoding.md', () => {
  it('160 × "1" is one GSM-7 segment', () => {
    expect(countSegments('1'.repeat(160))).toEqual({
      encoding: 'GSM-7',
      segments: 1,
      characters: 160,
      units: 160,
      segmentUnits: [160],
    });
  });

  it('161 × "1" is 2 segments (153 + 8)', () => {
    expect(countSegments('1'.repeat(161))).toMatchObject({ encoding: 'GSM-7', segments: 2, segmentUnits: [153, 8] });
  });

  it('307 × "1" is 3 segments (153 + 153 + 1)', () => {
    expect(countSegments('1'.repeat(307))).toMatchObject({ segments: 3, segmentUnits: [153, 153, 1] });
  });

  it('😜 + 68 digits is 70 UCS-2 units in one segment; one more digit makes 2', () => {
    expect(countSegments('😜' + '1'.repeat(68))).toEqual({
      encoding: 'UCS-2',
      segments: 1,
      characters: 69,
      units: 70,
      segmentUnits: [70],
    });
    expect(countSegments('😜' + '1'.repeat(69))).toMatchObject({
      encoding: 'UCS-2',
      segments: 2,
      units: 71,
      segmentUnits: [67, 4],
    });
  });

  it('"{" × 80 is 160 septets in 1 segment; × 81 is 2 segments of 76 + 5 characters', () => {
    expect(countSegments('{'.repeat(80))).toEqual({
      encoding: 'GSM-7',
      segments: 1,
      characters: 80,
      units: 160,
      segmentUnits: [160],
    });
    expect(countSegments('{'.repeat(81))).toMatchObject({ segments: 2, units: 162, segmentUnits: [152, 10] });
  });

  it('curly apostrophe and em dash force UCS-2; smart encoding makes it GSM-7', () => {
    const text = 'We’re on our way — …';
    expect(countSegments(text)).toMatchObject({ encoding: 'UCS-2', characters: 20, units: 20 });
    expect(countSegments(text, { smartEncoding: true })).toMatchObject({ encoding: 'GSM-7', characters: 22, units: 22 });
    expect(smartEncode(text)).toBe("We're on our way - ...");
  });
});

describe('countSegments — encoding choice', () => {
  it('an empty body is 1 GSM-7 segment', () => {
    expect(countSegments('')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 0, units: 0, segmentUnits: [0] });
  });

  it.each(['ü', 'ö', 'ä', 'ñ', 'é', 'è', 'à', 'ù', 'ì', 'ò', 'Ç', 'É', 'Å', 'Ø', 'Δ', 'ß', '¿', '¡', '§', '£', '¥', '¤', '@', '_'])(
    '%s is in the GSM-7 basic table (1 septet)',
    (c) => {
      expect(countSegments(`Hi ${c}`)).toMatchObject({ encoding: 'GSM-7', units: 4 });
    },
  );

  it.each(['á', 'í', 'ó', 'ú', 'ç', 'ê', 'â', '’', '—', '`', '😜', '\t', '\u00A0', 'Ω\u0301'])(
    'one %j anywhere flips the whole message to UCS-2',
    (c) => {
      const text = a(100) + c + a(100);
      const result = countSegments(text);
      expect(result.encoding).toBe('UCS-2');
      expect(result.units).toBe(text.length);
      expect(result.segments).toBe(Math.ceil(text.length / 67));
    },
  );

  it.each(EXTENSION_CHARS)('extension char %j costs 2 septets and never splits', (c) => {
    expect(countSegments(c)).toEqual({ encoding: 'GSM-7', segments: 1, characters: 1, units: 2, segmentUnits: [2] });
    expect(countSegments(c.repeat(80))).toMatchObject({ segments: 1, units: 160 });
    expect(countSegments(c.repeat(81))).toMatchObject({ segments: 2, segmentUnits: [152, 10] });
  });

  it('all extension chars together', () => {
    const text = EXTENSION_CHARS.join('');
    expect(countSegments(text)).toMatchObject({ encoding: 'GSM-7', characters: 10, units: 20 });
  });

  it('\\r\\n counts as two GSM-7 characters', () => {
    expect(countSegments('Hi\r\nthere')).toMatchObject({ encoding: 'GSM-7', characters: 9, units: 9 });
    expect(countSegments('\r\n'.repeat(80))).toMatchObject({ segments: 1, units: 160 });
    expect(countSegments('\r\n'.repeat(81))).toMatchObject({ segments: 2, segmentUnits: [153, 9] });
  });

  it('NUL is not GSM-7, so it forces UCS-2 without throwing; smart encoding removes it', () => {
    expect(countSegments('\0')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 1, units: 1, segmentUnits: [1] });
    expect(countSegments('hello\0')).toMatchObject({ encoding: 'UCS-2', units: 6 });
    expect(countSegments('hello\0', { smartEncoding: true })).toMatchObject({ encoding: 'GSM-7', units: 5 });
  });

  it('lone surrogates are 1 UCS-2 unit and 1 character each, without throwing', () => {
    expect(countSegments('\uD83D')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 1, units: 1, segmentUnits: [1] });
    expect(countSegments('abc\uDE00')).toMatchObject({ encoding: 'UCS-2', characters: 4, units: 4 });
    // Reversed order: two lone surrogates, not a pair.
    expect(countSegments('\uDE1C\uD83D')).toMatchObject({ characters: 2, units: 2 });
  });
});

describe('countSegments — emoji', () => {
  it.each([
    ['😜', 1, 2],
    ['👍🏽', 2, 4],
    ['🇺🇸', 2, 4],
    ['👨‍👩‍👧‍👦', 7, 11],
    ['❤️', 2, 2],
  ])('%s is %i code points and %i units', (emoji, characters, units) => {
    expect(countSegments(emoji)).toMatchObject({ encoding: 'UCS-2', segments: 1, characters, units });
  });

  it('mixed text and emoji', () => {
    expect(countSegments('Thanks! 👍🏽 See you at 5 🇺🇸')).toMatchObject({
      encoding: 'UCS-2',
      characters: 26,
      units: 30,
      segments: 1,
    });
  });

  it('a ZWJ sequence may be split across segments, but never inside a surrogate pair', () => {
    // 61 units + family (👨 ZWJ 👩 ZWJ 👧 ZWJ 👦 = 2+1+2+1+2+1+2): 👨‍👩‍ fits in 67, 👧‍👦 goes on.
    expect(countSegments('ç' + a(60) + '👨‍👩‍👧‍👦')).toMatchObject({ units: 72, segmentUnits: [67, 5] });
  });
});

describe('countSegments — boundaries where a pair would straddle a segment', () => {
  it.each([
    // [text, segmentUnits]
    [a(151) + '{' + a(8), [153, 8]], // escape ends exactly at septet 153
    [a(152) + '{' + a(8), [152, 10]], // escape would occupy septets 153–154: moved whole
    [a(153) + '{' + a(6), [153, 8]], // escape starts the second segment
    [a(154) + '{' + a(5), [153, 8]],
  ])('GSM-7 %#', (text, segmentUnits) => {
    expect(countSegments(text)).toMatchObject({ encoding: 'GSM-7', segments: 2, segmentUnits });
  });

  it('single-segment limit counts the escape pair: 158 + "{" fits, 159 + "{" does not', () => {
    expect(countSegments(a(158) + '{')).toMatchObject({ segments: 1, units: 160 });
    expect(countSegments(a(159) + '{')).toMatchObject({ segments: 2, segmentUnits: [153, 8] });
  });

  it('greedy packing can need more segments than ceil(units / 153)', () => {
    const r = countSegments(a(152) + '{' + a(152));
    expect(r.units).toBe(306); // ceil(306 / 153) would be 2
    expect(r).toMatchObject({ segments: 3, segmentUnits: [152, 153, 1] });
  });

  it.each([
    ['ç' + a(64) + '😜' + a(10), [67, 10]], // pair ends exactly at unit 67
    ['ç' + a(65) + '😜' + a(10), [66, 12]], // pair would occupy units 67–68: moved whole
    ['ç' + a(66) + '😜' + a(10), [67, 12]], // pair starts the second segment
  ])('UCS-2 surrogate pair %#', (text, segmentUnits) => {
    expect(countSegments(text)).toMatchObject({ encoding: 'UCS-2', segments: 2, segmentUnits });
  });

  it('UCS-2 single-segment limit counts the pair: 68 + 😜 fits, 69 + 😜 does not', () => {
    expect(countSegments(a(68) + '😜')).toMatchObject({ segments: 1, units: 70 });
    expect(countSegments(a(69) + '😜')).toMatchObject({ segments: 2, segmentUnits: [67, 4] });
  });

  it('UCS-2 greedy packing can need more segments than ceil(units / 67)', () => {
    expect(countSegments('ç' + a(65) + '😜' + a(66))).toMatchObject({ units: 134, segments: 3, segmentUnits: [66, 67, 1] });
  });

  it('a lone surrogate is 1 unit, so it can fill the last unit of a segment', () => {
    expect(countSegments('ç' + a(65) + '\uD83D' + a(5))).toMatchObject({ segmentUnits: [67, 5] });
  });
});

describe('countSegments — long bodies (10,000 characters)', () => {
  it('plain GSM-7', () => {
    const r = countSegments(a(10_000));
    expect(r).toMatchObject({ encoding: 'GSM-7', characters: 10_000, units: 10_000, segments: 66 });
    expect(r.segmentUnits.at(-1)).toBe(10_000 - 65 * 153);
  });

  it('all escape chars: 76 per segment', () => {
    const r = countSegments('€'.repeat(10_000));
    expect(r).toMatchObject({ units: 20_000, segments: 132 }); // ceil(20000/153) would be 131
    expect(r.segmentUnits.slice(0, 131).every((n) => n === 152)).toBe(true);
    expect(r.segmentUnits.at(-1)).toBe(2 * (10_000 - 131 * 76));
  });

  it('BMP UCS-2', () => {
    expect(countSegments('ç'.repeat(10_000))).toMatchObject({ encoding: 'UCS-2', units: 10_000, segments: 150 });
  });

  it('all emoji: 33 per segment', () => {
    const r = countSegments('😜'.repeat(10_000));
    expect(r).toMatchObject({ characters: 10_000, units: 20_000, segments: 304 }); // ceil(20000/67) would be 299
    expect(r.segmentUnits.at(-1)).toBe(2 * (10_000 - 303 * 33));
  });

  it('segment units always sum to the total and respect the concatenated capacity', () => {
    const pieces = ['a', '{', '😜', 'ç', '\r\n', '€', ' '];
    let seed = 7;
    for (let run = 0; run < 20; run++) {
      let text = '';
      for (let i = 0; i < 500; i++) {
        seed = (seed * 48271) % 2147483647; // MINSTD, deterministic
        text += pieces[seed % (run % 2 === 0 ? 2 : pieces.length)] ?? '';
      }
      const r = countSegments(text);
      const cap = r.encoding === 'GSM-7' ? 153 : 67;
      expect(r.segmentUnits.reduce((s, n) => s + n, 0)).toBe(r.units);
      expect(r.segmentUnits.length).toBe(r.segments);
      expect(Math.max(...r.segmentUnits)).toBeLessThanOrEqual(cap);
      expect(r.segments).toBeGreaterThanOrEqual(Math.ceil(r.units / cap));
    }
  });
});

describe('smartEncode', () => {
  it.each([
    ['‘quoted’ “text”', `'quoted' "text"`],
    ['a – b — c', 'a - b - c'],
    ['wait…', 'wait...'],
    ['½ off', '1/2 off'],
    ['ＡＢＣ１２３', 'ABC123'],
    ['a\u200Bb\uFEFFc', 'abc'], // zero-width space / BOM removed
    ['a\u00A0b', 'a  b'], // NBSP → two spaces, as in the upstream table
    ['a\tb', 'a       b'], // tab → 7 spaces, as in the upstream table
    ['‼', '!!'],
    ['• item', '- item'],
  ])('%j → %j', (input, expected) => {
    expect(smartEncode(input)).toBe(expected);
  });

  it('leaves GSM characters, emoji, accented non-GSM letters and lone surrogates unchanged', () => {
    const text = 'Héllo {ü} 😜 á ç \uD83D';
    expect(smartEncode(text)).toBe(text);
    expect(countSegments('We’re 😜', { smartEncoding: true })).toMatchObject({ encoding: 'UCS-2', units: 8 });
  });

  it('is idempotent over the whole map', () => {
    const all = [...SMART_ENCODING_MAP.keys()].join('');
    const once = smartEncode(all);
    expect(smartEncode(once)).toBe(once);
  });

  it('every replacement turns a non-GSM character into GSM-7 text', () => {
    expect(SMART_ENCODING_MAP.size).toBe(271);
    for (const [from, to] of SMART_ENCODING_MAP) {
      expect(GSM7_SEPTETS.has(from)).toBe(false);
      expect(countSegments(`x${from}x`, { smartEncoding: true }).encoding).toBe('GSM-7');
      expect(smartEncode(from)).toBe(to);
    }
  });
});

describe('previewSegments', () => {
  it('shows the saving from smart encoding', () => {
    const text = '“Your table is ready” — we’ll hold it for 10 minutes…';
    const preview = previewSegments(text);
    expect(preview.original).toEqual(countSegments(text));
    expect(preview.original.encoding).toBe('UCS-2');
    expect(preview.smartEncoded).toEqual({
      ...countSegments(text, { smartEncoding: true }),
      text: `"Your table is ready" - we'll hold it for 10 minutes...`,
    });
    expect(preview.smartEncoded.encoding).toBe('GSM-7');
  });

  it('drops from 2 segments to 1 when only look-alikes force UCS-2', () => {
    const text = 'It’s ' + a(80);
    const preview = previewSegments(text);
    expect(preview.original).toMatchObject({ encoding: 'UCS-2', segments: 2 });
    expect(preview.smartEncoded).toMatchObject({ encoding: 'GSM-7', segments: 1, units: 85 });
  });

  it('is identical before and after for plain GSM-7 text', () => {
    const preview = previewSegments('See you at 5pm!');
    expect(preview.smartEncoded).toEqual({ ...preview.original, text: 'See you at 5pm!' });
  });
});

describe('GSM-7 table (gsm7-charset.ts)', () => {
  it('has 127 basic and 10 extension characters', () => {
    expect(GSM7_CHARSET).toHaveLength(137);
    expect(GSM7_SEPTETS.size).toBe(137);
    const ext = [...GSM7_SEPTETS].filter(([, n]) => n === 2).map(([c]) => c);
    expect(ext.sort()).toEqual([...EXTENSION_CHARS].sort());
  });

  it('has no ESC, NUL or control characters other than LF, FF and CR', () => {
    const controls = [...GSM7_SEPTETS.keys()].filter((c) => c < ' ');
    expect(controls.sort()).toEqual(['\n', '\f', '\r']);
  });

  // Conversion check against the source files (packages/core/sources, with their origin in its README.md).
  const csvPath = fileURLToPath(new URL('../../sources/gsm7-charset.csv', import.meta.url));
  const jsonPath = fileURLToPath(new URL('../../sources/smart-encoding-map.json', import.meta.url));

  it('matches gsm7-charset.csv row for row', () => {
    const rows = readFileSync(csvPath, 'utf8').trim().split('\n').slice(1);
    const fromCsv = rows.map((row) => {
      const [cp = '', , hex = '', table = '', septets = ''] = row.split(',');
      return [parseInt(cp.slice(2), 16), hex, table, Number(septets)];
    });
    expect(GSM7_CHARSET.map(([cp, hex, table]) => [cp, hex, table, table === 'basic' ? 1 : 2])).toEqual(fromCsv);
  });

  it('matches smart-encoding-map.json entry for entry', () => {
    const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as { map: Record<string, { from: string; to: string }> };
    expect([...SMART_ENCODING_MAP]).toEqual(Object.values(json.map).map(({ from, to }) => [from, to]));
  });
});
