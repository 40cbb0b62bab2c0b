/// <reference lib="dom" />
/**
 * The analytics dashboards in a real browser, over a seeded history (the server tests' generator,
 * written straight into the tables): the summary equals what was seeded, a preset changes the URL and
 * the figures, a heatmap cell holds its seeded count, a fresh A/B automation is "too early to tell",
 * a number clicks through to the inbox search listing exactly its conversations, and axe finds no
 * serious or critical violation. Also: the page's metric definitions are the docs' word for word.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHistory, insertHistory, type History } from '../../../server/test/support/analytics-history.js';
import { METRICS } from '../../src/analytics/metrics.js';
import { presetRange, rangeFromSearch } from '../../src/analytics/range.js';
import { apiCall, axe, describeBrowser, launch, signIn, startWebServer, type TestBrowser, type WebServer } from '../support/browser.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DAY = 86_400_000;
const ZONE = 'America/Los_Angeles'; // the demo organization's

/** An instant's local date, weekday (mon..sun) and hour in the demo organization's zone. */
function local(ms: number) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23', weekday: 'short' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  return { date: `${parts.year}-${parts.month}-${parts.day}`, weekday: (parts.weekday ?? '').toLowerCase(), hour: Number(parts.hour) };
}

describe('analytics: the metric definitions', () => {
  it('shows every metric with the one-sentence definition of docs/analytics.md, word for word', () => {
    const docs = fs.readFileSync(path.resolve(here, '../../../../docs/analytics.md'), 'utf8');
    const defined = new Map<string, string>();
    for (const line of docs.split('\n')) {
      const m = /^\| (`[a-z0-9_]+`(?:, `[a-z0-9_]+`)*) \| (.+) \|$/.exec(line);
      if (!m) continue;
      for (const name of m[1]!.match(/`([a-z0-9_]+)`/g) ?? []) defined.set(name.replace(/`/g, ''), m[2]!.replace(/`/g, ''));
    }
    for (const [key, info] of Object.entries(METRICS)) expect({ key, definition: info.definition }).toEqual({ key, definition: defined.get(key) });
  });

  it('resolves presets in local days and keeps custom dates', () => {
    expect(presetRange('7d', '2026-03-10')).toEqual({ from: '2026-03-04', to: '2026-03-10', preset: '7d' });
    expect(presetRange('last-month', '2026-03-10')).toEqual({ from: '2026-02-01', to: '2026-02-28', preset: 'last-month' });
    expect(presetRange('this-month', '2026-01-05')).toEqual({ from: '2026-01-01', to: '2026-01-05', preset: 'this-month' });
    expect(presetRange('last-month', '2026-01-05')).toEqual({ from: '2025-12-01', to: '2025-12-31', preset: 'last-month' });
    expect(rangeFromSearch({ from: '2026-02-01', to: '2026-02-10', range: '7d' }, '2026-03-10')).toEqual({ from: '2026-02-01', to: '2026-02-10', preset: null });
    expect(rangeFromSearch({ from: '2026-02-10', to: '2026-02-01' }, '2026-03-10').preset).toBe('30d');
  });
});

describeBrowser('analytics dashboards', () => {
  let server: WebServer;
  let b: TestBrowser;
  let h: History;
  const automationId = 'aut_history_ab';
  const start = Date.now() - 62 * DAY;

  beforeAll(async () => {
    server = await startWebServer();
    const number = ((await apiCall(server, 'GET', '/v1/numbers')).json.data as { id: string; phone: string }[])[0]!;
    // 50 days of history ending 12 days ago (replies and callbacks follow for up to 8 days): all in the last 90 days, none in the last 7.
    const options = { seed: 16, orgId: server.orgId, numberId: number.id, numberE164: number.phone, automationId, variants: { A: 0.3, B: 0.2 }, start, days: 50, contacts: 140 };
    h = generateHistory(options);
    await insertHistory(server.tb.ctx.db, h, options);
    b = await launch();
    await signIn(b.page, server.url);
  });
  afterAll(async () => {
    await b?.close();
    await server?.close();
  });

  const missed = () => h.calls.filter((c) => c.direction === 'inbound' && (c.outcome === 'missed' || c.outcome === 'voicemail'));
  const SENT = new Set(['sent', 'delivered', 'undelivered', 'failed']);
  const card = (name: string) => b.page.getByRole('group', { name, exact: true }).locator('.metric-value');

  it('shows the seeded summary; a preset changes the URL and the figures', async () => {
    const { page } = b;
    await page.goto(`${server.url}/analytics?range=90d`);
    const texts = h.messages.filter((m) => m.direction === 'outbound' && SENT.has(m.status));
    const delivered = texts.filter((m) => m.status === 'delivered');
    await expect.poll(() => card('Missed calls').textContent()).toBe(missed().length.toLocaleString('en-US'));
    expect(await card('Texts sent').textContent()).toBe(texts.length.toLocaleString('en-US'));
    expect(await card('Delivered').textContent()).toBe(delivered.length.toLocaleString('en-US'));
    expect(await card('Delivery rate').textContent()).toBe(`${((delivered.length / texts.length) * 100).toFixed(1)}%`);
    expect(await page.getByRole('button', { name: 'Last 90 days' }).getAttribute('aria-pressed')).toBe('true');
    // The uPlot canvas is drawn, and described.
    await page.locator('.uplot-host canvas').first().waitFor();
    expect(await page.locator('.uplot-host').getAttribute('aria-label')).toContain(`In all: texts sent ${texts.length.toLocaleString('en-US')}.`);

    await page.getByRole('button', { name: 'Last 7 days' }).click();
    await page.waitForURL(/[?&]range=7d/);
    await expect.poll(() => card('Missed calls').textContent()).toBe('0');
    expect(await card('Texts sent').textContent()).toBe('0');
    expect(await page.getByRole('button', { name: 'Last 7 days' }).getAttribute('aria-pressed')).toBe('true');

    // The link reproduces the view; custom dates go into the URL too.
    const first = local(start).date;
    await page.getByLabel('From', { exact: true }).fill(first);
    await page.getByLabel('To', { exact: true }).fill(first);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(new RegExp(`from=${first}&to=${first}|to=${first}&from=${first}`));
    const thatDay = missed().filter((c) => local(c.created_at as number).date === first).length;
    await expect.poll(() => card('Missed calls').textContent()).toBe(thatDay.toLocaleString('en-US'));
    await page.reload();
    await expect.poll(() => card('Missed calls').textContent()).toBe(thatDay.toLocaleString('en-US'));
  });

  it('draws the chosen metric per local week, with its numbers in a table', async () => {
    const { page } = b;
    await page.goto(`${server.url}/analytics?range=90d`);
    await page.getByLabel('Metric', { exact: true }).selectOption({ label: 'Missed calls' });
    await page.waitForURL(/[?&]metric=missed_calls/);
    await page.getByRole('group', { name: 'Granularity' }).getByRole('button', { name: 'Week', exact: true }).click();
    await page.waitForURL(/[?&]every=week/);
    await page.getByRole('heading', { name: 'Missed calls over time' }).waitFor();
    await page.getByText('Show the numbers').click();
    const table = page.getByRole('region', { name: 'Missed calls per week' });
    await table.getByRole('rowheader').first().waitFor();
    // Weeks run Monday to Sunday in the organization's zone.
    const weeks = new Map<string, number>();
    const index = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
    for (const c of missed()) {
      const l = local(c.created_at as number);
      const monday = new Date(Date.parse(`${l.date}T00:00:00Z`) - index.indexOf(l.weekday) * DAY).toISOString().slice(0, 10);
      weeks.set(monday, (weeks.get(monday) ?? 0) + 1);
    }
    const expected = [...weeks.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([monday, n]) => [`Week of ${new Date(`${monday}T12:00:00Z`).toLocaleDateString('en-US', { timeZone: 'UTC', month: 'short', day: 'numeric', year: 'numeric' })}`, String(n)]);
    const shown = await table.getByRole('row').evaluateAll((rows) => rows.slice(1).map((r) => [r.querySelector('th')?.textContent ?? '', r.querySelector('td')?.textContent ?? '']));
    expect(shown.filter(([, n]) => n !== '0')).toEqual(expected);
    expect(await page.locator('.uplot-host').getAttribute('aria-label')).toContain(`Missed calls per week`);
  });

  it('counts reply times in business hours when asked, and downloads each report as CSV', async () => {
    const { page } = b;
    await page.goto(`${server.url}/analytics?range=90d`);
    const median = page.getByRole('group', { name: 'Median time to first reply', exact: true });
    await median.locator('.metric-sub').filter({ hasText: '90th percentile' }).waitFor();
    await page.getByLabel('Reply times in business hours only').check();
    await page.waitForURL(/[?&]hours=business/);
    await median.getByText('Median time to first reply (business hours)').waitFor();
    const { from, to } = presetRange('90d', local(Date.now()).date);
    const business = (await apiCall(server, 'GET', `/v1/analytics/summary?from=${from}&to=${to}&business_hours=true`)).json;
    const plain = (await apiCall(server, 'GET', `/v1/analytics/summary?from=${from}&to=${to}`)).json;
    expect(business.median_time_to_first_reply_seconds).not.toBe(plain.median_time_to_first_reply_seconds);
    const fmt = (v: number) => (v < 60 ? `${Math.round(v)} s` : v < 3600 ? `${Math.round(v / 60)} min` : v < 86_400 ? `${(v / 3600).toFixed(1)} h` : `${(v / 86_400).toFixed(1)} d`);
    await expect.poll(() => median.locator('.metric-value').evaluate((e) => e.firstChild?.textContent)).toBe(fmt(business.median_time_to_first_reply_seconds));

    // The CSV links carry the same range and choices, and the session's cookie is enough.
    const csv = page.getByRole('link', { name: /^Download every metric by variant as CSV$/ });
    const href = (await csv.getAttribute('href'))!;
    expect(href).toContain(`from=${from}`);
    expect(href).toContain('business_hours=true');
    const res = await page.request.get(`${server.url}${href}`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('text/csv');
    const lines = (await res.text()).trim().split('\n');
    expect(lines[0]).toMatch(/^variant,missed_calls,/);
    expect(lines.some((l) => l.startsWith('A,'))).toBe(true);
  });

  it('puts each missed call in its local weekday × hour cell', async () => {
    const { page } = b;
    await page.goto(`${server.url}/analytics?range=90d`);
    const cells = new Map<string, number>();
    for (const c of missed()) {
      const l = local(c.created_at as number);
      const key = `${l.weekday} ${l.hour}`;
      cells.set(key, (cells.get(key) ?? 0) + 1);
    }
    const [busiest, n] = [...cells.entries()].sort((a, b) => b[1] - a[1])[0]!;
    const [weekday, hour] = busiest.split(' ') as [string, string];
    const day = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' }[weekday]!;
    const hh = (x: number) => String(x % 24).padStart(2, '0');
    const label = `${day} ${hh(Number(hour))}:00–${hh(Number(hour) + 1)}:00: ${n} missed call${n === 1 ? '' : 's'}`;
    const heatmap = page.getByRole('table', { name: 'Missed calls by weekday and hour' });
    await heatmap.getByRole('cell', { name: label, exact: true }).waitFor();
    expect(await heatmap.getByRole('cell', { name: label, exact: true }).textContent()).toBe(String(n));
    // An empty hour says so too.
    expect(await heatmap.locator('td[aria-label$=": 0 missed calls"]').count()).toBe(7 * 24 - cells.size);
  });

  it('shows a fresh automation with variants as too early to tell, and the seeded one per variant', async () => {
    const { page } = b;
    const created = await apiCall(server, 'POST', '/v1/automations', {
      name: 'Fresh A/B',
      state: 'active',
      priority: 5,
      scope: { numbers: 'all' },
      trigger: { type: 'call.completed' },
      steps: [{ type: 'send_sms', variants: [{ id: 'short', template: 'Sorry we missed you!', weight: 1 }, { id: 'long', template: 'Sorry we missed your call. Reply here and we will call back.', weight: 1 }] }],
    });
    expect(created.status).toBe(201);
    await page.goto(`${server.url}/analytics?experiment=${created.json.id}`);
    const card = page.getByRole('group', { name: 'Experiment: Fresh A/B' });
    await card.getByRole('status').filter({ hasText: 'Too early to tell' }).waitFor();
    expect(await card.getByRole('status').textContent()).toContain('Every variant needs at least 30 delivered texts (short: 0, long: 0)');
    expect(await card.getByRole('rowheader').allTextContents()).toEqual(['Variant short', 'Variant long']);

    // The seeded experiment: the API's verdict and each variant's counts, as the card shows them.
    await page.getByLabel('Automation', { exact: true }).selectOption({ label: 'Missed-call text-back (A/B)' });
    await page.waitForURL(new RegExp(`experiment=${automationId}`));
    const report = (await apiCall(server, 'GET', `/v1/analytics/experiments/${automationId}`)).json;
    const seeded = page.getByRole('group', { name: 'Experiment: Missed-call text-back (A/B)' });
    const verdict = report.verdict === 'winner' ? `Variant ${report.winner} wins` : report.more_texts_needed ? `Too early to tell: about ${report.more_texts_needed.toLocaleString('en-US')} more texts needed` : 'Too early to tell';
    await seeded.getByRole('status').filter({ hasText: verdict }).waitFor();
    for (const v of report.variants) {
      const row = seeded.getByRole('row').filter({ has: page.getByRole('rowheader', { name: `Variant ${v.id}`, exact: true }) });
      const cells = await row.getByRole('cell').allTextContents();
      expect(cells.slice(1, 3)).toEqual([String(v.delivered), String(v.replies)]);
      expect(cells[3]).toBe(`${(v.reply_rate * 100).toFixed(1)}% (${(v.reply_rate_interval.low * 100).toFixed(1)}%–${(v.reply_rate_interval.high * 100).toFixed(1)}%)`);
      expect(cells[4]).toBe(`${(v.chance_to_beat * 100).toFixed(1)}%`);
    }
  });

  it('names the winner when the API declares one', async () => {
    const { page } = b;
    // A second, older experiment (150 to 200 days ago: outside every other test's range) with a clear winner.
    const number = ((await apiCall(server, 'GET', '/v1/numbers')).json.data as { id: string; phone: string }[])[0]!;
    const options = { seed: 17, orgId: server.orgId, numberId: number.id, numberE164: number.phone, automationId: 'aut_history_winner', variants: { A: 0.7, B: 0.1 }, start: Date.now() - 200 * DAY, days: 50, contacts: 500 };
    const older = generateHistory(options);
    // Other phone numbers than the first history's contacts.
    const renumber = (v: unknown) => (typeof v === 'string' && v.startsWith('+1555') ? `+1556${v.slice(5)}` : v);
    for (const rows of [older.contacts, older.messages, older.calls, older.consents, older.sessions] as Record<string, unknown>[][]) {
      for (const r of rows) for (const k of ['e164', 'from_e164', 'to_e164', 'originator_e164']) if (k in r) r[k] = renumber(r[k]);
    }
    await insertHistory(server.tb.ctx.db, older, options);
    await server.tb.ctx.db.kysely.updateTable('automations').set({ name: 'Older A/B' }).where('id', '=', 'aut_history_winner').execute();
    const report = (await apiCall(server, 'GET', '/v1/analytics/experiments/aut_history_winner')).json;
    expect({ verdict: report.verdict, winner: report.winner }).toEqual({ verdict: 'winner', winner: 'A' });
    await page.goto(`${server.url}/analytics?experiment=aut_history_winner`);
    const card = page.getByRole('group', { name: 'Experiment: Older A/B' });
    await card.getByRole('status').filter({ hasText: 'Variant A wins' }).waitFor();
    expect(await card.getByRole('status').textContent()).toContain(report.reason.charAt(0).toUpperCase() + report.reason.slice(1));
    expect(await card.getByRole('rowheader').allTextContents()).toEqual(['Variant AWinner', 'Variant B']);
  });

  it('clicks through from a number to the inbox search listing exactly the conversations behind it', async () => {
    const { page } = b;
    // The local day with the most missed calls.
    const perDay = new Map<string, Set<string>>();
    for (const c of missed()) {
      const d = local(c.created_at as number).date;
      perDay.set(d, (perDay.get(d) ?? new Set()).add(c.contact_id as string));
    }
    const [day, contacts] = [...perDay.entries()].sort((a, b) => b[1].size - a[1].size)[0]!;
    await page.goto(`${server.url}/analytics?from=${day}&to=${day}`);
    const count = missed().filter((c) => local(c.created_at as number).date === day).length;
    const link = page.getByRole('group', { name: 'Missed calls', exact: true }).getByRole('link');
    await expect.poll(() => link.textContent()).toBe(String(count));
    await link.click();
    await page.waitForURL(/\/inbox\/all\?q=/);
    await page.getByRole('heading', { name: 'Search results' }).waitFor();
    const q = new URL(page.url()).searchParams.get('q')!;
    expect(q).toContain(`created:>=${day} created:<=${day}`);
    expect(await page.getByLabel('Search conversations', { exact: true }).inputValue()).toBe(q);
    // The list holds exactly the contacts who had a missed call that day.
    const phones = new Set(h.contacts.filter((c) => contacts.has(c.id as string)).map((c) => (c.e164 as string).slice(-4)));
    const rows = page.getByRole('list', { name: 'Conversations' }).getByRole('listitem');
    await expect.poll(() => rows.count()).toBe(contacts.size);
    const shown = (await rows.locator('.conv-name').allTextContents()).map((t) => t.replace(/\D/g, '').slice(-4));
    expect(new Set(shown)).toEqual(phones);
  });

  it('links every count to a search the inbox accepts, by automation, variant, number and lead source', async () => {
    const { page } = b;
    const queries = new Set<string>();
    for (const by of ['automation', 'variant', 'number', 'source']) {
      await page.goto(`${server.url}/analytics?range=90d&by=${by}&experiment=${automationId}`);
      await page.getByRole('region', { name: `Breakdown by ${by}, scrolls sideways` }).getByRole('link').first().waitFor();
      await page.getByRole('group', { name: 'Experiment: Missed-call text-back (A/B)' }).getByRole('link').first().waitFor();
      for (const href of await page.locator('a.metric-link').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''))) {
        expect(href).toMatch(/^\/inbox\/all\?q=/);
        queries.add(new URL(href, server.url).searchParams.get('q')!);
      }
    }
    expect(queries.size).toBeGreaterThan(30);
    for (const q of queries) {
      const res = await apiCall(server, 'GET', `/v1/conversations?limit=1&query=${encodeURIComponent(q)}`);
      expect({ q, status: res.status }).toEqual({ q, status: 200 });
    }
    // A variant's replies: contacts texted back with that variant who then texted.
    const replies = [...queries].find((q) => q.includes('variant:A') && q.includes('direction:incoming'));
    expect(replies).toBeDefined();
    const listed = (await apiCall(server, 'GET', `/v1/conversations?limit=100&query=${encodeURIComponent(replies!)}`)).json.data as { contact_id: string }[];
    const repliedA = new Set(h.messages.filter((m) => m.variant_id === 'A' && m.status === 'delivered').map((m) => m.contact_id as string));
    for (const c of listed) expect(repliedA.has(c.contact_id)).toBe(true);
    expect(listed.length).toBeGreaterThan(0);
  });

  it('has no serious or critical accessibility violation, on a computer and a phone', async () => {
    const { page } = b;
    await page.goto(`${server.url}/analytics?range=90d`);
    await page.locator('.uplot-host canvas').first().waitFor();
    await page.getByRole('table', { name: 'Replies by weekday and hour' }).waitFor();
    await page.getByRole('rowheader', { name: 'Variant A', exact: true }).first().waitFor();
    await page.getByText('Show the numbers').click();
    expect(await axe(page)).toEqual([]);
    await page.setViewportSize({ width: 390, height: 844 });
    // Nothing but the wide tables (which scroll inside themselves) is wider than the phone.
    expect(await page.evaluate(() => document.querySelector('.page.analytics')!.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await axe(page)).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
