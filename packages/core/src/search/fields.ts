import { DELIVERY_STATUSES } from '../compliance/delivery-status.js';
/**
 * The fields of the search language, defined once: the parser checks queries against this table,
 * docs/search.md shows it, and `GET /v1/search/explain` returns it for the inbox's hints.
 */

/** Where a field may appear: at the top level (a contact and its conversations), inside `sms(…)` or inside `call(…)`. */
export type FieldScope = 'contact' | 'sms' | 'call';

/**
 * - `text`: `field:value` is a case-insensitive substring match (`name:ann` finds "Joanne");
 * - `keyword`: a case-insensitive exact match;
 * - `enum`: one of `values` (aliases resolved by the parser);
 * - `number`: a whole number, with `:` (equal), `>`, `>=`, `<`, `<=`;
 * - `date`: a day, a period or an instant (see dates.ts), with the same comparisons;
 * - `boolean`: `true`/`false` (also `yes`/`no`);
 * - `phone`: a phone number in any format, or some of its digits;
 * - `user`, `team`: `me`/`none` or an id, email or name.
 */
export type FieldType = 'text' | 'keyword' | 'enum' | 'number' | 'date' | 'boolean' | 'phone' | 'user' | 'team' | 'duration';

export interface FieldDefinition {
  name: string;
  scope: FieldScope;
  type: FieldType;
  /** One line for people: docs and UI hints. */
  meaning: string;
  /** For enums: the values a user may type, each with the stored values it means. */
  values?: Record<string, readonly string[]>;
  /** May be used with `sort:`. */
  sortable?: boolean;
}

/** Every status a message can have: the outbound ones and `received`. */
export const MESSAGE_STATUSES = [...DELIVERY_STATUSES, 'received'] as const;

const SMS_STATUS_VALUES: Record<string, readonly string[]> = {
  error: ['failed', 'undelivered'],
  ...Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, [s]])),
};

/** The statuses of an outbound text that reached (or was refused by) the carrier: `sms_sent` counts these. */
export const SENT_STATUSES = ['sent', 'delivered', 'undelivered', 'failed'] as const;
/** A failed text: `failed_sms`, `status:error`, `has:error_sms_messages`. */
export const ERROR_STATUSES = ['failed', 'undelivered'] as const;

const DIRECTION_VALUES: Record<string, readonly string[]> = {
  incoming: ['inbound'],
  inbound: ['inbound'],
  outgoing: ['outbound'],
  outbound: ['outbound'],
};

const CALL_STATUS_VALUES: Record<string, readonly string[]> = {
  answered: ['answered'],
  missed: ['missed'],
  voicemail: ['voicemail'],
  'too-short': ['too_short'],
  too_short: ['too_short'],
  'answered-elsewhere': ['answered_elsewhere'],
  answered_elsewhere: ['answered_elsewhere'],
};

export const FIELDS: readonly FieldDefinition[] = [
  // A contact.
  { name: 'name', scope: 'contact', type: 'text', meaning: "The contact's name contains this", sortable: true },
  { name: 'phone', scope: 'contact', type: 'phone', meaning: "The contact's number: any format (+14159434591, (415) 943-4591), or some of its digits" },
  { name: 'source', scope: 'contact', type: 'keyword', meaning: 'Where the contact came from (inbound_call, lead, sms, ...)' },
  { name: 'created', scope: 'contact', type: 'date', meaning: 'When the contact was created', sortable: true },
  { name: 'updated', scope: 'contact', type: 'date', meaning: 'When the contact was last changed', sortable: true },
  { name: 'opted_out', scope: 'contact', type: 'boolean', meaning: "The contact's latest consent change is an opt-out (STOP)" },
  {
    name: 'consent',
    scope: 'contact',
    type: 'enum',
    meaning: "The contact's latest consent change (none: never recorded)",
    values: { opted_in: ['opted_in'], implied: ['implied'], opted_out: ['opted_out'], none: ['none'] },
  },
  { name: 'suppressed', scope: 'contact', type: 'boolean', meaning: "The contact's number is on the suppression (do-not-contact) list" },
  // Its conversations (on the contacts list: any of the contact's conversations).
  { name: 'assignee', scope: 'contact', type: 'user', meaning: 'The conversation is assigned to this user: me, none, a user id or email' },
  { name: 'team', scope: 'contact', type: 'team', meaning: "The conversation's team: none, a team id or name" },
  { name: 'number', scope: 'contact', type: 'phone', meaning: 'The business number of the conversation (any format, or its id)' },
  { name: 'status', scope: 'contact', type: 'enum', meaning: 'The conversation is open or closed', values: { open: ['open'], closed: ['closed'] } },
  { name: 'unread', scope: 'contact', type: 'boolean', meaning: 'The conversation has unread texts' },
  { name: 'last_inbound', scope: 'contact', type: 'date', meaning: 'When the conversation last received a text' },
  { name: 'last_outbound', scope: 'contact', type: 'date', meaning: 'When the conversation last sent a text' },
  // Counters of the contact's texts and calls.
  { name: 'failed_sms', scope: 'contact', type: 'number', meaning: 'Texts to the contact that failed or were undelivered' },
  { name: 'sms_sent', scope: 'contact', type: 'number', meaning: 'Texts to the contact that went to the carrier (sent, delivered, undelivered, failed)' },
  { name: 'sms_received', scope: 'contact', type: 'number', meaning: 'Texts from the contact' },
  { name: 'missed_calls', scope: 'contact', type: 'number', meaning: 'Missed calls from or to the contact' },
  {
    name: 'latest_sms_status',
    scope: 'contact',
    type: 'enum',
    meaning: 'Status of the latest text sent to the contact (error = failed or undelivered)',
    values: SMS_STATUS_VALUES,
  },
  // Inside sms(…): one text.
  { name: 'direction', scope: 'sms', type: 'enum', meaning: 'incoming (inbound) or outgoing (outbound)', values: DIRECTION_VALUES },
  { name: 'status', scope: 'sms', type: 'enum', meaning: 'Its status; error = failed or undelivered', values: SMS_STATUS_VALUES },
  { name: 'reason', scope: 'sms', type: 'keyword', meaning: 'Why it failed, was held or blocked (landline_or_unreachable, opted_out, ...)' },
  { name: 'error_code', scope: 'sms', type: 'keyword', meaning: "The carrier's error code" },
  { name: 'created', scope: 'sms', type: 'date', meaning: 'When it was created (sent or received)' },
  { name: 'number', scope: 'sms', type: 'phone', meaning: 'The business number it went through (any format, or its id)' },
  { name: 'automation', scope: 'sms', type: 'keyword', meaning: 'The automation that sent it: its id or name' },
  { name: 'variant', scope: 'sms', type: 'keyword', meaning: 'The A/B variant of the automation step that sent it' },
  { name: 'body', scope: 'sms', type: 'text', meaning: 'Its text contains this' },
  // Inside call(…): one call.
  {
    name: 'status',
    scope: 'call',
    type: 'enum',
    meaning: 'Its outcome: answered, missed, voicemail, too-short, answered-elsewhere',
    values: CALL_STATUS_VALUES,
  },
  { name: 'direction', scope: 'call', type: 'enum', meaning: 'incoming (inbound) or outgoing (outbound)', values: DIRECTION_VALUES },
  { name: 'created', scope: 'call', type: 'date', meaning: 'When it was recorded' },
  { name: 'duration', scope: 'call', type: 'duration', meaning: 'How long it lasted: seconds (90) or 90s, 2m, 1h' },
  { name: 'number', scope: 'call', type: 'phone', meaning: 'The business number it came to or from (any format, or its id)' },
];

/** `has:<name>`: a shorthand for a field test. */
export interface HasDefinition {
  name: string;
  meaning: string;
  /** The query it stands for (parsed like any other). */
  means: string;
}

export const HAS: readonly HasDefinition[] = [
  { name: 'error_sms_messages', meaning: 'At least one failed or undelivered text', means: 'failed_sms >= 1' },
  { name: 'failed_sms', meaning: 'Same as error_sms_messages', means: 'failed_sms >= 1' },
  { name: 'sms_messages', meaning: 'At least one text, either way', means: 'sms()' },
  { name: 'sent_sms', meaning: 'At least one text sent to the carrier', means: 'sms_sent >= 1' },
  { name: 'received_sms', meaning: 'At least one text from the contact', means: 'sms_received >= 1' },
  { name: 'calls', meaning: 'At least one call', means: 'call()' },
  { name: 'missed_calls', meaning: 'At least one missed call', means: 'missed_calls >= 1' },
  { name: 'unread', meaning: 'A conversation with unread texts', means: 'unread:true' },
  { name: 'consent', meaning: 'Opted in or implied consent (latest consent change)', means: 'consent:opted_in or consent:implied' },
  { name: 'assignee', meaning: 'A conversation assigned to someone', means: 'not assignee:none' },
];

export const SORTABLE = FIELDS.filter((f) => f.sortable && f.scope === 'contact').map((f) => f.name);

export function fieldsOf(scope: FieldScope): FieldDefinition[] {
  return FIELDS.filter((f) => f.scope === scope);
}

export function findField(scope: FieldScope, name: string): FieldDefinition | undefined {
  return FIELDS.find((f) => f.scope === scope && f.name === name);
}

/** The closest of `candidates` to `word` (Levenshtein distance at most 2, or a prefix), for "did you mean". */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(word) && word.length >= 3 ? 1 : levenshtein(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.min(2, Math.floor(word.length / 3))) ? best : undefined;
}

/** Edit distance where swapping two neighbouring letters counts as one edit (optimal string alignment). */
function levenshtein(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
