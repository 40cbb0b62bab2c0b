/**
 * The search language's parser: hand-written recursive descent, no I/O. Precedence, loosest first:
 * `or`, then `and` (also a plain space), then `not` / `-term`; parentheses group.
 *
 *   query    := or
 *   or       := and ('or' and)*
 *   and      := unary (['and'] unary)*
 *   unary    := 'not' unary | '-' primary | primary
 *   primary  := '(' or ')' | ('sms' | 'call') '(' or? ')' | term
 *   term     := field (':' [op] | op) value | 'has:' name | 'sort:' ['-'] field | word | "phrase"
 *   op       := '>' | '>=' | '<' | '<=' | '='
 *
 * Every error is a QueryError naming the offset (from 0) and what is wrong, never anything else.
 */
import { normalizePhone, type CountryCode } from '../phone/index.js';
import type { Node, ParsedQuery, Sort, Test } from './ast.js';
import { DATE_FORMS, resolveDate } from './dates.js';
import { closest, FIELDS, fieldsOf, findField, HAS, SORTABLE, type FieldDefinition, type FieldScope } from './fields.js';

export class QueryError extends Error {
  constructor(
    /** Offset in the query, from 0. */
    readonly position: number,
    /** What is wrong, without the position. */
    readonly reason: string,
  ) {
    super(`at ${position}: ${reason}`);
    this.name = 'QueryError';
  }
}

export interface ParseOptions {
  /** The instant dates are relative to (epoch ms). */
  now: number;
  /** IANA zone of `today`, `2026-03-08` and the like. */
  zone: string;
  /** Country of phone numbers written without a country code. */
  defaultCountry?: CountryCode;
}

export const MAX_QUERY_LENGTH = 2000;
const MAX_DEPTH = 40;
/** Words, fields and clauses in one query: each is a subquery or more, and the databases cap an expression's depth (SQLite: 1,000). */
export const MAX_TERMS = 60;

type Op = ':' | '=' | '>' | '>=' | '<' | '<=';

/** A sort term is kept in the tree until the end, where only a top-level one is allowed. */
type Parsed = Node | { kind: 'sort'; sort: Sort; pos: number; end: number };

const KEYWORDS = new Set(['and', 'or', 'not']);
const IDENT = /[A-Za-z_][A-Za-z0-9_.-]*/y;
const SPACE = /\s/;

export function parseQuery(query: string, options: ParseOptions): ParsedQuery {
  if (typeof query !== 'string') throw new QueryError(0, 'the query must be text');
  if (query.length > MAX_QUERY_LENGTH) throw new QueryError(MAX_QUERY_LENGTH, `the query is longer than ${MAX_QUERY_LENGTH} characters`);
  const parser = new Parser(query, options);
  const root = parser.parseOr('contact');
  parser.skipSpace();
  if (!parser.atEnd()) throw new QueryError(parser.i, query[parser.i] === ')' ? 'unexpected ")" (no "(" before it)' : `unexpected "${query[parser.i]}"`);
  const { where, sort } = extractSort(root);
  return { query, where, sort, timeZone: options.zone };
}

/**
 * Takes the sort: term out of the tree. It may be written anywhere a plain term may (`a or b
 * sort:name` sorts the whole list), except under not, inside sms(…)/call(…), or as a branch of its own.
 */
function extractSort(root: Parsed | null): { where: Node | null; sort: Sort | null } {
  let sort: Sort | null = null;
  const visit = (p: Parsed, topLevel: boolean): Node | null => {
    switch (p.kind) {
      case 'sort':
        if (!topLevel) throw new QueryError(p.pos, 'sort: must stand beside the other terms (not alone in an or, not under not, not inside sms(…) or call(…))');
        if (sort) throw new QueryError(p.pos, 'only one sort: term is allowed');
        sort = p.sort;
        return null;
      case 'and': {
        const items = p.items.map((n) => visit(n as Parsed, topLevel)).filter((n): n is Node => n !== null);
        if (items.length === 0) return null;
        return items.length === 1 ? items[0]! : { ...p, items };
      }
      case 'or':
        return {
          ...p,
          items: p.items.map((n) => {
            const kept = visit(n as Parsed, n.kind === 'and' && topLevel);
            if (!kept) throw new QueryError(n.pos, 'sort: must stand beside the other terms, not alone in an or');
            return kept;
          }),
        };
      case 'not':
        return { ...p, item: visit(p.item as Parsed, false)! };
      case 'relation':
        return p.where ? { ...p, where: visit(p.where as Parsed, false) } : p;
      default:
        return p;
    }
  };
  const where = root ? visit(root, true) : null;
  return { where, sort };
}

class Parser {
  i = 0;
  private depth = 0;
  private terms = 0;

  private count(at: number): void {
    if (++this.terms > MAX_TERMS) throw new QueryError(at, `a query has at most ${MAX_TERMS} words, fields and clauses`);
  }

  constructor(
    readonly s: string,
    private readonly options: ParseOptions,
  ) {}

  atEnd(): boolean {
    return this.i >= this.s.length;
  }

  skipSpace(): void {
    while (this.i < this.s.length && SPACE.test(this.s[this.i]!)) this.i++;
  }

  private enter(at: number): void {
    if (++this.depth > MAX_DEPTH) throw new QueryError(at, `the query nests more than ${MAX_DEPTH} levels deep`);
  }

  /** The identifier at `at`, if any. */
  private identAt(at: number): string | null {
    IDENT.lastIndex = at;
    const m = IDENT.exec(this.s);
    return m ? m[0] : null;
  }

  /** `and` / `or` / `not` as a word of its own at the current position. */
  private keyword(): string | null {
    const word = this.identAt(this.i);
    if (!word || !KEYWORDS.has(word.toLowerCase())) return null;
    const next = this.s[this.i + word.length];
    if (next === undefined || SPACE.test(next) || next === '(' || next === ')' || next === '"') return word.toLowerCase();
    return null;
  }

  parseOr(scope: FieldScope): Parsed | null {
    this.skipSpace();
    const start = this.i;
    const first = this.parseAnd(scope);
    const items: Parsed[] = first ? [first] : [];
    for (;;) {
      this.skipSpace();
      if (this.keyword() !== 'or') break;
      const at = this.i;
      if (items.length === 0) throw new QueryError(at, 'or needs a search term before it');
      this.i += 2;
      const next = this.parseAnd(scope);
      if (!next) throw new QueryError(at, 'or needs a search term after it');
      items.push(next);
    }
    if (items.length <= 1) return items[0] ?? null;
    return { kind: 'or', items: items as Node[], pos: start, end: this.i };
  }

  private parseAnd(scope: FieldScope): Parsed | null {
    const items: Parsed[] = [];
    const start = this.i;
    for (;;) {
      this.skipSpace();
      if (this.atEnd() || this.s[this.i] === ')') break;
      const kw = this.keyword();
      if (kw === 'or') break;
      if (kw === 'and') {
        const at = this.i;
        if (items.length === 0) throw new QueryError(at, 'and needs a search term before it');
        this.i += 3;
        this.skipSpace();
        if (this.atEnd() || this.s[this.i] === ')' || this.keyword() === 'or' || this.keyword() === 'and') throw new QueryError(at, 'and needs a search term after it');
        continue;
      }
      items.push(this.parseUnary(scope));
    }
    if (items.length <= 1) return items[0] ?? null;
    return { kind: 'and', items: items as Node[], pos: start, end: this.i };
  }

  private parseUnary(scope: FieldScope): Parsed {
    this.skipSpace();
    const at = this.i;
    if (this.keyword() === 'not') {
      this.i += 3;
      this.skipSpace();
      if (this.atEnd() || this.s[this.i] === ')' || this.keyword() === 'or' || this.keyword() === 'and') throw new QueryError(at, 'not needs a search term after it');
      this.enter(at);
      const item = this.parseUnary(scope);
      this.depth--;
      return this.negate(item, at);
    }
    const next = this.s[this.i + 1];
    if (this.s[this.i] === '-' && next !== undefined && !SPACE.test(next) && !/[\d)]/.test(next) && next !== '-') {
      this.i++;
      this.enter(at);
      const item = this.parsePrimary(scope);
      this.depth--;
      return this.negate(item, at);
    }
    return this.parsePrimary(scope);
  }

  private negate(item: Parsed, at: number): Parsed {
    if (item.kind === 'sort') throw new QueryError(at, 'sort: cannot be negated');
    return { kind: 'not', item, pos: at, end: this.i };
  }

  private parsePrimary(scope: FieldScope): Parsed {
    const at = this.i;
    const c = this.s[this.i];
    if (c === '(') {
      const phone = /\(\d{3}\)\s*\d{3}[\s.-]?\d{4}\b/y;
      phone.lastIndex = at;
      if (phone.exec(this.s)) {
        this.i = phone.lastIndex;
        return this.textNode(this.s.slice(at, this.i), at, scope);
      }
      this.i++;
      this.enter(at);
      const inner = this.parseOr(scope);
      this.skipSpace();
      if (this.s[this.i] !== ')') throw new QueryError(at, 'this "(" is never closed: add a ")"');
      this.i++;
      this.depth--;
      if (!inner) throw new QueryError(at, 'empty parentheses: put a search term inside, or remove them');
      return inner;
    }
    if (c === ')') throw new QueryError(at, 'unexpected ")" (no "(" before it)');
    if (c === '"') {
      const phrase = this.readQuoted();
      if (this.s[this.i] === ':') return this.fieldTerm(phrase, true, at, scope);
      if (phrase.trim() === '') throw new QueryError(at, 'empty quotes: put words inside, or remove them');
      return this.textNode(phrase, at, scope);
    }
    const ident = this.identAt(this.i);
    if (ident) {
      const after = this.i + ident.length;
      const lower = ident.toLowerCase();
      if (this.s[after] === '(' && (lower === 'sms' || lower === 'call')) return this.relation(lower, scope);
      if (this.s[after] === ':') {
        this.i = after;
        return this.fieldTerm(ident, false, at, scope);
      }
      let j = after;
      while (j < this.s.length && SPACE.test(this.s[j]!)) j++;
      if (/^[<>=]/.test(this.s.slice(j, j + 1))) {
        this.i = j;
        return this.fieldTerm(ident, false, at, scope);
      }
    }
    return this.word(at, scope);
  }

  private relation(name: 'sms' | 'call', scope: FieldScope): Parsed {
    const at = this.i;
    if (scope !== 'contact') throw new QueryError(at, `${name}(…) cannot be used inside ${scope}(…)`);
    this.count(at);
    this.i += name.length + 1;
    this.enter(at);
    const where = this.parseOr(name);
    this.skipSpace();
    if (this.s[this.i] !== ')') throw new QueryError(at, `this "${name}(" is never closed: add a ")"`);
    this.i++;
    this.depth--;
    if (where?.kind === 'sort') throw new QueryError(where.pos, `sort: cannot be used inside ${name}(…)`);
    return { kind: 'relation', relation: name, where: (where as Node | null) ?? null, pos: at, end: this.i };
  }

  /** A bare word: up to a space, a parenthesis or a quote. Several groups of digits in a row that make a phone number are one word. */
  private word(at: number, scope: FieldScope): Parsed {
    const run = () => {
      const start = this.i;
      while (this.i < this.s.length && !SPACE.test(this.s[this.i]!) && !'()"'.includes(this.s[this.i]!)) this.i++;
      return this.s.slice(start, this.i);
    };
    const first = run();
    if (first === '') throw new QueryError(at, `unexpected "${this.s[at] ?? 'end'}"`);
    let text = first;
    if (/^[+\d][\d.-]*$/.test(first)) {
      // "415 943 4591": the longest series of digit groups that is a phone number.
      let best: { text: string; end: number } | null = this.asPhone(first) ? { text: first, end: this.i } : null;
      let candidate = first;
      let j = this.i;
      for (let k = 0; k < 4; k++) {
        let p = j;
        while (p < this.s.length && SPACE.test(this.s[p]!)) p++;
        const m = /^[\d.-]+/.exec(this.s.slice(p, p + 20));
        const endOfGroup = p + (m?.[0].length ?? 0);
        if (!m || p === j || (endOfGroup < this.s.length && !SPACE.test(this.s[endOfGroup]!) && this.s[endOfGroup] !== ')')) break;
        candidate = `${candidate} ${m[0]}`;
        j = endOfGroup;
        if (this.asPhone(candidate)) best = { text: candidate, end: j };
      }
      if (best) {
        text = best.text;
        this.i = best.end;
      }
    }
    return this.textNode(text, at, scope);
  }

  private asPhone(text: string): string | null {
    if ((text.match(/\d/g) ?? []).length < 7) return null;
    try {
      return normalizePhone(text, this.options.defaultCountry).e164;
    } catch {
      return null;
    }
  }

  private textNode(text: string, at: number, scope: FieldScope): Parsed {
    this.count(at);
    if (scope === 'call') throw new QueryError(at, `words inside call(…) are not searched: use a field (${fieldsOf('call').map((f) => f.name).join(', ')})`);
    const phone = this.asPhone(text);
    const digits = text.replace(/\D/g, '');
    return {
      kind: 'text',
      value: text.toLowerCase(),
      phone,
      digits: !phone && digits.length >= 3 && /^[\d\s().+-]+$/.test(text) ? digits : null,
      pos: at,
      end: this.i,
    };
  }

  /** A "quoted phrase"; `\"` and `\\` inside stand for themselves. */
  private readQuoted(): string {
    const at = this.i;
    this.i++;
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === '\\' && this.i + 1 < this.s.length) {
        out += this.s[this.i + 1];
        this.i += 2;
        continue;
      }
      if (c === '"') {
        this.i++;
        return out;
      }
      out += c;
      this.i++;
    }
    throw new QueryError(at, 'this quote is never closed: add a "');
  }

  /** After a field name: `:value`, `:>value`, `>value`, `> value`. */
  private fieldTerm(name: string, quoted: boolean, at: number, scope: FieldScope): Parsed {
    let op: Op = ':';
    if (this.s[this.i] === ':') this.i++;
    else op = '=';
    const opMatch = /^(>=|<=|>|<|=)/.exec(this.s.slice(this.i, this.i + 2));
    if (opMatch) {
      op = opMatch[1] as Op;
      this.i += op.length;
    }
    if (op === '=') op = ':';
    this.skipSpace();
    const valueAt = this.i;
    const lower = name.toLowerCase();

    if (!quoted && lower === 'has') return this.hasTerm(at, scope, op);
    if (!quoted && lower === 'sort') return this.sortTerm(at, scope, op);
    this.count(at);

    let def: FieldDefinition | undefined;
    let attribute: string | undefined;
    if (!quoted && lower.startsWith('attr.')) attribute = name.slice(5);
    else if (quoted) {
      def = findField(scope, lower);
      if (!def) attribute = name;
    } else {
      def = findField(scope, lower);
      if (!def) throw new QueryError(at, this.unknownField(name, scope));
    }
    if (attribute !== undefined) {
      if (scope !== 'contact') throw new QueryError(at, `attributes are contact fields: use them outside ${scope}(…)`);
      if (!/^[A-Za-z0-9_ -]{1,100}$/.test(attribute)) throw new QueryError(at, 'an attribute name is 1 to 100 letters, digits, spaces, _ or -');
      if (op !== ':') throw new QueryError(at, `attributes are compared with ":" only (attr.${attribute}:value)`);
      const value = this.value(valueAt, name);
      return { kind: 'field', scope, field: 'attr', attribute, test: { type: 'equals', value: value.toLowerCase() }, pos: at, end: this.i };
    }
    const field = def!;
    const value = this.value(valueAt, name, field.type === 'date');
    const test = this.test(field, op, value, at, valueAt);
    return { kind: 'field', scope, field: field.name, test, pos: at, end: this.i };
  }

  private unknownField(name: string, scope: FieldScope): string {
    const lower = name.toLowerCase();
    const elsewhere = FIELDS.find((f) => f.name === lower && f.scope !== scope);
    if (elsewhere) {
      return elsewhere.scope === 'contact'
        ? `"${lower}" is a contact field: use it outside ${scope}(…)`
        : `"${lower}" can only be used inside ${elsewhere.scope}(…), e.g. ${elsewhere.scope}(${lower}:…)`;
    }
    const names = [...new Set([...fieldsOf(scope).map((f) => f.name), 'has', ...(scope === 'contact' ? ['sort'] : [])])];
    const guess = closest(lower, names);
    return `unknown field "${name}"${guess ? ` (did you mean "${guess}"?)` : `; fields here: ${names.join(', ')}`}`;
  }

  /** The value after `field:`; for dates, `this week` and `3 days ago` may be written without quotes. */
  private value(at: number, name: string, date = false): string {
    if (this.s[this.i] === '"') return this.readQuoted();
    const start = this.i;
    while (this.i < this.s.length && !SPACE.test(this.s[this.i]!) && !'()"'.includes(this.s[this.i]!)) this.i++;
    const v = this.s.slice(start, this.i);
    if (v === '') throw new QueryError(at, `expected a value after ${name}:`);
    if (date) {
      const rest = this.s.slice(this.i);
      const more = /^(this|last)$/i.test(v) ? /^\s+(week|month|year)\b/i.exec(rest) : /^\d+$/.test(v) ? /^\s+(days?|weeks?)\s+ago\b/i.exec(rest) : null;
      if (more) {
        this.i += more[0].length;
        return `${v}${more[0]}`;
      }
    }
    return v;
  }

  private test(field: FieldDefinition, op: Op, value: string, at: number, valueAt: number): Test {
    const onlyColon = () => {
      if (op !== ':') throw new QueryError(at, `${field.name} is compared with ":" only, not ${op}`);
    };
    const v = value.toLowerCase();
    switch (field.type) {
      case 'text':
        onlyColon();
        return { type: 'contains', value: v };
      case 'keyword':
        onlyColon();
        return { type: 'equals', value: v };
      case 'enum': {
        onlyColon();
        const values = field.values ?? {};
        const stored = values[v];
        if (!stored) {
          const guess = closest(v, Object.keys(values));
          throw new QueryError(valueAt, `${field.name} must be one of ${Object.keys(values).join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}; got "${value}"`);
        }
        return { type: 'in', values: [...stored] };
      }
      case 'boolean': {
        onlyColon();
        if (['true', 'yes', '1'].includes(v)) return { type: 'bool', value: true };
        if (['false', 'no', '0'].includes(v)) return { type: 'bool', value: false };
        throw new QueryError(valueAt, `${field.name} must be true or false; got "${value}"`);
      }
      case 'number': {
        if (!/^\d{1,9}$/.test(v)) throw new QueryError(valueAt, `${field.name} takes a whole number (e.g. ${field.name} > 1); got "${value}"`);
        const n = Number(v);
        return range(op, n, n + 1);
      }
      case 'duration': {
        const m = /^(\d{1,7})([smh]?)$/.exec(v);
        if (!m) throw new QueryError(valueAt, `${field.name} takes seconds (90) or a duration (90s, 2m, 1h); got "${value}"`);
        const n = Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
        return range(op, n, n + 1);
      }
      case 'date': {
        const period = resolveDate(value, this.options.now, this.options.zone);
        if (!period) throw new QueryError(valueAt, `"${value}" is not a date; use ${DATE_FORMS}`);
        if (op === ':' && period.instant) return { type: 'range', gte: period.from, lt: null };
        return range(op, period.from, period.to);
      }
      case 'phone': {
        onlyColon();
        const e164 = this.asPhone(value);
        const digits = value.replace(/\D/g, '');
        if (!e164 && digits.length === 0) throw new QueryError(valueAt, `${field.name} takes a phone number or some of its digits; got "${value}"`);
        return { type: 'phone', e164, digits };
      }
      case 'user':
      case 'team':
        onlyColon();
        if (v === 'none' || v === 'nobody') return { type: 'ref', value: null };
        if (field.type === 'user' && v === 'me') return { type: 'ref', value: 'me' };
        return { type: 'ref', value: v };
    }
  }

  private hasTerm(at: number, scope: FieldScope, op: Op): Parsed {
    if (op !== ':') throw new QueryError(at, 'write has:<what>');
    const valueAt = this.i;
    const what = this.value(valueAt, 'has').toLowerCase();
    if (scope !== 'contact') throw new QueryError(at, `has: is used outside ${scope}(…)`);
    const def = HAS.find((h) => h.name === what);
    if (!def) {
      const guess = closest(what, HAS.map((h) => h.name));
      throw new QueryError(valueAt, `unknown has:${what}${guess ? ` (did you mean "has:${guess}"?)` : `; choose among ${HAS.map((h) => h.name).join(', ')}`}`);
    }
    this.count(at);
    const inner = parseQuery(def.means, this.options).where!;
    return relocate(inner, at, this.i);
  }

  private sortTerm(at: number, scope: FieldScope, op: Op): Parsed {
    if (op !== ':') throw new QueryError(at, 'write sort:field or sort:-field');
    if (scope !== 'contact') throw new QueryError(at, `sort: cannot be used inside ${scope}(…)`);
    const valueAt = this.i;
    const raw = this.value(valueAt, 'sort').toLowerCase();
    const direction = raw.startsWith('-') ? 'desc' : 'asc';
    const field = raw.replace(/^[-+]/, '');
    if (!SORTABLE.includes(field)) {
      const guess = closest(field, SORTABLE);
      throw new QueryError(valueAt, `cannot sort by "${field}"; sort by ${SORTABLE.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`);
    }
    return { kind: 'sort', sort: { field, direction }, pos: at, end: this.i };
  }
}

function range(op: Op, from: number, to: number): Test {
  switch (op) {
    case ':':
    case '=':
      return { type: 'range', gte: from, lt: to };
    case '>':
      return { type: 'range', gte: to, lt: null };
    case '>=':
      return { type: 'range', gte: from, lt: null };
    case '<':
      return { type: 'range', gte: null, lt: from };
    case '<=':
      return { type: 'range', gte: null, lt: to };
  }
}

/** A has: term's expansion, placed where the term was written. */
function relocate(node: Node, pos: number, end: number): Node {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { ...node, items: node.items.map((n) => relocate(n, pos, end)), pos, end };
    case 'not':
      return { ...node, item: relocate(node.item, pos, end), pos, end };
    case 'relation':
      return { ...node, where: node.where ? relocate(node.where, pos, end) : null, pos, end };
    default:
      return { ...node, pos, end };
  }
}
