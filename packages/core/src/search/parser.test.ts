import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { Node } from './ast.js';
import { resolveDate } from './dates.js';
import { parseQuery, QueryError } from './parser.js';

const ZONE = 'America/New_York';
// Wednesday 2026-03-11 15:00 in New York (EDT since Sunday 2026-03-08).
const NOW = DateTime.fromISO('2026-03-11T15:00:00', { zone: ZONE }).toMillis();
const parse = (q: string, zone = ZONE, now = NOW) => parseQuery(q, { now, zone, defaultCountry: 'US' });
const where = (q: string) => parse(q).where;
const local = (iso: string, zone = ZONE) => DateTime.fromISO(iso, { zone }).toMillis();

/** A compact form of a tree: fields as name(test), words as "w", and (and …), (or …), (not …). */
function show(node: Node | null): string {
  if (!node) return '∅';
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${node.kind} ${node.items.map(show).join(' ')})`;
    case 'not':
      return `(not ${show(node.item)})`;
    case 'text':
      return node.phone ? `phone:${node.phone}` : `"${node.value}"`;
    case 'relation':
      return `${node.relation}[${show(node.where)}]`;
    case 'field': {
      const t = node.test;
      const v =
        t.type === 'range' ? `${t.gte ?? ''}..${t.lt ?? ''}` : t.type === 'in' ? t.values.join('|') : t.type === 'bool' ? String(t.value) : t.type === 'phone' ? (t.e164 ?? `~${t.digits}`) : String(t.value);
      return `${node.field}${node.attribute ? `.${node.attribute}` : ''}=${v}`;
    }
  }
}

function errorOf(q: string): QueryError {
  try {
    parse(q);
  } catch (error) {
    if (error instanceof QueryError) return error;
    throw error;
  }
  throw new Error(`"${q}" parsed without an error`);
}

describe('the four searches from Close’s help page, verbatim', () => {
  it('failed_sms > 1: more than one failed text', () => {
    expect(show(where('failed_sms > 1'))).toBe('failed_sms=2..');
  });
  it('has:error_sms_messages: at least one failed text', () => {
    expect(show(where('has:error_sms_messages'))).toBe('failed_sms=1..');
  });
  it('sms(created:today direction:outgoing status:error): a text sent today that failed', () => {
    const from = local('2026-03-11T00:00:00');
    const to = local('2026-03-12T00:00:00');
    expect(show(where('sms(created:today direction:outgoing status:error)'))).toBe(`sms[(and created=${from}..${to} direction=outbound status=failed|undelivered)]`);
  });
  it('latest_sms_status:error: the last sent text failed', () => {
    expect(show(where('latest_sms_status:error'))).toBe('latest_sms_status=failed|undelivered');
  });
});

describe('precedence and grouping', () => {
  it('not binds tighter than and, and tighter than or', () => {
    expect(show(where('a b or c'))).toBe('(or (and "a" "b") "c")');
    expect(show(where('a or b c'))).toBe('(or "a" (and "b" "c"))');
    expect(show(where('not a b'))).toBe('(and (not "a") "b")');
    expect(show(where('not a or b'))).toBe('(or (not "a") "b")');
    expect(show(where('a and not b or c'))).toBe('(or (and "a" (not "b")) "c")');
  });
  it('parentheses group, and keywords are case-insensitive', () => {
    expect(show(where('a AND (b OR c)'))).toBe('(and "a" (or "b" "c"))');
    expect(show(where('NOT (a or b)'))).toBe('(not (or "a" "b"))');
    expect(show(where('((a))'))).toBe('"a"');
  });
  it('-term is not term', () => {
    expect(show(where('-status:closed'))).toBe('(not status=closed)');
    expect(show(where('-sms(direction:outgoing)'))).toBe('(not sms[direction=outbound])');
  });
  it('the missed-but-not-texted query of the issue', () => {
    const y0 = local('2026-03-10T00:00:00');
    const y1 = local('2026-03-11T00:00:00');
    expect(show(where('call(status:missed created:yesterday) not sms(direction:outgoing created:yesterday)'))).toBe(
      `(and call[(and status=missed created=${y0}..${y1})] (not sms[(and direction=outbound created=${y0}..${y1})]))`,
    );
  });
  it('or inside a relation', () => {
    expect(show(where('sms(status:failed or status:undelivered)'))).toBe('sms[(or status=failed status=undelivered)]');
  });
});

describe('quoting and words', () => {
  it('a quoted phrase is one term, and may contain keywords and colons', () => {
    expect(show(where('"water heater" or "not:this"'))).toBe('(or "water heater" "not:this")');
  });
  it('field:"two words" and escaped quotes', () => {
    expect(show(where('name:"Ann Lee"'))).toBe('name=ann lee');
    expect(show(where('sms(body:"say \\"hi\\"")'))).toBe('sms[body=say "hi"]');
  });
  it('"attribute name":value and attr.name:value are attributes', () => {
    expect(show(where('"favorite color":Blue attr.plan:pro'))).toBe('(and attr.favorite color=blue attr.plan=pro)');
  });
  it('a quoted known field is that field', () => {
    expect(show(where('"name":ann'))).toBe('name=ann');
  });
  it('a phone number in any format is one term with its E.164 form', () => {
    for (const q of ['415 943 4591', '(415) 943-4591', '+14159434591', '415-943-4591', '"415 943 4591"']) {
      expect(show(where(q)), q).toBe('phone:+14159434591');
    }
    expect(show(where('phone:"(415) 943-4591"'))).toBe('phone=+14159434591');
    expect(show(where('phone:4591'))).toBe('phone=~4591');
  });
  it('words next to a number stay words', () => {
    expect(show(where('415 plumbing'))).toBe('(and "415" "plumbing")');
  });
});

describe('comparisons', () => {
  it('field > n, field:>n, field>=n and field:n', () => {
    expect(show(where('failed_sms>1'))).toBe('failed_sms=2..');
    expect(show(where('failed_sms:>1'))).toBe('failed_sms=2..');
    expect(show(where('failed_sms >= 1'))).toBe('failed_sms=1..');
    expect(show(where('failed_sms < 3'))).toBe('failed_sms=..3');
    expect(show(where('failed_sms <= 3'))).toBe('failed_sms=..4');
    expect(show(where('failed_sms:0'))).toBe('failed_sms=0..1');
  });
  it('durations in seconds or with a unit', () => {
    expect(show(where('call(duration > 2m)'))).toBe('call[duration=121..]');
    expect(show(where('call(duration:<30)'))).toBe('call[duration=..30]');
  });
  it('sort:field and sort:-field, at the top level only', () => {
    expect(parse('status:open sort:-name').sort).toEqual({ field: 'name', direction: 'desc' });
    expect(parse('sort:created').sort).toEqual({ field: 'created', direction: 'asc' });
    expect(parse('sort:created').where).toBeNull();
    expect(errorOf('a or sort:name').reason).toMatch(/not alone in an or/);
    expect(errorOf('not sort:name').reason).toMatch(/cannot be negated/);
    expect(errorOf('sms(sort:name)').reason).toMatch(/cannot be used inside sms/);
    expect(parse('a or b sort:name').sort).toEqual({ field: 'name', direction: 'asc' });
    expect(show(parse('a or b sort:name').where)).toBe('(or "a" "b")');
  });
});

describe('dates, in the given zone', () => {
  it('created:today is the whole local day', () => {
    expect(show(where('created:today'))).toBe(`created=${local('2026-03-11T00:00')}..${local('2026-03-12T00:00')}`);
  });
  it('a DST day is 23 hours long in New York and 24 in UTC', () => {
    const sunday = DateTime.fromISO('2026-03-08T12:00', { zone: ZONE }).toMillis();
    const p = resolveDate('today', sunday, ZONE)!;
    expect(p.to - p.from).toBe(23 * 3_600_000);
    expect(p.from).toBe(Date.parse('2026-03-08T05:00:00Z'));
    const utc = resolveDate('today', sunday, 'UTC')!;
    expect(utc.to - utc.from).toBe(24 * 3_600_000);
    // The autumn change: 25 hours.
    const fall = DateTime.fromISO('2026-11-01T12:00', { zone: ZONE }).toMillis();
    const f = resolveDate('today', fall, ZONE)!;
    expect(f.to - f.from).toBe(25 * 3_600_000);
  });
  it('yesterday across the spring change starts at local midnight', () => {
    const monday = DateTime.fromISO('2026-03-09T08:00', { zone: ZONE }).toMillis();
    const y = resolveDate('yesterday', monday, ZONE)!;
    expect(y.from).toBe(Date.parse('2026-03-08T05:00:00Z'));
    expect(y.to).toBe(Date.parse('2026-03-09T04:00:00Z'));
  });
  it('this week, last week, this month, "3 days ago", -7d, ISO dates and instants', () => {
    expect(show(where('created:"this week"'))).toBe(`created=${local('2026-03-09T00:00')}..${local('2026-03-16T00:00')}`);
    expect(show(where('created:last week'))).toBe(`created=${local('2026-03-02T00:00')}..${local('2026-03-09T00:00')}`);
    expect(show(where('created:this month'))).toBe(`created=${local('2026-03-01T00:00')}..${local('2026-04-01T00:00')}`);
    expect(show(where('created:"3 days ago"'))).toBe(`created=${local('2026-03-08T00:00')}..${local('2026-03-09T00:00')}`);
    expect(show(where('created:3 days ago'))).toBe(`created=${local('2026-03-08T00:00')}..${local('2026-03-09T00:00')}`);
    expect(show(where('created:-7d'))).toBe(`created=${NOW - 7 * 86_400_000}..`);
    expect(show(where('created > -7d'))).toBe(`created=${NOW - 7 * 86_400_000 + 1}..`);
    expect(show(where('created:2026-03-08'))).toBe(`created=${local('2026-03-08T00:00')}..${local('2026-03-09T00:00')}`);
    expect(show(where('created>=2026-03-08T09:30:00Z'))).toBe(`created=${Date.parse('2026-03-08T09:30:00Z')}..`);
    expect(show(where('created<2026-03-08T09:30'))).toBe(`created=..${local('2026-03-08T09:30')}`);
    expect(show(where('created > yesterday'))).toBe(`created=${local('2026-03-11T00:00')}..`);
    expect(show(where('created <= yesterday'))).toBe(`created=..${local('2026-03-11T00:00')}`);
  });
  it('the same query means another day in another zone', () => {
    const tokyo = parse('created:today', 'Asia/Tokyo').where as Extract<Node, { kind: 'field' }>;
    expect(tokyo.test).toEqual({ type: 'range', gte: local('2026-03-12T00:00', 'Asia/Tokyo'), lt: local('2026-03-13T00:00', 'Asia/Tokyo') });
  });
});

describe('errors say where and what', () => {
  it('an unknown field with a suggestion', () => {
    const e = errorOf('name:bob statsu:error');
    expect(e.message).toBe('at 9: unknown field "statsu" (did you mean "status"?)');
    expect(e.position).toBe(9);
  });
  it('a field of another scope', () => {
    expect(errorOf('body:hello').message).toBe('at 0: "body" can only be used inside sms(…), e.g. sms(body:…)');
    expect(errorOf('call(body:x)').reason).toMatch(/sms\(/);
  });
  it('bad values name what is accepted', () => {
    expect(errorOf('sms(status:eror)').message).toMatch(/^at 11: status must be one of error, scheduled.*\(did you mean "error"\?\)/);
    expect(errorOf('failed_sms > many').message).toBe('at 13: failed_sms takes a whole number (e.g. failed_sms > 1); got "many"');
    expect(errorOf('created:someday').reason).toMatch(/"someday" is not a date; use today/);
    expect(errorOf('unread:maybe').reason).toBe('unread must be true or false; got "maybe"');
    expect(errorOf('name > 3').reason).toBe('name is compared with ":" only, not >');
    expect(errorOf('has:erorr_sms_messages').reason).toMatch(/did you mean "has:error_sms_messages"/);
    expect(errorOf('sort:phone').reason).toMatch(/cannot sort by "phone"/);
  });
  it('structure', () => {
    expect(errorOf('(a or b').message).toBe('at 0: this "(" is never closed: add a ")"');
    expect(errorOf('a)').message).toBe('at 1: unexpected ")" (no "(" before it)');
    expect(errorOf('"abc').message).toBe('at 0: this quote is never closed: add a "');
    expect(errorOf('a or').reason).toBe('or needs a search term after it');
    expect(errorOf('or a').reason).toBe('or needs a search term before it');
    expect(errorOf('not').reason).toBe('not needs a search term after it');
    expect(errorOf('()').reason).toMatch(/empty parentheses/);
    expect(errorOf('sms(call(status:missed))').reason).toMatch(/cannot be used inside sms/);
    expect(errorOf('call(hello)').reason).toMatch(/words inside call/);
    expect(errorOf('status:').reason).toBe('expected a value after status:');
    expect(errorOf('('.repeat(100)).reason).toMatch(/nests more than/);
    expect(errorOf('not '.repeat(100) + 'a').reason).toMatch(/nests more than/);
    expect(errorOf('a'.repeat(3000)).reason).toMatch(/longer than 2000/);
    // Each term is a subquery or more: a query of hundreds of words is refused, not sent to the database.
    expect(parse('a '.repeat(60)).where).toMatchObject({ kind: 'and' });
    const many = errorOf('a '.repeat(61));
    expect(many.message).toBe('at 120: a query has at most 60 words, fields and clauses');
    expect(errorOf('status:open '.repeat(61)).reason).toMatch(/at most 60/);
  });
  it('an empty query is every contact', () => {
    expect(parse('').where).toBeNull();
    expect(parse('   ').where).toBeNull();
  });
});

describe('random input', () => {
  const alphabet = fc.constantFrom(...'ab :()"-<>=!\\.0123456789_'.split(''), 'sms(', 'call(', 'status', 'created', 'today', ' or ', ' and ', 'not ', 'has:', 'sort:', 'attr.', 'failed_sms', '>=', 'é', '😀');
  it('never throws anything but a QueryError, and every error position is inside the query', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.array(alphabet, { maxLength: 30 }).map((a) => a.join(''))), (q) => {
        try {
          parse(q);
        } catch (error) {
          if (!(error instanceof QueryError)) throw error;
          expect(error.position).toBeGreaterThanOrEqual(0);
          expect(error.position).toBeLessThanOrEqual(q.length);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
