/**
 * Local days at their edges: a reply at 23:30 counts on its local day, a day of 23 hours is one
 * day, `tz` moves the days, and the hour and weekday of an instant follow the zone's offsets.
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buckets, LocalClock, parseRange } from '../../src/analytics/range.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { messageRow } from '../support/analytics-history.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';

describe('range and local clock', () => {
  it('cuts days of 23 and 25 hours in New York', () => {
    const spring = buckets(parseRange({ from: '2026-03-07', to: '2026-03-09' }, 'America/New_York', 0), 'day');
    expect(spring.map((b) => [b.key, (b.end - b.start) / 3_600_000])).toEqual([
      ['2026-03-07', 24],
      ['2026-03-08', 23],
      ['2026-03-09', 24],
    ]);
    const autumn = buckets(parseRange({ from: '2026-11-01', to: '2026-11-01' }, 'America/New_York', 0), 'day');
    expect(autumn.map((b) => [b.key, (b.end - b.start) / 3_600_000])).toEqual([['2026-11-01', 25]]);
  });

  it('gives the local hour and weekday of every instant, across half-hour and whole-hour changes', () => {
    for (const zone of ['America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Europe/London']) {
      const from = Date.parse('2026-01-01T00:00:00Z');
      const to = Date.parse('2027-01-01T00:00:00Z');
      const clock = new LocalClock(zone, from, to);
      for (let t = from; t < to; t += 7 * 3_600_000 + 13 * 60_000) {
        const local = DateTime.fromMillis(t, { zone });
        expect([zone, t, clock.hour(t), clock.weekday(t)]).toEqual([zone, t, local.hour, local.weekday]);
      }
    }
  });

  it('reads instants with their offset and dates as whole local days', () => {
    const r = parseRange({ from: '2026-03-01T09:00:00-05:00', to: '2026-03-31' }, 'America/New_York', 0);
    expect(new Date(r.from).toISOString()).toBe('2026-03-01T14:00:00.000Z');
    expect(new Date(r.to).toISOString()).toBe('2026-04-01T04:00:00.000Z');
  });
});

describe.each(DIALECTS)('a reply at 23:30 local (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;
  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    org = await createTestOrg(app); // America/New_York
    const k = app.tb.ctx.db.kysely;
    const at = (iso: string) => Date.parse(iso);
    // Saturday 7 March 2026, 23:10 and 23:30 EST (04:10 and 04:30 UTC on the 8th): a missed call, its text-back, the reply.
    await k.insertInto('contacts').values({ id: 'con_late', org_id: org.orgId, e164: '+15550001111', name: null, source: 'google', time_zone: null, attributes: '{}', created_at: at('2026-03-08T04:00:00Z'), updated_at: 0 }).execute();
    await k
      .insertInto('conversations')
      .values({ id: 'cnv_late', org_id: org.orgId, contact_id: 'con_late', number_id: org.numberId, status: 'open', assigned_user_id: null, assigned_team_id: null, unread_count: 0, last_message_at: null, created_at: 0, updated_at: 0 })
      .execute();
    await k
      .insertInto('calls')
      .values({
        id: 'call_late',
        org_id: org.orgId,
        contact_id: 'con_late',
        number_id: org.numberId,
        direction: 'inbound',
        from_e164: '+15550001111',
        to_e164: org.number,
        status: 'no-answer',
        duration_s: 0,
        answered_by: null,
        outcome: 'missed',
        outcome_reason: null,
        carrier: 'sandbox',
        external_id: null,
        started_at: at('2026-03-08T04:09:45Z'),
        ended_at: at('2026-03-08T04:10:00Z'),
        created_at: at('2026-03-08T04:09:45Z'),
        extension: null,
      })
      .execute();
    await k
      .insertInto('automations')
      .values({ id: 'aut_late', org_id: org.orgId, name: 'Text-back', state: 'active', priority: 0, trigger_type: 'call.missed', document: '{}', preset: null, created_at: 0, updated_at: 0 })
      .execute();
    await k
      .insertInto('automation_runs')
      .values({ id: 'run_late', org_id: org.orgId, automation_id: 'aut_late', contact_id: 'con_late', number_id: org.numberId, trigger_type: 'call.missed', event_id: 'e', event: '{}', priority: 0, status: 'completed', run_state: '{}', outcome: null, next_at: null, created_at: 0, updated_at: 0, finished_at: 0 })
      .execute();
    const o = { orgId: org.orgId, numberId: org.numberId, numberE164: org.number };
    await k
      .insertInto('messages')
      .values([
        messageRow({ contact_id: 'con_late', conversation_id: 'cnv_late', direction: 'outbound', status: 'delivered', created_at: at('2026-03-08T04:10:00Z'), sent_at: at('2026-03-08T04:10:01Z'), automation_run_id: 'run_late', automated: 1 }, o, '+15550001111'),
        messageRow({ contact_id: 'con_late', conversation_id: 'cnv_late', direction: 'inbound', status: 'received', created_at: at('2026-03-08T04:30:00Z') }, o, '+15550001111'),
        // The same contact replies again: still one contact who replied.
        messageRow({ contact_id: 'con_late', conversation_id: 'cnv_late', direction: 'inbound', status: 'received', created_at: at('2026-03-08T04:31:00Z') }, o, '+15550001111'),
      ])
      .execute();
  });
  afterAll(async () => app?.close());

  it.skipIf(!dialectAvailable(dialect))('counts on Saturday the 7th in New York, and on the 8th in UTC', async () => {
    const ny = await api(app, org, 'GET', '/v1/analytics/timeseries?from=2026-03-06&to=2026-03-09');
    expect(ny.status, ny.raw.body).toBe(200);
    expect(ny.json.data.map((d: Record<string, unknown>) => [d.bucket, d.missed_calls, d.replied, d.reply_rate])).toEqual([
      ['2026-03-06', 0, 0, null],
      ['2026-03-07', 1, 1, 1],
      ['2026-03-08', 0, 0, null],
      ['2026-03-09', 0, 0, null],
    ]);
    const utc = await api(app, org, 'GET', '/v1/analytics/timeseries?from=2026-03-06&to=2026-03-09&tz=UTC');
    expect(utc.json.data.map((d: Record<string, unknown>) => [d.bucket, d.missed_calls, d.replied])).toEqual([
      ['2026-03-06', 0, 0],
      ['2026-03-07', 0, 0],
      ['2026-03-08', 1, 1],
      ['2026-03-09', 0, 0],
    ]);
    const heat = await api(app, org, 'GET', '/v1/analytics/heatmap?from=2026-03-06&to=2026-03-09');
    expect(heat.json.replies[5][23]).toBe(1); // sat, 23:00
    expect(heat.json.missed_calls[5][23]).toBe(1);
    const summary = await api(app, org, 'GET', '/v1/analytics/summary?from=2026-03-06&to=2026-03-09');
    expect([summary.json.replied, summary.json.contacts_texted_back, summary.json.median_time_to_first_reply_seconds]).toEqual([1, 1, 1199]);
  });

  it.skipIf(!dialectAvailable(dialect))('with business_hours=true, time to first reply counts only open hours', async () => {
    // The default hours are closed on Saturday night: the reply waited no business time.
    const closed = await api(app, org, 'GET', '/v1/analytics/summary?from=2026-03-06&to=2026-03-09&business_hours=true');
    expect(closed.status, closed.raw.body).toBe(200);
    expect([closed.json.business_hours, closed.json.median_time_to_first_reply_seconds]).toEqual([true, 0]);
    // Open on Saturdays from 23:20: ten of the twenty minutes count.
    const patched = await api(app, org, 'PATCH', '/v1/organization', { business_hours: { weekly: { sat: [{ open: '23:20', close: '24:00' }] } } });
    expect(patched.status, patched.raw.body).toBe(200);
    const open = await api(app, org, 'GET', '/v1/analytics/breakdown?by=source&from=2026-03-06&to=2026-03-09&business_hours=true');
    expect(open.json.data.find((r: Record<string, unknown>) => r.key === 'google').median_time_to_first_reply_seconds).toBe(600);
    const wall = await api(app, org, 'GET', '/v1/analytics/timeseries?from=2026-03-07&to=2026-03-07');
    expect(wall.json.data[0].median_time_to_first_reply_seconds).toBe(1199);
  });
});
