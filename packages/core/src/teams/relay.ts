/**
 * Texts between a team's agents and the people who write to its business numbers.
 *
 * - A forwarded text reads exactly `+15554265646: <the original text>`: the sender in E.164, a
 *   colon, a space, the text. When that is longer than one text may be, it goes as several.
 * - An agent answers by texting the business number back. The answer goes to the person most
 *   recently forwarded to that agent, or to the one an explicit prefix names: `@5554265646 text`,
 *   `@+15554265646 text`, or `@4646 text` (the last digits, when only one candidate ends so).
 */

/** The forwarded text for one sender and body. */
export function formatForwardedText(fromE164: string, body: string): string {
  return `${fromE164}: ${body}`;
}

/**
 * The forwarded text cut into texts of at most `maxLength` characters (code points): the first
 * carries the prefix, the others continue the body. One text when it fits.
 */
export function splitForwardedText(fromE164: string, body: string, maxLength: number): string[] {
  const whole = formatForwardedText(fromE164, body);
  const chars = [...whole];
  if (chars.length <= maxLength) return [whole];
  const parts: string[] = [];
  for (let i = 0; i < chars.length; i += maxLength) parts.push(chars.slice(i, i + maxLength).join(''));
  return parts;
}

export interface RelayPrefix {
  /** The digits after `@` (without a `+`). */
  digits: string;
  /** The text after the prefix, trimmed at its start. */
  text: string;
}

const PREFIX = /^\s*@\+?(\d{4,15})(?![\d])[\s:,]*([\s\S]*)$/u;

/** `@5554265646 hello` → { digits: '5554265646', text: 'hello' }; null without a prefix. */
export function parseRelayPrefix(body: string): RelayPrefix | null {
  const match = PREFIX.exec(body);
  if (!match) return null;
  return { digits: match[1] ?? '', text: match[2] ?? '' };
}

export type RelayTarget =
  | { kind: 'target'; e164: string; text: string; explicit: boolean }
  | { kind: 'none' }
  | { kind: 'unknown'; digits: string }
  | { kind: 'ambiguous'; digits: string; matches: string[] }
  | { kind: 'empty'; e164: string };

/**
 * Whom an agent's text is for. `candidates` are the E.164 numbers the agent may answer, most recent
 * first (those forwarded to them, or their open sessions' originators).
 */
export function resolveRelayTarget(body: string, candidates: readonly string[]): RelayTarget {
  const prefix = parseRelayPrefix(body);
  if (!prefix) {
    const latest = candidates[0];
    return latest === undefined ? { kind: 'none' } : { kind: 'target', e164: latest, text: body, explicit: false };
  }
  const unique = [...new Set(candidates)];
  const matches = unique.filter((e164) => e164.replace(/\D/g, '').endsWith(prefix.digits));
  if (matches.length === 0) return { kind: 'unknown', digits: prefix.digits };
  // A full number (with its country code) names one candidate even if a shorter suffix would not.
  const exact = matches.filter((e164) => e164.replace(/\D/g, '') === prefix.digits);
  const chosen = exact.length === 1 ? exact : matches;
  if (chosen.length > 1) return { kind: 'ambiguous', digits: prefix.digits, matches: chosen };
  const e164 = chosen[0] as string;
  if (prefix.text.trim() === '') return { kind: 'empty', e164 };
  return { kind: 'target', e164, text: prefix.text, explicit: true };
}
