import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  FEDERAL_QUIET_HOURS_RULE,
  defaultQuietHoursRules,
  quietHoursDecision,
  stateQuietHoursRule,
  type QuietHoursInput,
  type QuietHoursRule,
} from './quiet-hours.js';
import { STATE_QUIET_HOURS } from './state-quiet-hours.data.js';
import { recipientTimeZone } from './time-zones.js';

const NY = 'America/New_York';
const CHI = 'America/Chicago';
const ms = (iso: string): number => Date.parse(iso);

type Expect = { allowed: true; rule: string } | { allowed: false; rule: string; next: string };

function check(input: QuietHoursInput, expected: Expect): void {
  const d = quietHoursDecision(input);
  expect(d.allowed).toBe(expected.allowed);
  expect(d.rule.id).toBe(expected.rule);
  if (!d.allowed && !expected.allowed) expect(new Date(d.nextAllowedAt).toISOString()).toBe(new Date(expected.next).toISOString());
}

describe('state-quiet-hours.data', () => {
  it('has the CSV rows and the federal row equals FEDERAL_QUIET_HOURS_RULE', () => {
    expect(STATE_QUIET_HOURS).toHaveLength(20);
    const fed = STATE_QUIET_HOURS.find((r) => r.jurisdiction === 'FEDERAL');
    expect(fed?.weekday).toEqual(FEDERAL_QUIET_HOURS_RULE.weekday);
    expect(fed?.saturday).toEqual(FEDERAL_QUIET_HOURS_RULE.saturday);
    expect(fed?.sunday).toEqual(FEDERAL_QUIET_HOURS_RULE.sunday);
  });

  it.each([
    ['CT', { start: 540, end: 1200 }, { start: 540, end: 1200 }, { start: 540, end: 1200 }, { start: 540, end: 1200 }],
    ['TX', { start: 540, end: 1260 }, { start: 540, end: 1260 }, { start: 720, end: 1260 }, undefined],
    ['AL', { start: 480, end: 1200 }, { start: 480, end: 1200 }, 'closed', 'closed'],
    ['RI', { start: 540, end: 1080 }, { start: 600, end: 1020 }, 'closed', 'closed'],
    ['PA', { start: 480, end: 1260 }, 'closed', 'closed', 'closed'], // "see source" → closed
    ['us-ky', { start: 600, end: 1260 }, { start: 600, end: 1260 }, { start: 600, end: 1260 }, { start: 600, end: 1260 }],
  ])('stateQuietHoursRule(%s)', (state, weekday, saturday, sunday, holiday) => {
    const rule = stateQuietHoursRule(state);
    expect(rule).toMatchObject({ weekday, saturday, sunday });
    expect(rule?.holiday).toEqual(holiday);
    expect(rule?.source).toMatch(/\S/);
  });

  it('has no rule for states absent from the CSV or for FEDERAL', () => {
    expect(stateQuietHoursRule('NY')).toBeUndefined();
    expect(stateQuietHoursRule('FEDERAL')).toBeUndefined();
    expect(defaultQuietHoursRules(['NY', 'TX', 'tx']).map((r) => r.id)).toEqual(['US-FEDERAL', 'US-TX']);
  });
});

describe('quietHoursDecision: federal default window 08:00–21:00', () => {
  it.each<[string, QuietHoursInput, Expect]>([
    ['07:59 ET', { now: ms('2025-01-15T12:59:00Z'), zone: NY }, { allowed: false, rule: 'US-FEDERAL', next: '2025-01-15T13:00:00Z' }],
    ['07:59:30 ET → next whole minute', { now: ms('2025-01-15T12:59:30Z'), zone: NY }, { allowed: false, rule: 'US-FEDERAL', next: '2025-01-15T13:00:00Z' }],
    ['08:00 ET', { now: ms('2025-01-15T13:00:00Z'), zone: NY }, { allowed: true, rule: 'US-FEDERAL' }],
    ['20:59 ET', { now: ms('2025-01-16T01:59:00Z'), zone: NY }, { allowed: true, rule: 'US-FEDERAL' }],
    ['21:00 ET', { now: ms('2025-01-16T02:00:00Z'), zone: NY }, { allowed: false, rule: 'US-FEDERAL', next: '2025-01-16T13:00:00Z' }],
    ['23:30 PT', { now: ms('2025-01-16T07:30:00Z'), zone: 'America/Los_Angeles' }, { allowed: false, rule: 'US-FEDERAL', next: '2025-01-16T16:00:00Z' }],
    ['luxon DateTime input', { now: DateTime.fromISO('2025-01-15T06:00', { zone: NY }), zone: NY }, { allowed: false, rule: 'US-FEDERAL', next: '2025-01-15T13:00:00Z' }],
    ['London 22:00', { now: ms('2025-01-15T22:00:00Z'), zone: 'Europe/London' }, { allowed: false, rule: 'US-FEDERAL', next: '2025-01-16T08:00:00Z' }],
    ['Sunday is fine federally', { now: ms('2025-01-19T15:00:00Z'), zone: NY }, { allowed: true, rule: 'US-FEDERAL' }],
  ])('%s', (_label, input, expected) => check(input, expected));
});

describe('quietHoursDecision: state rules', () => {
  it.each<[string, QuietHoursInput, Expect]>([
    // Connecticut 09:00–20:00 every day (state derived from the 203 area code)
    ['CT 08:30', { now: ms('2025-01-15T13:30:00Z'), zone: NY, e164: '+12035550100' }, { allowed: false, rule: 'US-CT', next: '2025-01-15T14:00:00Z' }],
    ['CT 09:00', { now: ms('2025-01-15T14:00:00Z'), zone: NY, e164: '+12035550100' }, { allowed: true, rule: 'US-CT' }],
    ['CT 20:00', { now: ms('2025-01-16T01:00:00Z'), zone: NY, state: 'CT' }, { allowed: false, rule: 'US-CT', next: '2025-01-16T14:00:00Z' }],
    // Texas: noon on Sundays
    ['TX Sunday 10:00', { now: ms('2025-01-19T16:00:00Z'), zone: CHI, state: 'TX' }, { allowed: false, rule: 'US-TX', next: '2025-01-19T18:00:00Z' }],
    ['TX Saturday 09:30', { now: ms('2025-01-18T15:30:00Z'), zone: CHI, state: 'TX' }, { allowed: true, rule: 'US-TX' }],
    ['TX weekday 08:30 (state 9:00)', { now: ms('2025-01-15T14:30:00Z'), zone: CHI, state: 'US-TX' }, { allowed: false, rule: 'US-TX', next: '2025-01-15T15:00:00Z' }],
    // Alabama: no Sundays, no holidays (federal holidays by default) → skips MLK Day 2025-01-20
    ['AL Sunday → Tuesday after MLK Day', { now: ms('2025-01-19T16:00:00Z'), zone: CHI, state: 'AL' }, { allowed: false, rule: 'US-AL', next: '2025-01-21T14:00:00Z' }],
    ['AL Sunday with custom holidays []', { now: ms('2025-01-19T16:00:00Z'), zone: CHI, state: 'AL', holidays: [] }, { allowed: false, rule: 'US-AL', next: '2025-01-20T14:00:00Z' }],
    ['AL custom state holiday', { now: ms('2025-01-22T16:00:00Z'), zone: CHI, state: 'AL', holidays: ['2025-01-22'] }, { allowed: false, rule: 'US-AL', next: '2025-01-23T14:00:00Z' }],
    ['AL Thanksgiving', { now: ms('2025-11-27T16:00:00Z'), zone: CHI, state: 'AL' }, { allowed: false, rule: 'US-AL', next: '2025-11-28T14:00:00Z' }],
    // Rhode Island: Sat 10–17, no Sundays/holidays
    ['RI Saturday 09:30', { now: ms('2025-01-18T14:30:00Z'), zone: NY, e164: '+14015550100' }, { allowed: false, rule: 'US-RI', next: '2025-01-18T15:00:00Z' }],
    ['RI Saturday 17:00 → Tuesday 09:00', { now: ms('2025-01-18T22:00:00Z'), zone: NY, e164: '+14015550100' }, { allowed: false, rule: 'US-RI', next: '2025-01-21T14:00:00Z' }],
    ['RI weekday 18:00', { now: ms('2025-01-15T23:00:00Z'), zone: NY, state: 'RI' }, { allowed: false, rule: 'US-RI', next: '2025-01-16T14:00:00Z' }],
    // Mississippi: Sundays closed but holidays 08–20
    ['MS Sunday', { now: ms('2025-01-19T16:00:00Z'), zone: CHI, state: 'MS' }, { allowed: false, rule: 'US-MS', next: '2025-01-20T14:00:00Z' }],
    // Kentucky 10:00
    ['KY 09:30', { now: ms('2025-01-15T14:30:00Z'), zone: NY, state: 'KY' }, { allowed: false, rule: 'US-KY', next: '2025-01-15T15:00:00Z' }],
    // Pennsylvania weekend cells are unparsed → closed (strictest); Monday is MLK Day → closed
    ['PA Saturday', { now: ms('2025-01-18T17:00:00Z'), zone: NY, e164: '+12155550100' }, { allowed: false, rule: 'US-PA', next: '2025-01-21T13:00:00Z' }],
    // Florida 08–20
    ['FL 20:30', { now: ms('2025-01-16T01:30:00Z'), zone: NY, e164: '+13055550100' }, { allowed: false, rule: 'US-FL', next: '2025-01-16T13:00:00Z' }],
    // states without a rule → federal only
    ['NY 08:30', { now: ms('2025-01-15T13:30:00Z'), zone: NY, e164: '+12125550100' }, { allowed: true, rule: 'US-FEDERAL' }],
    // given state and area-code state both apply (strictest plausible): TX Sunday + CT number
    ['TX resident with CT number, Sunday 10:00 ET', { now: ms('2025-01-19T15:00:00Z'), zone: NY, state: 'TX', e164: '+12035550100' }, { allowed: false, rule: 'US-TX', next: '2025-01-19T17:00:00Z' }],
  ])('%s', (_label, input, expected) => check(input, expected));
});

describe("quietHoursDecision: the recipient's country decides the rule", () => {
  const TORONTO = 'America/Toronto';
  it.each<[string, QuietHoursInput, Expect]>([
    // Canada (a Toronto number): the CRTC's window, 09:00–21:30 weekdays, 10:00–18:00 weekends
    ['CA weekday 08:30 → 09:00', { now: ms('2025-01-15T13:30:00Z'), zone: TORONTO, e164: '+14165550100' }, { allowed: false, rule: 'CA-CRTC', next: '2025-01-15T14:00:00Z' }],
    ['CA weekday 21:15 (after 21:00, before 21:30)', { now: ms('2025-01-16T02:15:00Z'), zone: TORONTO, e164: '+14165550100' }, { allowed: true, rule: 'CA-CRTC' }],
    ['CA weekday 21:30 → 09:00 next day', { now: ms('2025-01-16T02:30:00Z'), zone: TORONTO, e164: '+14165550100' }, { allowed: false, rule: 'CA-CRTC', next: '2025-01-16T14:00:00Z' }],
    ['CA Saturday 18:00 → Sunday 10:00', { now: ms('2025-01-18T23:00:00Z'), zone: TORONTO, e164: '+14165550100' }, { allowed: false, rule: 'CA-CRTC', next: '2025-01-19T15:00:00Z' }],
    ['CA by the country alone', { now: ms('2025-01-15T13:30:00Z'), zone: TORONTO, country: 'ca' }, { allowed: false, rule: 'CA-CRTC', next: '2025-01-15T14:00:00Z' }],
    // No law applied: the default window, labelled as such
    ['GB 22:00 → 08:00', { now: ms('2025-01-15T22:00:00Z'), zone: 'Europe/London', e164: '+447700900123' }, { allowed: false, rule: 'DEFAULT', next: '2025-01-16T08:00:00Z' }],
    ['AU 12:00', { now: ms('2025-01-15T01:00:00Z'), zone: 'Australia/Sydney', e164: '+61412345678' }, { allowed: true, rule: 'DEFAULT' }],
    // The US (and a number of unknown country) keep the TCPA's
    ['US 07:59', { now: ms('2025-01-15T12:59:00Z'), zone: NY, e164: '+12125550100' }, { allowed: false, rule: 'US-FEDERAL', next: '2025-01-15T13:00:00Z' }],
  ])('%s', (_label, input, expected) => check(input, expected));

  it('state rules apply to US recipients only', () => {
    expect(defaultQuietHoursRules(['TX'], 'CA').map((r) => r.id)).toEqual(['CA-CRTC']);
    expect(defaultQuietHoursRules(['TX'], 'US').map((r) => r.id)).toEqual(['US-FEDERAL', 'US-TX']);
    expect(defaultQuietHoursRules([], 'DE').map((r) => r.id)).toEqual(['DEFAULT']);
  });
});

describe('quietHoursDecision: several candidate zones must all be open', () => {
  const kentucky270 = recipientTimeZone({ e164: '+12705550100', now: ms('2025-01-15T15:30:00Z') }).candidates;

  it.each<[string, QuietHoursInput, Expect]>([
    ['10:30 ET = 09:30 CT', { now: ms('2025-01-15T15:30:00Z'), zone: kentucky270, e164: '+12705550100' }, { allowed: false, rule: 'US-KY', next: '2025-01-15T16:00:00Z' }],
    ['11:00 ET = 10:00 CT', { now: ms('2025-01-15T16:00:00Z'), zone: kentucky270, e164: '+12705550100' }, { allowed: true, rule: 'US-KY' }],
    ['20:30 CT = 21:30 ET', { now: ms('2025-01-16T02:30:00Z'), zone: kentucky270, e164: '+12705550100' }, { allowed: false, rule: 'US-KY', next: '2025-01-16T16:00:00Z' }],
    ['single zone only checks that zone', { now: ms('2025-01-15T15:30:00Z'), zone: NY, e164: '+12705550100' }, { allowed: true, rule: 'US-KY' }],
  ])('%s', (_label, input, expected) => check(input, expected));
});

describe('quietHoursDecision: DST transitions (fixed instants)', () => {
  const from0230: QuietHoursRule = {
    id: 'TEST-0230',
    description: 'test window 02:30–23:00',
    source: 'test',
    weekday: { start: 150, end: 1380 },
    saturday: { start: 150, end: 1380 },
    sunday: { start: 150, end: 1380 },
  };
  const from0130: QuietHoursRule = { ...from0230, id: 'TEST-0130', weekday: { start: 90, end: 1380 }, saturday: { start: 90, end: 1380 }, sunday: { start: 90, end: 1380 } };

  it.each<[string, QuietHoursInput, Expect]>([
    // US spring forward 2025-03-09 02:00 EST → 03:00 EDT
    ['NY spring-forward 00:30 EST → 08:00 EDT', { now: ms('2025-03-09T05:30:00Z'), zone: NY }, { allowed: false, rule: 'US-FEDERAL', next: '2025-03-09T12:00:00Z' }],
    ['NY eve of spring-forward 21:30 EST', { now: ms('2025-03-09T02:30:00Z'), zone: NY }, { allowed: false, rule: 'US-FEDERAL', next: '2025-03-09T12:00:00Z' }],
    ['NY spring-forward 08:00 EDT', { now: ms('2025-03-09T12:00:00Z'), zone: NY }, { allowed: true, rule: 'US-FEDERAL' }],
    ['LA spring-forward 00:30 PST → 08:00 PDT', { now: ms('2025-03-09T08:30:00Z'), zone: 'America/Los_Angeles' }, { allowed: false, rule: 'US-FEDERAL', next: '2025-03-09T15:00:00Z' }],
    ['window start inside the gap (02:30) → 03:00 EDT', { now: ms('2025-03-09T06:10:00Z'), zone: NY, rules: [from0230] }, { allowed: false, rule: 'TEST-0230', next: '2025-03-09T07:00:00Z' }],
    // US fall back 2025-11-02 02:00 EDT → 01:00 EST
    ['NY fall-back 01:30 EDT → 08:00 EST', { now: ms('2025-11-02T05:30:00Z'), zone: NY }, { allowed: false, rule: 'US-FEDERAL', next: '2025-11-02T13:00:00Z' }],
    ['NY fall-back 01:30 EST (second) → 08:00 EST', { now: ms('2025-11-02T06:30:00Z'), zone: NY }, { allowed: false, rule: 'US-FEDERAL', next: '2025-11-02T13:00:00Z' }],
    ['NY eve of fall-back 21:30 EDT', { now: ms('2025-11-02T01:30:00Z'), zone: NY }, { allowed: false, rule: 'US-FEDERAL', next: '2025-11-02T13:00:00Z' }],
    ['LA fall-back 01:30 PDT → 08:00 PST', { now: ms('2025-11-02T08:30:00Z'), zone: 'America/Los_Angeles' }, { allowed: false, rule: 'US-FEDERAL', next: '2025-11-02T16:00:00Z' }],
    ['window start in the repeated hour (01:30) → first 01:30 EDT', { now: ms('2025-11-02T04:00:00Z'), zone: NY, rules: [from0130] }, { allowed: false, rule: 'TEST-0130', next: '2025-11-02T05:30:00Z' }],
    ['CT on fall-back day 08:30 EST → 09:00 EST', { now: ms('2025-11-02T13:30:00Z'), zone: NY, state: 'CT' }, { allowed: false, rule: 'US-CT', next: '2025-11-02T14:00:00Z' }],
    // UK: 2025-03-30 01:00 GMT → 02:00 BST; 2025-10-26 02:00 BST → 01:00 GMT
    ['London spring-forward 00:30 GMT → 08:00 BST', { now: ms('2025-03-30T00:30:00Z'), zone: 'Europe/London' }, { allowed: false, rule: 'US-FEDERAL', next: '2025-03-30T07:00:00Z' }],
    ['London fall-back 01:30 BST → 08:00 GMT', { now: ms('2025-10-26T00:30:00Z'), zone: 'Europe/London' }, { allowed: false, rule: 'US-FEDERAL', next: '2025-10-26T08:00:00Z' }],
    ['London eve of fall-back 21:30 BST', { now: ms('2025-10-25T20:30:00Z'), zone: 'Europe/London' }, { allowed: false, rule: 'US-FEDERAL', next: '2025-10-26T08:00:00Z' }],
    // Sydney: 2025-10-05 02:00 AEST → 03:00 AEDT; 2025-04-06 03:00 AEDT → 02:00 AEST
    ['Sydney spring-forward 00:30 AEST → 08:00 AEDT', { now: ms('2025-10-04T14:30:00Z'), zone: 'Australia/Sydney' }, { allowed: false, rule: 'US-FEDERAL', next: '2025-10-04T21:00:00Z' }],
    ['Sydney gap (02:30) → 03:00 AEDT', { now: ms('2025-10-04T14:30:00Z'), zone: 'Australia/Sydney', rules: [from0230] }, { allowed: false, rule: 'TEST-0230', next: '2025-10-04T16:00:00Z' }],
    ['Sydney fall-back 01:30 AEDT → 08:00 AEST', { now: ms('2025-04-05T14:30:00Z'), zone: 'Australia/Sydney' }, { allowed: false, rule: 'US-FEDERAL', next: '2025-04-05T22:00:00Z' }],
  ])('%s', (_label, input, expected) => check(input, expected));
});

describe('quietHoursDecision: options', () => {
  it('exempts live conversations', () => {
    const d = quietHoursDecision({ now: ms('2025-01-16T04:00:00Z'), zone: NY, state: 'AL', exemptLiveConversation: true });
    expect(d).toEqual({ allowed: true, rule: expect.objectContaining({ id: 'LIVE-CONVERSATION' }) });
  });

  it('accepts custom rules on top of the defaults', () => {
    const business: QuietHoursRule = {
      id: 'BUSINESS',
      description: 'Business hours 10–18, closed weekends',
      source: 'account settings',
      weekday: { start: 600, end: 1080 },
      saturday: 'closed',
      sunday: 'closed',
    };
    const d = quietHoursDecision({ now: ms('2025-01-17T23:30:00Z'), zone: NY, rules: [...defaultQuietHoursRules(['CT']), business] });
    expect(d).toMatchObject({ allowed: false, rule: { id: 'BUSINESS' }, nextAllowedAt: ms('2025-01-20T15:00:00Z') });
  });

  it('reports rule id, description and source', () => {
    const d = quietHoursDecision({ now: ms('2025-01-19T16:00:00Z'), zone: CHI, state: 'TX' });
    expect(d.rule.description).toContain('Sun 12:00–21:00');
    expect(d.rule.source).toContain('Tex. Bus. & Com. Code');
  });

  it('throws when no window ever opens', () => {
    const never: QuietHoursRule = { id: 'NEVER', description: '', source: '', weekday: 'closed', saturday: 'closed', sunday: 'closed' };
    expect(() => quietHoursDecision({ now: 0, zone: NY, rules: [never] })).toThrow(RangeError);
    expect(() => quietHoursDecision({ now: 0, zone: [] })).toThrow(RangeError);
  });
});
