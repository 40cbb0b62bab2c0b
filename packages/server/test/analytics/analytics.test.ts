/**
 * Analytics over a seeded history, on both databases: every metric equals the value computed here
 * directly from the generated rows (loops and luxon per event, not the analytics code), including
 * local days across a DST change, breakdowns, the heatmap, the funnel and the experiment.
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { generateHistory, insertHistory, type History } from '../support/analytics-history.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { expectProblem } from '../api/helpers.js';

const ZONE = 'America/New_York';
const DAY = 86_400_000;
const WINDOW = 7 * DAY;
// Monday 19 October 2026 00:00 EDT to the end of Sunday 15 November 00:00 EST; 1 November has 25 hours.
const FROM = Date.parse('2026-10-19T04:00:00Z');
const TO = Date.parse('2026-11-16T05:00:00Z');
const QUERY = 'from=2026-10-19&to=2026-11-15';

type Row = Record<string, unknown>;
const n = (v: unknown) => Number(v);
const inRange = (t: unknown) => n(t) >= FROM && n(t) < TO;
const median = (values: number[], q: number) => {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return (s[lo] as number) + ((s[Math.ceil(pos)] as number) - (s[lo] as number)) * (pos - lo);
};
const tally = (values: (string | null | undefined)[]) => {
  const out: Record<string, number> = {};
  for (const v of values) out[v ?? 'unknown'] = (out[v ?? 'unknown'] ?? 0) + 1;
  return out;
};
const local = (t: unknown) => DateTime.fromMillis(n(t), { zone: ZONE });

/** The text-back units (a contact's delivered text-back), computed from the rows. */
function units(h: History) {
  return h.messages
    .filter((m) => m.direction === 'outbound' && m.automation_run_id && m.status === 'delivered' && inRange(m.created_at))
    .map((t) => {
      const at = n(t.sent_at);
      const replies = h.messages.filter((m) => m.contact_id === t.contact_id && m.direction === 'inbound' && m.flags === null && n(m.created_at) > at && n(m.created_at) <= at + WINDOW).map((m) => n(m.created_at));
      return {
        text: t,
        at,
        firstReply: replies.length ? Math.min(...replies) : null,
        calledBack: h.calls.some((c) => c.contact_id === t.contact_id && c.outcome === 'answered' && n(c.created_at) > at && n(c.created_at) <= at + WINDOW),
        optedOut: h.consents.some((c) => c.contact_id === t.contact_id && n(c.created_at) > at && n(c.created_at) <= at + WINDOW),
        source: h.contacts.find((c) => c.id === t.contact_id)?.source ?? null,
      };
    });
}

function expectedSummary(h: History) {
  const calls = h.calls.filter((c) => c.direction === 'inbound' && inRange(c.created_at));
  const out = h.messages.filter((m) => m.direction === 'outbound' && inRange(m.created_at));
  const sent = out.filter((m) => m.sent_at !== null);
  const failed = out.filter((m) => m.status === 'failed' || m.status === 'undelivered');
  const u = units(h);
  const replied = u.filter((x) => x.firstReply !== null);
  // Agents' first responses: each agent text answers the inbound texts since the previous agent text in its conversation.
  const responses: number[] = [];
  for (const conv of h.conversations) {
    const msgs = h.messages.filter((m) => m.conversation_id === conv.id).sort((a, b) => n(a.created_at) - n(b.created_at));
    let previousAgent = -Infinity;
    for (const a of msgs.filter((m) => m.created_by_type === 'user')) {
      const answered = msgs.filter((m) => m.direction === 'inbound' && m.flags === null && inRange(m.created_at) && n(m.created_at) > previousAgent && n(m.created_at) <= n(a.created_at));
      if (answered.length > 0 && n(a.created_at) < TO + WINDOW) responses.push((n(a.created_at) - Math.min(...answered.map((m) => n(m.created_at)))) / 1000);
      previousAgent = n(a.created_at);
    }
  }
  const sessions = h.sessions.filter((s) => inRange(s.created_at));
  const handled = sessions.filter((s) => s.accepted_at !== null);
  const ended = handled.filter((s) => s.ended_at !== null);
  const avg = (v: number[]) => (v.length === 0 ? null : Math.round((v.reduce((a, b) => a + b, 0) / v.length / 1000) * 10) / 10);
  const ratio = (a: number, b: number) => (b > 0 ? a / b : null);
  return {
    missed_calls: calls.filter((c) => c.outcome === 'missed' || c.outcome === 'voicemail').length,
    calls_by_outcome: tally(calls.map((c) => c.outcome)),
    texts_created: out.length,
    texts_sent: sent.length,
    delivered: out.filter((m) => m.status === 'delivered').length,
    failed: failed.length,
    failed_by_reason: tally(failed.map((m) => m.reason)),
    failed_by_error_code: tally(failed.map((m) => m.error_code)),
    held: out.filter((m) => m.status === 'held').length,
    held_by_rule: tally(out.filter((m) => m.status === 'held').map((m) => m.rule)),
    blocked: out.filter((m) => m.status === 'blocked').length,
    blocked_by_rule: tally(out.filter((m) => m.status === 'blocked').map((m) => m.rule)),
    segments: sent.reduce((a, m) => a + n(m.segments), 0),
    cost: null,
    delivery_rate: ratio(out.filter((m) => m.status === 'delivered').length, sent.length),
    block_rate: ratio(out.filter((m) => m.status === 'blocked').length, out.length),
    text_backs_sent: sent.filter((m) => m.automation_run_id).length,
    text_backs_delivered: u.length,
    contacts_texted_back: u.length,
    replied: replied.length,
    reply_rate: ratio(replied.length, u.length),
    median_time_to_first_reply_seconds: median(replied.map((x) => ((x.firstReply as number) - x.at) / 1000), 0.5),
    p90_time_to_first_reply_seconds: median(replied.map((x) => ((x.firstReply as number) - x.at) / 1000), 0.9),
    called_back: u.filter((x) => x.calledBack).length,
    callback_conversion: ratio(u.filter((x) => x.calledBack).length, u.length),
    opted_out: u.filter((x) => x.optedOut).length,
    opt_out_rate: ratio(u.filter((x) => x.optedOut).length, u.length),
    agent_responses: responses.length,
    median_agent_first_response_seconds: median(responses, 0.5),
    p90_agent_first_response_seconds: median(responses, 0.9),
    sms_vol: handled.length,
    sms_aht_seconds: avg(ended.map((s) => n(s.ended_at) - n(s.accepted_at))),
    queue_avg_wait_seconds: avg(handled.map((s) => n(s.accepted_at) - n(s.created_at))),
    queue_abandoned: sessions.filter((s) => s.accepted_at === null && (s.end_reason === 'terminated' || s.end_reason === 'timed_out')).length,
  };
}

describe.each(DIALECTS)('analytics over a seeded history (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;
  let other: TestOrg;
  let h: History;
  const automationId = 'aut_experiment';

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    org = await createTestOrg(app);
    other = await createTestOrg(app);
    const options = { seed: 16, orgId: org.orgId, numberId: org.numberId, numberE164: org.number, automationId, variants: { a: 0.12, b: 0.4 }, start: FROM, days: 28, contacts: 600 };
    h = generateHistory(options);
    await insertHistory(app.tb.ctx.db, h, options);
    // The other organization's history must never show in this one's numbers.
    const theirs = { ...options, seed: 17, orgId: other.orgId, numberId: other.numberId, numberE164: other.number, automationId: 'aut_theirs', contacts: 50 };
    await insertHistory(app.tb.ctx.db, generateHistory(theirs), theirs);
  }, 120_000);
  afterAll(async () => app?.close());

  it.skipIf(!dialectAvailable(dialect))('summary: every headline number equals the one computed from the generated rows', async () => {
    const res = await api(app, org, 'GET', `/v1/analytics/summary?${QUERY}`);
    expect(res.status, res.raw.body).toBe(200);
    const expected = expectedSummary(h);
    expect(expected.replied).toBeGreaterThan(30);
    expect(expected.agent_responses).toBeGreaterThan(10);
    expect(res.json).toMatchObject({ object: 'analytics_summary', from: '2026-10-19T04:00:00.000Z', to: '2026-11-16T05:00:00.000Z', tz: ZONE, reply_window_days: 7, callback_window_days: 7 });
    const { object: _o, from: _f, to: _t, tz: _z, reply_window_days: _r, callback_window_days: _c, business_hours: businessHours, ...metrics } = res.json;
    expect(businessHours).toBe(false);
    expect(metrics).toEqual(expected);
  });

  it.skipIf(!dialectAvailable(dialect))('a contact who replies twice counts once', async () => {
    const twice = units(h).filter((u) => h.messages.filter((m) => m.contact_id === u.text.contact_id && m.direction === 'inbound' && m.flags === null).length >= 2);
    expect(twice.length).toBeGreaterThan(5);
    const res = await api(app, org, 'GET', `/v1/analytics/summary?${QUERY}`);
    expect(res.json.replied).toBeLessThanOrEqual(res.json.contacts_texted_back);
    expect(res.json.replied).toBe(units(h).filter((u) => u.firstReply !== null).length);
  });

  it.skipIf(!dialectAvailable(dialect))('another organization sees none of it', async () => {
    const mine = await api(app, org, 'GET', `/v1/analytics/summary?${QUERY}`);
    const theirs = await api(app, other, 'GET', `/v1/analytics/summary?${QUERY}`);
    expect(theirs.json.missed_calls).toBeLessThan(mine.json.missed_calls / 5);
    expectProblem(await api(app, other, 'GET', `/v1/analytics/experiments/${automationId}`), 404, 'not_found');
  });

  it.skipIf(!dialectAvailable(dialect))('daily time series: local days, the 25-hour 1 November, values per day', async () => {
    const res = await api(app, org, 'GET', `/v1/analytics/timeseries?${QUERY}&by=day`);
    expect(res.status, res.raw.body).toBe(200);
    expect(res.json.data).toHaveLength(28);
    const nov1 = res.json.data.find((d: Row) => d.bucket === '2026-11-01');
    expect(Date.parse(nov1.end) - Date.parse(nov1.start)).toBe(25 * 3_600_000);
    expect(nov1.start).toBe('2026-11-01T04:00:00.000Z');
    const day = (t: unknown) => local(t).toISODate();
    const missedByDay = tally(h.calls.filter((c) => c.direction === 'inbound' && (c.outcome === 'missed' || c.outcome === 'voicemail') && inRange(c.created_at)).map((c) => day(c.created_at)));
    const sentByDay = tally(h.messages.filter((m) => m.direction === 'outbound' && m.sent_at !== null && inRange(m.created_at)).map((m) => day(m.created_at)));
    const repliedByDay = tally(units(h).filter((u) => u.firstReply !== null).map((u) => day(u.text.created_at)));
    for (const d of res.json.data) {
      expect([d.bucket, d.missed_calls, d.texts_sent, d.replied]).toEqual([d.bucket, missedByDay[d.bucket] ?? 0, sentByDay[d.bucket] ?? 0, repliedByDay[d.bucket] ?? 0]);
    }
  });

  it.skipIf(!dialectAvailable(dialect))('weekly and monthly buckets add up to the range', async () => {
    const weeks = await api(app, org, 'GET', `/v1/analytics/timeseries?${QUERY}&by=week`);
    expect(weeks.json.data.map((d: Row) => d.bucket)).toEqual(['2026-10-19', '2026-10-26', '2026-11-02', '2026-11-09']);
    const months = await api(app, org, 'GET', `/v1/analytics/timeseries?${QUERY}&by=month`);
    expect(months.json.data.map((d: Row) => d.bucket)).toEqual(['2026-10', '2026-11']);
    const total = expectedSummary(h);
    for (const series of [weeks, months]) {
      expect(series.json.data.reduce((a: number, d: Row) => a + n(d.missed_calls), 0)).toBe(total.missed_calls);
      expect(series.json.data.reduce((a: number, d: Row) => a + n(d.texts_created), 0)).toBe(total.texts_created);
    }
    expect(months.json.data[0].start).toBe('2026-10-19T04:00:00.000Z');
    expect(months.json.data[1].start).toBe('2026-11-01T04:00:00.000Z');
  });

  it.skipIf(!dialectAvailable(dialect))('breakdowns by variant, source, hour and weekday', async () => {
    const u = units(h);
    const variants = await api(app, org, 'GET', `/v1/analytics/breakdown?${QUERY}&by=variant`);
    expect(variants.status, variants.raw.body).toBe(200);
    for (const v of ['a', 'b']) {
      const row = variants.json.data.find((r: Row) => r.key === v);
      const mine = u.filter((x) => x.text.variant_id === v);
      expect([row.contacts_texted_back, row.replied]).toEqual([mine.length, mine.filter((x) => x.firstReply !== null).length]);
    }
    // Calls have no variant: they are under "none", so the rows add up to the summary.
    expect(variants.json.data.find((r: Row) => r.key === 'none').missed_calls).toBe(expectedSummary(h).missed_calls);

    const sources = await api(app, org, 'GET', `/v1/analytics/breakdown?${QUERY}&by=source`);
    for (const row of sources.json.data) {
      const mine = u.filter((x) => (x.source ?? 'none') === row.key);
      expect([row.key, row.contacts_texted_back, row.replied]).toEqual([row.key, mine.length, mine.filter((x) => x.firstReply !== null).length]);
    }

    const hours = await api(app, org, 'GET', `/v1/analytics/breakdown?${QUERY}&by=hour`);
    const missedByHour = tally(h.calls.filter((c) => c.direction === 'inbound' && (c.outcome === 'missed' || c.outcome === 'voicemail') && inRange(c.created_at)).map((c) => String(local(c.created_at).hour)));
    expect(Object.fromEntries(hours.json.data.filter((r: Row) => n(r.missed_calls) > 0).map((r: Row) => [r.key, r.missed_calls]))).toEqual(missedByHour);

    const weekdays = await api(app, org, 'GET', `/v1/analytics/breakdown?${QUERY}&by=weekday`);
    const names = ['', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
    const repliedByWeekday = tally(u.filter((x) => x.firstReply !== null).map((x) => names[local(x.text.created_at).weekday]));
    expect(Object.fromEntries(weekdays.json.data.filter((r: Row) => n(r.replied) > 0).map((r: Row) => [r.key, r.replied]))).toEqual(repliedByWeekday);
    expect(weekdays.json.data.map((r: Row) => r.key)).toEqual(names.slice(1).filter((d) => weekdays.json.data.some((r: Row) => r.key === d)));

    const agents = await api(app, org, 'GET', `/v1/analytics/breakdown?${QUERY}&by=agent`);
    const perAgent = agents.json.data.filter((r: Row) => h.agentIds.includes(r.key as string));
    expect(perAgent.reduce((a: number, r: Row) => a + n(r.agent_responses), 0)).toBe(expectedSummary(h).agent_responses);
    expect(perAgent.reduce((a: number, r: Row) => a + n(r.sms_vol), 0)).toBe(expectedSummary(h).sms_vol);
  });

  it.skipIf(!dialectAvailable(dialect))('heatmap: missed calls and first replies by local weekday and hour', async () => {
    const res = await api(app, org, 'GET', `/v1/analytics/heatmap?${QUERY}`);
    expect(res.status, res.raw.body).toBe(200);
    const missed = Array.from({ length: 7 }, () => new Array(24).fill(0));
    for (const c of h.calls) if (c.direction === 'inbound' && (c.outcome === 'missed' || c.outcome === 'voicemail') && inRange(c.created_at)) missed[local(c.created_at).weekday - 1]![local(c.created_at).hour] += 1;
    const replies = Array.from({ length: 7 }, () => new Array(24).fill(0));
    for (const u of units(h)) if (u.firstReply !== null) replies[local(u.firstReply).weekday - 1]![local(u.firstReply).hour] += 1;
    expect(res.json.missed_calls).toEqual(missed);
    expect(res.json.replies).toEqual(replies);
  });

  it.skipIf(!dialectAvailable(dialect))('funnel: missed calls → texts sent → delivered → replied → called back → opted out', async () => {
    const res = await api(app, org, 'GET', `/v1/analytics/funnel?${QUERY}`);
    const e = expectedSummary(h);
    expect(res.json.stages.map((s: Row) => [s.stage, s.count])).toEqual([
      ['missed_calls', e.missed_calls],
      ['texts_sent', e.text_backs_sent],
      ['delivered', e.text_backs_delivered],
      ['replied', e.replied],
      ['called_back', e.called_back],
      ['opted_out', e.opted_out],
    ]);
    expect(res.json.stages[3].rate_from_previous).toBe(e.reply_rate);
    const byVariant = await api(app, org, 'GET', `/v1/analytics/funnel?${QUERY}&by=variant`);
    const u = units(h);
    expect(byVariant.json.data.map((g: Row) => g.key)).toEqual(['a', 'b', 'none']);
    for (const g of byVariant.json.data.filter((x: Row) => x.key !== 'none')) {
      const replied = u.filter((x) => x.text.variant_id === g.key && x.firstReply !== null).length;
      expect(g.stages.find((s: Row) => s.stage === 'replied').count).toBe(replied);
    }
  });

  it.skipIf(!dialectAvailable(dialect))('an automation without variants has no experiment (409)', async () => {
    await app.tb.ctx.db.kysely
      .insertInto('automations')
      .values({ id: 'aut_plain', org_id: org.orgId, name: 'Plain', state: 'active', priority: 0, trigger_type: 'call.missed', document: '{"steps":[{"id":"s","type":"send_sms","template":"hi"}]}', preset: null, created_at: FROM, updated_at: FROM })
      .execute();
    expectProblem(await api(app, org, 'GET', `/v1/analytics/experiments/aut_plain?${QUERY}`), 409, 'invalid_state', { detail: ['no A/B variants'] });
  });

  it.skipIf(!dialectAvailable(dialect))('the experiment: per-variant counts from the rows, and the truly better variant wins', async () => {
    const res = await api(app, org, 'GET', `/v1/analytics/experiments/${automationId}?${QUERY}`);
    expect(res.status, res.raw.body).toBe(200);
    const u = units(h);
    for (const v of res.json.variants) {
      const mine = u.filter((x) => x.text.variant_id === v.id);
      expect([v.id, v.delivered, v.replies]).toEqual([v.id, mine.length, mine.filter((x) => x.firstReply !== null).length]);
      expect(v.reply_rate_interval.low).toBeLessThan(v.reply_rate);
      expect(v.reply_rate_interval.high).toBeGreaterThan(v.reply_rate);
    }
    expect(res.json).toMatchObject({ verdict: 'winner', winner: 'b', more_texts_needed: 0 });
  });

  it.skipIf(!dialectAvailable(dialect))('CSV for every report, by Accept or ?format=csv', async () => {
    const summary = await api(app, org, 'GET', `/v1/analytics/summary?${QUERY}&format=csv`);
    expect(summary.headers['content-type']).toMatch(/^text\/csv/);
    const lines = summary.raw.body.trim().split('\r\n');
    expect(lines[0]).toBe('metric,value');
    expect(lines).toContain(`missed_calls,${expectedSummary(h).missed_calls}`);
    const series = await api(app, org, 'GET', `/v1/analytics/timeseries?${QUERY}`, undefined, { accept: 'text/csv' });
    expect(series.headers['content-type']).toMatch(/^text\/csv/);
    expect(series.raw.body.trim().split('\r\n')).toHaveLength(29);
    expect(series.raw.body.split('\r\n')[0]).toMatch(/^bucket,start,end,missed_calls,/);
    for (const path of ['breakdown?by=variant&', 'funnel?', 'heatmap?', `experiments/${automationId}?`]) {
      const res = await api(app, org, 'GET', `/v1/analytics/${path}${QUERY}&format=csv`);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type'], path).toMatch(/^text\/csv/);
      expect(res.raw.body.split('\r\n').length, path).toBeGreaterThan(2);
    }
  });

  it.skipIf(!dialectAvailable(dialect))('refuses what it cannot answer, naming the field', async () => {
    expectProblem(await api(app, org, 'GET', '/v1/analytics/summary?from=2026-11-02&to=2026-11-01'), 400, 'validation_failed', { detail: ['from', 'to'], fields: ['from', 'to'] });
    expectProblem(await api(app, org, 'GET', '/v1/analytics/summary?from=2026-11-02T10:00:00Z&to=2026-11-02T09:00:00Z'), 400, 'validation_failed', { fields: ['from', 'to'] });
    expectProblem(await api(app, org, 'GET', '/v1/analytics/summary?tz=Mars/Olympus'), 400, 'validation_failed', { detail: ['tz', 'Mars/Olympus'], fields: ['tz'] });
    expectProblem(await api(app, org, 'GET', '/v1/analytics/summary?from=yesterday'), 400, 'validation_failed', { detail: ['from', 'yesterday'], fields: ['from'] });
    expectProblem(await api(app, org, 'GET', '/v1/analytics/summary?from=2026-02-30'), 400, 'validation_failed', { fields: ['from'] });
    expectProblem(await api(app, org, 'GET', '/v1/analytics/breakdown?by=planet'), 400, 'validation_failed', { detail: ['by'] });
    expectProblem(await api(app, org, 'GET', '/v1/analytics/breakdown'), 400, 'validation_failed', { detail: ['by'] });
    expectProblem(await api(app, org, 'GET', '/v1/analytics/timeseries?by=hour'), 400, 'validation_failed', { detail: ['by'] });
    expectProblem(await api(app, org, 'GET', '/v1/analytics/summary?reply_window_days=0'), 400, 'validation_failed', { detail: ['reply_window_days'] });
    expectProblem(await api(app, org, 'GET', '/v1/analytics/summary?colour=red'), 400, 'validation_failed', { detail: ['colour'] });
    expectProblem(await api(app, org, 'GET', '/v1/analytics/experiments/aut_missing'), 404, 'not_found');
    expectProblem(await api(app, org, 'GET', '/v1/analytics/timeseries?from=2020-01-01&to=2026-01-01&by=day'), 400, 'validation_failed', { detail: ['2193 buckets', 'by=month'], fields: ['by'] });
    expect((await api(app, org, 'GET', '/v1/analytics/timeseries?from=2020-01-01&to=2026-01-01&by=month')).json.data).toHaveLength(73);
  });

  it.skipIf(!dialectAvailable(dialect))('needs the supervisor role', async () => {
    const user = await api(app, org, 'POST', '/v1/users', { email: 'agent-analytics@example.com', name: 'Agent', role: 'agent' });
    const key = await api(app, org, 'POST', '/v1/api-keys', { user_id: user.json.id, name: 'agent key' });
    const agent = { apiKey: key.json.key as string };
    for (const path of ['summary', 'timeseries', 'breakdown?by=hour', 'funnel', 'heatmap', `experiments/${automationId}`]) {
      expectProblem(await api(app, agent, 'GET', `/v1/analytics/${path}`), 403, 'forbidden', { detail: ['supervisor'] });
    }
  });
});
