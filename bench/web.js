/**
 * Scenario 11: the web app in the system's Chromium (playwright-core, as the browser tests drive it),
 * against a server holding 10,000 conversations and 100,000 texts (issue 14 §8):
 *
 *   - inbox usable: from navigation start to the conversation list AND the first thread's timeline on
 *     screen, on a fresh page load (`/inbox/all?c=…`, what a reload or a shared link does), measured
 *     in the page against Navigation Timing's origin. Baseline: the sign-in page (same bundle, same
 *     server, no data) drawn on a signed-out page, in the same run.
 *   - live: a handset's text posted to the sandbox webhook; from the webhook's 2xx (read in this
 *     process) to its body on screen in the open inbox (the page's clock is this machine's clock).
 *     Baseline: the same event read from `GET /v1/events` by a plain HTTP client in this process.
 *   - size: the JavaScript the first page loads (index.html's script and modulepreloads), gzipped.
 */
/* global document, location, window, MutationObserver -- code passed to page.evaluate runs in the browser */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { sql } from 'kysely';
import { chromium } from 'playwright-core';
import { loadConfig } from '../packages/server/dist/config/config.js';
import { createLogger } from '../packages/server/dist/support/logger.js';
import { createTextback } from '../packages/server/dist/textback.js';
import { createDemoOrganization } from '../packages/server/dist/use-cases/demo.js';
import { fmtInt, fmtMs, freshDatabase, log, percentile, ROOT } from './lib.js';
import { generate } from './search.js';

const CONVERSATIONS = Number(process.env.BENCH_WEB_CONVERSATIONS ?? 10_000);
const RUNS = Number(process.env.BENCH_WEB_RUNS ?? 15);
const PASSWORD = 'bench password, not a secret';
const EMAIL = 'owner@demo.textback.local';
const DEMO_NUMBER = '+14159434591';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
const DIST = path.join(ROOT, 'packages/web/dist');

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

/** The JavaScript index.html makes the browser load before the first page: its module script and modulepreloads. */
export function initialJavaScript() {
  const html = fs.readFileSync(path.join(DIST, 'index.html'), 'utf8');
  const files = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="\/?([^"]+\.js)"/g)].map((m) => m[1]);
  const gzipped = files.reduce((sum, f) => sum + zlib.gzipSync(fs.readFileSync(path.join(DIST, f)), { level: 9 }).length, 0);
  return { files, gzipped };
}

/** Reads `GET /v1/events` (server-sent events) with a plain HTTP client; calls `onData` with each chunk's arrival time. */
function openEventStream(url, apiKey, onData) {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/v1/events`, { headers: { authorization: `Bearer ${apiKey}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET /v1/events answered ${res.statusCode}`));
      res.setEncoding('utf8');
      res.on('data', (chunk) => onData(chunk, performance.timeOrigin + performance.now()));
      resolve(() => req.destroy());
    });
    req.on('error', reject);
  });
}

async function postText(url, apiKey, from, body) {
  const res = await fetch(`${url}/v1/sandbox/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ from, to: DEMO_NUMBER, body }),
  });
  const answeredAt = performance.timeOrigin + performance.now();
  if (res.status !== 201) throw new Error(`POST /v1/sandbox/messages answered ${res.status}: ${await res.text()}`);
  return answeredAt;
}

/** Appends rows for one database kind. */
export async function benchWeb(kind, rows) {
  const database = kind === 'postgres' ? 'PostgreSQL' : 'SQLite';
  if (!fs.existsSync(path.join(DIST, 'index.html'))) throw new Error('packages/web/dist is missing: run `npm run build -w @textback/web`');
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is not at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);

  if (kind === 'sqlite') {
    const size = initialJavaScript();
    log(`  initial JavaScript: ${size.files.join(', ')}: ${(size.gzipped / 1024).toFixed(0)} KB gzipped`);
    rows.push({
      scenario: '11. web app: initial JavaScript, gzipped',
      database: '—',
      result: `${(size.gzipped / 1024).toFixed(0)} KB (${size.files.length} file${size.files.length === 1 ? '' : 's'})`,
      baseline: '—',
      ratio: '—',
      target: `< 250 KB: ${size.gzipped < 250 * 1024 ? 'PASS' : 'FAIL'}`,
    });
  }

  const db = await freshDatabase(kind, 'web');
  let tb;
  let browser;
  try {
    tb = await createTextback({
      config: { ...loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'warn', PG_POOL_SIZE: '8' }), port: 0, host: '127.0.0.1' },
      logger: createLogger('warn'),
    });
    const demo = await createDemoOrganization(tb.ctx, { ownerPassword: PASSWORD });
    const k = tb.ctx.db.kysely;
    const number = await k.selectFrom('phone_numbers').select('id').where('org_id', '=', demo.org.id).where('e164', '=', DEMO_NUMBER).executeTakeFirstOrThrow();
    const owner = await k.selectFrom('users').select('id').where('org_id', '=', demo.org.id).where('email', '=', EMAIL).executeTakeFirstOrThrow();
    log(`${database}: web: generating ${fmtInt(CONVERSATIONS)} conversations, ${fmtInt(CONVERSATIONS * 10)} texts`);
    const now = Date.now();
    await generate(kind, tb, demo.org.id, number.id, owner.id, now, CONVERSATIONS);
    // Spread the conversations' last activity over the last days, as a real inbox has it.
    if (kind === 'postgres') {
      await sql`update conversations c set last_message_at = (select max(m.created_at) from messages m where m.conversation_id = c.id) where c.org_id = ${demo.org.id}`.execute(k);
      await sql`ANALYZE`.execute(k);
    } else {
      await sql`update conversations set last_message_at = (select max(m.created_at) from messages m where m.conversation_id = conversations.id) where org_id = ${demo.org.id}`.execute(k);
    }
    tb.startWorkers();
    const url = await tb.listen();

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });

    // Baseline: the sign-in page on a signed-out page (the same bundle from the same server, no data).
    const signedOut = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const bare = [];
    for (let i = 0; i < RUNS + 2; i++) {
      const page = await signedOut.newPage();
      await page.goto(`${url}/signin`);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      const t = await page.evaluate(() => performance.now());
      if (i >= 2) bare.push(t);
      await page.close();
    }

    // Signed in: the inbox with the newest conversation open, loaded afresh each time.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const signIn = await context.newPage();
    await signIn.goto(`${url}/signin`);
    await signIn.getByLabel('Email').fill(EMAIL);
    await signIn.getByLabel('Password').fill(PASSWORD);
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    await signIn.waitForURL(/\/inbox\//);
    await signIn.close();
    const newest = await k.selectFrom('conversations').select('id').where('org_id', '=', demo.org.id).orderBy('last_message_at', 'desc').orderBy('id', 'desc').executeTakeFirstOrThrow();
    const usable = [];
    for (let i = 0; i < RUNS + 2; i++) {
      const page = await context.newPage();
      await page.goto(`${url}/inbox/all?c=${newest.id}`);
      // Both the list's first row and the thread's first timeline entry on screen.
      await page.waitForFunction(() => document.querySelector('.conv-row-wrap') && document.querySelector('ol[aria-label="Timeline"] > li'), null, { polling: 'raf' });
      const t = await page.evaluate(() => performance.now());
      if (i >= 2) usable.push(t);
      if (process.env.BENCH_WEB_DEBUG && i === RUNS + 1) {
        const entries = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => `${Math.round(e.startTime)}–${Math.round(e.responseEnd)} ms ${e.name.replace(location.origin, '')}`));
        log(`  requests of the last load (drawn at ${Math.round(t)} ms):\n    ${entries.join('\n    ')}`);
      }
      await page.close();
    }
    const u = stats(usable);
    const b = stats(bare);
    log(`  inbox usable p50 ${fmtMs(u.p50)}, p95 ${fmtMs(u.p95)}; sign-in page p50 ${fmtMs(b.p50)}`);
    rows.push({
      scenario: `11. web app: inbox usable (list and first thread) after navigation, ${fmtInt(CONVERSATIONS)} conversations and ${fmtInt(CONVERSATIONS * 10)} texts`,
      database,
      result: `p50 ${fmtMs(u.p50)}, p95 ${fmtMs(u.p95)} (${RUNS} loads)`,
      baseline: `sign-in page drawn p50 ${fmtMs(b.p50)}, p95 ${fmtMs(b.p95)}`,
      ratio: `${(u.p50 / b.p50).toFixed(2)}×`,
      target: `p95 < 1 s: ${u.p95 < 1000 ? 'PASS' : 'FAIL'}`,
    });

    // Live: a handset texts while the inbox is open.
    const page = await context.newPage();
    await page.goto(`${url}/inbox/all`);
    await page.locator('.conv-row-wrap').first().waitFor();
    await page.evaluate(() => {
      const w = window;
      w.__seen = new Map();
      new MutationObserver(() => {
        const now = performance.timeOrigin + performance.now();
        for (const el of document.querySelectorAll('.conv-preview')) {
          const text = el.textContent ?? '';
          if (text.startsWith('bench live ') && !w.__seen.has(text)) w.__seen.set(text, now);
        }
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    const events = [];
    const closeStream = await openEventStream(url, demo.apiKey, (chunk, at) => events.push({ chunk, at }));
    const live = [];
    const stream = [];
    try {
      for (let i = 0; i < RUNS + 2; i++) {
        const body = `bench live ${i}`;
        const from = `+1628555${String(1000 + i).padStart(4, '0')}`;
        events.length = 0;
        const answeredAt = await postText(url, demo.apiKey, from, body);
        await page.waitForFunction((b) => window.__seen.has(b), body, { polling: 'raf', timeout: 10_000 });
        const shownAt = await page.evaluate((b) => window.__seen.get(b), body);
        // The stream's event for this text: the first chunk that names the handset, or the first after the answer.
        const evt = events.find((e) => e.chunk.includes(from)) ?? events[0];
        if (i >= 2) {
          live.push(shownAt - answeredAt);
          if (evt) stream.push(Math.max(0, evt.at - answeredAt));
        }
      }
    } finally {
      closeStream();
    }
    const l = stats(live);
    const s = stats(stream);
    log(`  live text on screen p50 ${fmtMs(l.p50)}, p95 ${fmtMs(l.p95)}; on the event stream p50 ${fmtMs(s.p50)}`);
    rows.push({
      scenario: '11. web app: an inbound text on screen in an open inbox, after the webhook is answered',
      database,
      result: `p50 ${fmtMs(l.p50)}, p95 ${fmtMs(l.p95)} (${RUNS} texts)`,
      baseline: stream.length ? `the event read from GET /v1/events by a plain client p50 ${fmtMs(s.p50)}, p95 ${fmtMs(s.p95)}` : 'event stream: no event seen',
      ratio: stream.length && s.p50 > 0 ? `${(l.p50 / s.p50).toFixed(2)}×` : '—',
      target: `p95 < 200 ms: ${l.p95 < 200 ? 'PASS' : 'FAIL'}`,
    });
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (tb) await tb.close().catch(() => {});
    await db.release();
  }
}
