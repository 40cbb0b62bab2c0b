/**
 * The parsed form of a search query. Values are resolved by the parser (dates to periods in the
 * request's time zone, phone numbers to E.164, enum aliases to stored values), so that the SQL
 * compiler and the in-memory evaluator read the same thing. Every node keeps its place in the
 * query (`pos`..`end`, offsets from 0) for error messages and the inbox's hints.
 */
import type { FieldScope } from './fields.js';

export type Test =
  /** Dates (epoch ms) and whole numbers: gte <= value < lt; null = unbounded. */
  | { type: 'range'; gte: number | null; lt: number | null }
  /** One of these stored values. */
  | { type: 'in'; values: string[] }
  /** Contains this (lower case), case-insensitively. */
  | { type: 'contains'; value: string }
  /** Equals this (lower case), case-insensitively. */
  | { type: 'equals'; value: string }
  | { type: 'bool'; value: boolean }
  /** A phone number: exactly this E.164, or (when it is not a whole number) containing these digits. */
  | { type: 'phone'; e164: string | null; digits: string }
  /** A user or team: `me` (the user asking), null (nobody), or an id, email or name. */
  | { type: 'ref'; value: string | null };

interface At {
  pos: number;
  end: number;
}

export type Node =
  | ({ kind: 'and'; items: Node[] } & At)
  | ({ kind: 'or'; items: Node[] } & At)
  | ({ kind: 'not'; item: Node } & At)
  /** A bare word or "quoted phrase": name, number or message text (inside sms(…): the text only). */
  | ({ kind: 'text'; value: string; phone: string | null; digits: string | null } & At)
  | ({ kind: 'field'; scope: FieldScope; field: string; test: Test; attribute?: string } & At)
  /** sms(…) / call(…): at least one text (call) of the contact matches `where` (null: any). */
  | ({ kind: 'relation'; relation: 'sms' | 'call'; where: Node | null } & At);

export interface Sort {
  field: string;
  direction: 'asc' | 'desc';
}

export interface ParsedQuery {
  /** The text as given. */
  query: string;
  /** null: every contact. */
  where: Node | null;
  /** null: newest first. */
  sort: Sort | null;
  timeZone: string;
}
