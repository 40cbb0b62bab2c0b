/**
 * Screenshots of the main pages, desktop (1280x800) and phone (390x844), into docs/screenshots/.
 * Starts the built server (packages/server/dist) in-process on a temporary SQLite file with the demo
 * organization and a few conversations, and drives the system's Chromium (never a downloaded browser).
 *   npm run screenshots -w @textback/web
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const out = path.join(root, 'docs/screenshots');
const dist = (p) => pathToFileURL(path.join(root, 'packages/server/dist', p)).href;
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!fs.existsSync(executablePath)) {
  console.error('Chromium is needed: apt-get install -y chromium (or set CHROMIUM_PATH)');
  process.exit(1);
}

const { loadConfig } = await import(dist('config/config.js'));
const { createTextback } = await import(dist('textback.js'));
const { createLogger } = await import(dist('support/logger.js'));
const { createDemoOrganization } = await import(dist('use-cases/demo.js'));

const PASSWORD = 'screenshots-password';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-shots-'));
const tb = await createTextback({
  config: { ...loadConfig({}), databaseUrl: path.join(dir, 'shots.db'), port: 0, host: '127.0.0.1', sandboxReceiptDelayMs: 200, },
  logger: createLogger('silent'),
});
const demo = await createDemoOrganization(tb.ctx, { ownerPassword: PASSWORD });
tb.startWorkers();
const url = await tb.listen();
const api = async (method, route, body) => {
  const res = await fetch(`${url}${route}`, { method, headers: { authorization: `Bearer ${demo.apiKey}`, 'content-type': 'application/json', 'idempotency-key': `${route}-${Math.random()}` }, body: body ? JSON.stringify(body) : undefined });
  return res.json().catch(() => null);
};
const wait = (ms) => new Promise((r) => setTimeout(r, ms));

// A few conversations, as a morning at a plumbing business looks.
const DEMO = '+14159434591';
const first = await api('POST', '/v1/sandbox/messages', { from: '+15554265646', to: DEMO, body: 'Hi, do you fix water heaters? Ours is leaking since this morning.' });
await api('POST', '/v1/sandbox/messages', { from: '+15557770123', to: DEMO, body: 'Can someone come Saturday?' });
await api('PUT', '/v1/sandbox/destinations/%2B15551230000', { fail_reason: 'landline' });
await api('POST', '/v1/sandbox/messages', { from: '+15551230000', to: DEMO, body: 'Please call me back about the quote' });
await api('POST', '/v1/messages', { to: '+15551230000', body: 'Thanks! What time works for a call?' });
await api('POST', '/v1/sandbox/calls', { from: '+15559990042', to: DEMO, outcome: 'no-answer' });
await api('POST', '/v1/messages', { to: '+15554265646', body: 'We do! A technician can be there at 2 PM today. Does that work?' });
await wait(1500);
await api('POST', '/v1/sandbox/messages', { from: '+15554265646', to: DEMO, body: '2 PM is perfect, thank you!' });
await wait(16_000); // the missed call's text-back
// Names, a note and a saved reply, as a team that has used it for a day would have.
const conversations = (await api('GET', '/v1/conversations?limit=20')).data ?? [];
const names = { '+15554265646': 'Maria Lopez', '+15557770123': 'James Carter', '+15551230000': 'Priya Shah', '+15559990042': 'Tom Becker' };
for (const c of conversations) if (names[c.contact?.phone]) await api('PATCH', `/v1/contacts/${c.contact.id}`, { name: names[c.contact.phone] });
if (first?.conversation_id) await api('POST', `/v1/conversations/${first.conversation_id}/notes`, { body: 'Water heater is a 50-gallon gas unit, about 12 years old. Bring the replacement valve kit.' });
await api('POST', '/v1/saved-replies', { name: 'Opening hours', body: 'Hi {Name|there}, {Business} is open 8–6 Monday to Friday and 9–1 on Saturday.' });


/**
 * Two months of missed calls and text-backs for the analytics page (a small seeded history written
 * straight into the tables, like the server tests' generator): an A/B missed-call automation, replies
 * mostly within the hour, some callbacks and opt-outs, more calls on weekday mornings. Written after the
 * other pages' screenshots, so the inbox shows only the morning above.
 */
async function seedAnalytics() {
  const k = tb.ctx.db.kysely;
  const number = (await api('GET', '/v1/numbers')).data[0];
  let a = 20261207;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const HOUR = 3_600_000;
  const DAY = 24 * HOUR;
  const now = Date.now();
  const automationId = 'aut_screenshots_ab';
  const variants = { A: 0.34, B: 0.22 };
  const document = JSON.stringify({ scope: { numbers: 'all' }, trigger: { type: 'call.completed' }, steps: [{ type: 'send_sms', variants: Object.keys(variants).map((id) => ({ id, template: `Sorry we missed you (${id})`, weight: 1 })) }] });
  await k.insertInto('automations').values({ id: automationId, org_id: demo.org.id, name: 'Missed-call text-back (A/B)', state: 'active', priority: 0, trigger_type: 'call.completed', document, preset: null, created_at: now - 62 * DAY, updated_at: now - 62 * DAY }).execute();
  const rows = { contacts: [], conversations: [], calls: [], automation_runs: [], messages: [], consent_events: [] };
  let seq = 0;
  const id = (prefix) => `${prefix}_shots_${String(++seq).padStart(6, '0')}`;
  const message = (m, e164) => ({
    id: id('msg'), org_id: demo.org.id, number_id: number.id, from_e164: m.direction === 'inbound' ? e164 : number.phone, to_e164: m.direction === 'inbound' ? number.phone : e164,
    body: m.direction === 'inbound' ? 'Yes please, call me back' : 'Sorry we missed your call!', media: null, reason: null, error_code: null, encoding: 'GSM-7', segments: 1, carrier: 'sandbox', carrier_message_id: null, idempotency_key: null,
    created_by_type: m.direction === 'inbound' ? 'contact' : 'system', created_by_id: null, scheduled_at: null, sent_at: null, delivered_at: null, failed_at: null, updated_at: m.created_at, automation_run_id: null, variant_id: null,
    rule: null, held_until: null, flags: null, automated: 0, purpose: null, send_slot_at: null, ...m,
  });
  const call = (contactId, e164, at, outcome, direction = 'inbound') => ({
    id: id('call'), org_id: demo.org.id, contact_id: contactId, number_id: number.id, direction, from_e164: direction === 'inbound' ? e164 : number.phone, to_e164: direction === 'inbound' ? number.phone : e164,
    status: outcome === 'answered' ? 'completed' : 'no-answer', duration_s: outcome === 'answered' ? 90 : 0, answered_by: null, outcome, outcome_reason: null, carrier: 'sandbox', external_id: null, started_at: at, ended_at: at + 60_000, created_at: at, extension: null,
  });
  for (let i = 0; i < 420; i++) {
    const contactId = id('con');
    const e164 = `+1555${String(2_000_000 + i).slice(-7)}`;
    // Weekday mornings and early afternoons are busiest.
    const day = Math.floor(rnd() * 60) + 1;
    const hour = pick([8, 8, 9, 9, 9, 10, 10, 11, 12, 13, 13, 14, 15, 16, 17, 18, 19, 7, 20]);
    let at = now - day * DAY;
    at = at - (at % DAY) + (hour + 8) * HOUR + Math.floor(rnd() * HOUR); // Pacific time: UTC-8
    if ([0, 6].includes(new Date(at - 8 * HOUR).getUTCDay()) && rnd() < 0.6) continue;
    if (at > now - HOUR) continue;
    const source = pick(['google', 'google', 'facebook', 'referral', null]);
    rows.contacts.push({ id: contactId, org_id: demo.org.id, e164, name: null, source, time_zone: null, attributes: '{}', created_at: at, updated_at: at });
    const conversationId = id('cnv');
    rows.conversations.push({ id: conversationId, org_id: demo.org.id, contact_id: contactId, number_id: number.id, status: 'done', assigned_user_id: null, assigned_team_id: null, unread_count: 0, last_message_at: at, created_at: at, updated_at: at });
    const outcome = pick(['missed', 'missed', 'missed', 'voicemail', 'answered']);
    rows.calls.push(call(contactId, e164, at, outcome));
    if (outcome === 'answered') continue;
    const variant = pick(Object.keys(variants));
    const runId = id('run');
    const textAt = at + 15_000;
    rows.automation_runs.push({ id: runId, org_id: demo.org.id, automation_id: automationId, contact_id: contactId, number_id: number.id, trigger_type: 'call.completed', event_id: `evt_${runId}`, event: '{}', priority: 0, status: 'completed', run_state: '{}', outcome: null, next_at: null, created_at: at, updated_at: textAt, finished_at: textAt });
    const fate = rnd();
    const status = fate < 0.88 ? 'delivered' : fate < 0.95 ? 'failed' : 'blocked';
    rows.messages.push(message({ contact_id: contactId, conversation_id: conversationId, direction: 'outbound', status, created_at: textAt, sent_at: status === 'blocked' ? null : textAt + 1000, delivered_at: status === 'delivered' ? textAt + 3000 : null, automation_run_id: runId, variant_id: variant, automated: 1, reason: status === 'failed' ? 'landline_or_unreachable' : status === 'blocked' ? 'opted_out' : null, rule: status === 'blocked' ? 'CONSENT' : null }, e164));
    if (status !== 'delivered') continue;
    if (rnd() < variants[variant] * (source === 'google' ? 1.2 : 1)) {
      const replyAt = textAt + pick([40_000, 2 * 60_000, 4 * 60_000, 11 * 60_000, 35 * 60_000, 3 * HOUR]);
      if (replyAt < now) rows.messages.push(message({ contact_id: contactId, conversation_id: conversationId, direction: 'inbound', status: 'received', created_at: replyAt }, e164));
      if (rnd() < 0.5 && replyAt + HOUR < now) rows.calls.push(call(contactId, e164, replyAt + HOUR, 'answered', 'outbound'));
    } else if (rnd() < 0.04 && textAt + DAY < now) {
      rows.consent_events.push({ id: id('cev'), org_id: demo.org.id, contact_id: contactId, number_id: null, e164, state: 'opted_out', source: 'keyword', actor_type: 'contact', actor_id: null, evidence: '{}', created_at: textAt + DAY });
    }
  }
  for (const [table, list] of Object.entries(rows)) for (let i = 0; i < list.length; i += 200) await k.insertInto(table).values(list.slice(i, i + 200)).execute();
}

const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'] });
fs.mkdirSync(out, { recursive: true });
try {
  for (const [label, viewport] of [
    ['desktop', { width: 1280, height: 800 }],
    ['phone', { width: 390, height: 844 }],
  ]) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const shot = async (name) => {
      await wait(400);
      await page.screenshot({ path: path.join(out, `${name}-${label}.png`) });
      console.log(`docs/screenshots/${name}-${label}.png`);
    };
    await page.goto(`${url}/signin`);
    await page.getByLabel('Email').waitFor();
    await page.getByLabel('Email').fill('owner@demo.textback.local');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/inbox\//);
    await page.goto(`${url}/inbox/all${label === 'desktop' && first?.conversation_id ? `?c=${first.conversation_id}` : ''}`);
    await page.getByRole('heading', { name: 'All open' }).waitFor();
    await shot('inbox');
    if (label === 'phone' && first?.conversation_id) {
      await page.goto(`${url}/inbox/all?c=${first.conversation_id}`);
      await page.getByRole('list', { name: 'Timeline' }).waitFor();
      await shot('thread');
    }
    await page.goto(`${url}/inbox/all?q=${encodeURIComponent('status:open Maria')}`);
    await page.getByRole('heading', { name: 'Search results' }).waitFor();
    await shot('search');
    {
      // The handset that called and got the missed-call text-back.
      await page.evaluate(() => globalThis.localStorage.setItem('textback.sandbox.handset', '+15559990042'));
      await page.goto(`${url}/sandbox`);
      await page.getByRole('heading', { name: 'Sandbox phone' }).waitFor();
      await shot('sandbox-phone');
      await page.goto(`${url}/agent`);
      await page.getByRole('heading', { name: 'Agent console' }).waitFor();
      await shot('agent-console');
      await page.goto(`${url}/settings/teams`);
      await page.getByRole('heading', { name: 'Teams', exact: true }).waitFor();
      await shot('settings-teams');
      await page.goto(`${url}/settings/text-back`);
      await page.getByRole('form', { name: 'Missed-call text-back' }).waitFor();
      await shot('settings-text-back');
    }
    await context.close();
  }
  // The analytics page, over two months of seeded history.
  await seedAnalytics();
  for (const [label, viewport] of [
    ['desktop', { width: 1280, height: 800 }],
    ['phone', { width: 390, height: 844 }],
  ]) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(`${url}/signin`);
    await page.getByLabel('Email').fill('owner@demo.textback.local');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/inbox\//);
    await page.goto(`${url}/analytics?range=30d`);
    await page.getByRole('list', { name: 'Funnel' }).waitFor();
    await page.locator('.uplot-host canvas').first().waitFor();
    await page.getByRole('rowheader', { name: 'Variant A', exact: true }).first().waitFor();
    await wait(400);
    await page.screenshot({ path: path.join(out, `analytics-${label}.png`) });
    console.log(`docs/screenshots/analytics-${label}.png`);
    await context.close();
  }
} finally {
  await browser.close();
  await tb.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
