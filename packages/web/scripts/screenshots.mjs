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
      await page.goto(`${url}/analytics`);
      await page.getByRole('list', { name: 'Funnel' }).waitFor();
      await shot('analytics');
    }
    await context.close();
  }
} finally {
  await browser.close();
  await tb.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
