/**
 * SMS encoding choice and segment counting, per 3GPP TS 23.038 / 23.040 (GSM-7 160/153, UCS-2 70/67,
 * escape characters count two septets, surrogate pairs two UCS-2 units) and the behaviour of
 * https://github.com/TwilioDevEd/message-segment-calculator/tree/a50230f.
 */
import { GSM7_SEPTETS } from './gsm7-charset.js';
import { SMART_ENCODING_MAP } from './smart-encoding-map.js';

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  encoding: SmsEncoding;
  /** Number of SMS segments billed/sent. Never less than 1 (an empty body is 1 GSM-7 segment). */
  segments: number;
  /**
   * User-perceived length is ambiguous (graphemes vs code points vs code units); here it is the number of
   * Unicode code points, e.g. '😜' = 1, '👍🏽' = 2, a lone surrogate = 1, '\r\n' = 2.
   */
  characters: number;
  /** Encoded size: septets for GSM-7 (extension chars = 2), UTF-16 code units for UCS-2. */
  units: number;
  /** Units carried by each segment, in order (length === segments); e.g. 161 × '1' → [153, 8]. */
  segmentUnits: number[];
}

export interface CountSegmentsOptions {
  /** Apply Twilio-style smart encoding ({@link smartEncode}) before counting. Default false. */
  smartEncoding?: boolean;
}

/** Payload capacity in units: [single segment, each segment of a concatenated message (6-octet UDH)]. */
const CAPACITY: Record<SmsEncoding, readonly [single: number, concatenated: number]> = {
  'GSM-7': [160, 153],
  'UCS-2': [70, 67],
};

/**
 * Count the segments `text` needs. GSM-7 if every character is in the GSM-7 basic or extension table,
 * otherwise UCS-2 for the whole message. When concatenated, segments are packed greedily so that an
 * escape pair (GSM-7) or a surrogate pair (UCS-2) is never split — a segment may hold 152 septets or
 * 66 units, so the count can exceed ceil(units / 153). Lone surrogates and NUL never throw: both are
 * non-GSM (→ UCS-2) and a lone surrogate is 1 unit.
 */
export function countSegments(text: string, options: CountSegmentsOptions = {}): SegmentCount {
  const body = options.smartEncoding ? smartEncode(text) : text;
  // Iterating a string yields code points; a surrogate pair stays together, a lone surrogate is alone.
  const chars = Array.from(body);
  const encoding: SmsEncoding = chars.every((c) => GSM7_SEPTETS.has(c)) ? 'GSM-7' : 'UCS-2';
  const sizes = chars.map((c) => (encoding === 'GSM-7' ? (GSM7_SEPTETS.get(c) ?? 1) : c.length));
  const units = sizes.reduce((sum, n) => sum + n, 0);
  const [single, concatenated] = CAPACITY[encoding];

  let segmentUnits = [units];
  if (units > single) {
    segmentUnits = [0];
    for (const size of sizes) {
      const last = segmentUnits.length - 1;
      const used = segmentUnits[last] ?? 0;
      if (used + size > concatenated) segmentUnits.push(size);
      else segmentUnits[last] = used + size;
    }
  }
  return { encoding, segments: segmentUnits.length, characters: chars.length, units, segmentUnits };
}

/**
 * Replace look-alike Unicode characters with GSM-7 equivalents (curly quotes → straight, dashes → '-',
 * '…' → '...', exotic spaces → spaces, zero-width chars removed), using the Twilio "Smart Encoding" table
 * in smart-encoding-map.ts (from https://github.com/TwilioDevEd/message-segment-calculator/blob/a50230f/src/libs/SmartEncodingMap.ts). Other characters are kept as is,
 * so the result is still UCS-2 if it contains e.g. emoji or 'á'.
 */
export function smartEncode(text: string): string {
  let out = '';
  for (const c of text) out += SMART_ENCODING_MAP.get(c) ?? c;
  return out;
}

export interface SegmentPreview {
  original: SegmentCount;
  smartEncoded: SegmentCount & { text: string };
}

/** Segment counts before and after smart encoding, so a composer can show what replacement would save. */
export function previewSegments(text: string): SegmentPreview {
  const encoded = smartEncode(text);
  return { original: countSegments(text), smartEncoded: { ...countSegments(encoded), text: encoded } };
}
