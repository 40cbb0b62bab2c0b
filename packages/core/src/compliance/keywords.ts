/**
 * Opt-out / opt-in / help keywords, matched the way carriers and providers do.
 *
 * Sources: CTIA Messaging Principles and Best Practices (https://www.ctia.org/the-wireless-industry/industry-commitments/messaging-interoperability-sms-mms),
 * Twilio Advanced Opt-Out (https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out), Telnyx advanced
 * opt-in/out (https://developers.telnyx.com/docs/messaging/messages/advanced-opt-in-out), AWS SMS opt-out keywords:
 * - CTIA Messaging Principles & Best Practices: STOP-family keywords must opt the contact out,
 *   HELP must return brand name + support contact + opt-out instructions.
 * - Twilio default / Advanced Opt-Out: opt-out STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT
 *   (+ REVOKE, OPTOUT); opt-in START, YES, UNSTOP; help HELP, INFO. "Matching is on the whole
 *   message body, case-insensitive, trimmed."
 * - Telnyx default: + "STOP ALL"; opt-in START, UNSTOP.
 * - AWS: + OPT-OUT, REMOVE, ARRET, TD.
 * - FCC 2024 revocation rule (47 CFR 64.1200(a)(10), https://www.ecfr.gov/current/title-47/section-64.1200): consent may be revoked by "any reasonable
 *   means" — free text such as "stop texting me" is an opt-out *candidate* (`likely_opt_out`).
 */

export type KeywordKind = 'opt_out' | 'opt_in' | 'help';

export interface KeywordLists {
  /** Whole-message opt-out keywords. */
  readonly optOut: readonly string[];
  /** Whole-message opt-in (re-subscribe) keywords. */
  readonly optIn: readonly string[];
  /** Whole-message help keywords. */
  readonly help: readonly string[];
  /**
   * Words / phrases that, found as whole words anywhere in a longer message, make it a
   * `likely_opt_out`. Defaults to {@link DEFAULT_LIKELY_OPT_OUT}.
   */
  readonly likelyOptOut?: readonly string[];
}

export type KeywordMatch =
  | { readonly kind: KeywordKind; readonly keyword: string }
  | { readonly kind: 'likely_opt_out'; readonly keyword: string };

/** Union of the provider/CTIA lists in compliance.md (Twilio, Telnyx, AWS). */
export const DEFAULT_OPT_OUT_KEYWORDS = [
  'STOP',
  'STOPALL',
  'STOP ALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'REVOKE',
  'OPTOUT',
  'OPT-OUT',
  'REMOVE',
  'ARRET',
  'TD',
] as const;

/** compliance.md: START, YES, UNSTOP (Telnyx default omits YES; Twilio includes it). */
export const DEFAULT_OPT_IN_KEYWORDS = ['START', 'YES', 'UNSTOP'] as const;

/** compliance.md: HELP, INFO. */
export const DEFAULT_HELP_KEYWORDS = ['HELP', 'INFO'] as const;

/**
 * Opt-out signals inside free text. Deliberately narrower than the whole-message list: CANCEL, END,
 * QUIT, REMOVE and TD are ordinary words ("cancel my appointment", "end of the day"), so only
 * unambiguous opt-out words plus common revocation phrases are used. A `likely_opt_out` is a
 * candidate for an agent to confirm (FCC: honour within 10 business days), not an automatic opt-out.
 */
export const DEFAULT_LIKELY_OPT_OUT = [
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'OPTOUT',
  'OPT-OUT',
  'OPT OUT',
  'OPT ME OUT',
  'REVOKE',
  'ARRET',
  'REMOVE ME',
  'TAKE ME OFF',
  'QUIT TEXTING',
  'QUIT MESSAGING',
  "DON'T TEXT",
  'DONT TEXT',
  'DO NOT TEXT',
  'DO NOT CONTACT',
  "DON'T CONTACT",
  'NO MORE TEXTS',
  'NO MORE MESSAGES',
] as const;

export const DEFAULT_KEYWORD_LISTS: KeywordLists = {
  optOut: DEFAULT_OPT_OUT_KEYWORDS,
  optIn: DEFAULT_OPT_IN_KEYWORDS,
  help: DEFAULT_HELP_KEYWORDS,
  likelyOptOut: DEFAULT_LIKELY_OPT_OUT,
};

/** Leading/trailing characters ignored: whitespace, punctuation, symbols (emoji), format chars. */
const EDGE_NOISE = /^[\s\p{P}\p{S}\p{Cf}]+|[\s\p{P}\p{S}\p{Cf}]+$/gu;

/**
 * Canonical form used for every comparison: NFKC (full-width letters), accents stripped
 * ("ARRÊT" → "ARRET"), curly apostrophes straightened, upper-cased, inner whitespace collapsed and
 * edge whitespace/punctuation removed ("  Stop! " → "STOP").
 */
export function normalizeKeywordText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u02BC]/g, "'")
    .toUpperCase()
    .replace(EDGE_NOISE, '')
    .replace(/\s+/g, ' ');
}

/** Each list's keywords in canonical form (the first keyword of the list for each form), made once per list. */
const canonicalLists = new WeakMap<readonly string[], Map<string, string>>();

function findExact(normalized: string, list: readonly string[]): string | undefined {
  let canonical = canonicalLists.get(list);
  if (!canonical) {
    canonical = new Map();
    for (const k of list) {
      const form = normalizeKeywordText(k);
      if (!canonical.has(form)) canonical.set(form, k);
    }
    canonicalLists.set(list, canonical);
  }
  return canonical.get(normalized);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whole-word patterns by term, compiled once (bounded: lists are short, custom ones included). */
const wordPatterns = new Map<string, RegExp>();

/** True when `term` occurs in `normalized` as whole word(s) (not inside "stopped", "unstoppable"). */
function containsWord(normalized: string, term: string): boolean {
  let pattern = wordPatterns.get(term);
  if (!pattern) {
    const body = normalizeKeywordText(term).split(' ').map(escapeRegExp).join('\\s+');
    pattern = new RegExp(`(?<![\\p{L}\\p{N}])${body}(?![\\p{L}\\p{N}])`, 'u');
    if (wordPatterns.size >= 1000) wordPatterns.clear();
    wordPatterns.set(term, pattern);
  }
  return pattern.test(normalized);
}

/**
 * Classifies an inbound message body.
 *
 * - Exact keyword (whole message, case-insensitive, surrounding whitespace/punctuation ignored):
 *   `{ kind: 'opt_out' | 'opt_in' | 'help', keyword }` with the canonical keyword from the list.
 *   Opt-out is checked first, so a keyword present in two lists is treated as opt-out.
 * - Otherwise, if an opt-out word/phrase appears as a word: `{ kind: 'likely_opt_out', keyword }`.
 * - Otherwise `null`.
 */
export function matchKeyword(body: string, lists: KeywordLists = DEFAULT_KEYWORD_LISTS): KeywordMatch | null {
  const normalized = normalizeKeywordText(body);
  if (normalized === '') return null;

  const classes: readonly [KeywordKind, readonly string[]][] = [
    ['opt_out', lists.optOut],
    ['opt_in', lists.optIn],
    ['help', lists.help],
  ];
  for (const [kind, list] of classes) {
    const keyword = findExact(normalized, list);
    if (keyword !== undefined) return { kind, keyword };
  }

  const likely = lists.likelyOptOut ?? DEFAULT_LIKELY_OPT_OUT;
  const hit = likely.find((term) => containsWord(normalized, term));
  return hit === undefined ? null : { kind: 'likely_opt_out', keyword: hit };
}

/**
 * Returns the reserved keyword that a custom (queue / automation) keyword collides with, or `null`.
 * Refuse such keywords at save time: carriers and providers act on reserved keywords themselves
 * (Twilio blocks later sends with 21610, Telnyx with 40300), and an automation triggered by a word
 * that means "stop" would hijack an opt-out. A custom keyword collides when it equals any reserved
 * opt-out / opt-in / help keyword after normalisation, or contains an opt-out word as a word
 * (e.g. "STOP NOW").
 */
export function keywordCollision(word: string, lists: KeywordLists = DEFAULT_KEYWORD_LISTS): string | null {
  const match = matchKeyword(word, lists);
  return match === null ? null : match.keyword;
}

// -------------------------------------------------------------------------------------------------
// HELP / confirmation texts
// -------------------------------------------------------------------------------------------------

/** Elements CTIA expects in a HELP response (compliance.md "Help" row; CTIA Principles 5.x). */
export type HelpTextElement = 'business_name' | 'opt_out_instructions' | 'rates_disclaimer' | 'contact';

/** "Reply STOP to opt out", "Text END to cancel", "reply 'STOP'", ... */
const OPT_OUT_INSTRUCTION =
  /\b(?:reply|text|txt|send|respond(?:\s+with)?)\s+["'“”‘’]?(?:STOP|STOPALL|UNSUBSCRIBE|CANCEL|END|QUIT|OPTOUT)\b/iu;
/** "Msg & data rates may apply" / "Message and data rates may apply". */
const RATES_DISCLAIMER = /\b(?:msg|message)s?\s*(?:&|and|\+)\s*data\s+rates\s+may\s+apply\b/iu;
const EMAIL = /[^\s@]+@[^\s@]+\.[a-z]{2,}/iu;
const WEB_ADDRESS = /\b(?:https?:\/\/|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|us|ca|uk|au|biz|info)\b/iu;
/** 7+ digit phone number with optional separators, or a 5–6 digit short code. */
const PHONE = /\+?\d[\d\s().-]{5,}\d|\b\d{5,6}\b/u;

/** True when `text` already tells the recipient how to opt out (e.g. "Reply STOP to opt out"). */
export function hasOptOutLanguage(text: string): boolean {
  return OPT_OUT_INSTRUCTION.test(text);
}

/**
 * Lists the required HELP-response elements missing from `text` (empty array = compliant):
 * business name, how to opt out, "Msg & data rates may apply", and a contact (phone, e-mail or URL).
 */
export function validateHelpText(text: string, businessName: string): HelpTextElement[] {
  const missing: HelpTextElement[] = [];
  const squash = (s: string): string => s.replace(/\s+/g, ' ').trim().toLowerCase();
  const name = squash(businessName);
  if (name === '' || !squash(text).includes(name)) missing.push('business_name');
  if (!hasOptOutLanguage(text)) missing.push('opt_out_instructions');
  if (!RATES_DISCLAIMER.test(text)) missing.push('rates_disclaimer');
  if (!EMAIL.test(text) && !WEB_ADDRESS.test(text) && !PHONE.test(text)) missing.push('contact');
  return missing;
}

export interface ComplianceTexts {
  /** The single confirmation allowed after STOP (CTIA); no marketing content. */
  readonly optOutConfirmation: string;
  /** Sent after START / express opt-in. */
  readonly optInConfirmation: string;
  /** Reply to HELP / INFO; passes {@link validateHelpText}. */
  readonly help: string;
}

/**
 * Default confirmation / help texts for a business. `contact` should be a phone number, e-mail
 * address or URL so the HELP text contains a contact (CTIA).
 */
export function defaultComplianceTexts(businessName: string, contact: string): ComplianceTexts {
  const name = businessName.trim();
  const who = contact.trim();
  return {
    optOutConfirmation: `${name}: You are unsubscribed and will receive no further messages. Reply START to resubscribe.`,
    optInConfirmation: `${name}: You are subscribed to messages. Msg frequency varies. Msg & data rates may apply. Reply HELP for help. Reply STOP to opt out.`,
    help: `${name}: For help, contact ${who}. Msg & data rates may apply. Reply STOP to opt out.`,
  };
}

/**
 * Appends opt-out language (CTIA: the first message to a new contact should include it) unless the
 * body already contains opt-out instructions or the exact `language`. The language goes on its own
 * line, so a trailing URL in the body is never altered by added punctuation.
 */
export function appendOptOutLanguage(body: string, language = 'Reply STOP to opt out'): string {
  const trimmed = body.trimEnd();
  if (trimmed === '') return language;
  const already =
    hasOptOutLanguage(trimmed) || normalizeKeywordText(trimmed).includes(normalizeKeywordText(language));
  return already ? body : `${trimmed}\n${language}`;
}
