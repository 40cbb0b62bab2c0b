/// <reference lib="dom" />
/**
 * The web app's browser tests: a real Textback server (in this process, on a fresh SQLite file, on a
 * free port, serving packages/web/dist) driven by the system's Chromium through playwright-core.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { describe, inject } from 'vitest';
import { loadConfig, type Config } from '../../../server/src/config/config.js';
import { createLogger } from '../../../server/src/support/logger.js';
import { createTextback, type Textback } from '../../../server/src/textback.js';
import { createDemoOrganization } from '../../../server/src/use-cases/demo.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DIST = path.resolve(here, '../../dist');

/** describe() when Chromium is there, describe.skip otherwise (the global setup printed why). */
export const describeBrowser: typeof describe = (inject('chromium') ? describe : describe.skip) as typeof describe;

/** Chromium that calls nowhere: no sandbox (containers), no GPU, no QUIC, no first run, no background traffic. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export const OWNER_EMAIL = 'owner@demo.textback.local';
export const OWNER_PASSWORD = 'correct horse battery staple';
export const DEMO_NUMBER = '+14159434591';

export interface WebServer {
  url: string;
  tb: Textback;
  apiKey: string;
  orgId: string;
  close(): Promise<void>;
}

export async function startWebServer(config: Partial<Config> = {}): Promise<WebServer> {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) throw new Error('packages/web/dist is missing: run `npm run build -w @textback/web` first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-web-'));
  const base = loadConfig({});
  const tb = await createTextback({
    config: { ...base, databaseUrl: path.join(dir, 'test.db'), port: 0, host: '127.0.0.1', sandboxReceiptDelayMs: 300, pollIntervalMs: 50, webhookAllowPrivateUrls: true, ...config },
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
  });
  const created = await createDemoOrganization(tb.ctx, { ownerPassword: OWNER_PASSWORD });
  tb.startWorkers();
  const address = await tb.listen();
  return {
    url: address,
    tb,
    apiKey: created.apiKey,
    orgId: created.org.id,
    close: async () => {
      await tb.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestBrowser {
  browser: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** A fresh profile (user-data-dir) per launch; headless. */
export async function launch(viewport = { width: 1280, height: 800 }): Promise<TestBrowser> {
  const executablePath = inject('chromium');
  if (!executablePath) throw new Error('Chromium is not installed');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: CHROMIUM_ARGS, viewport });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    browser: context,
    page,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function signIn(page: Page, url: string, email = OWNER_EMAIL, password = OWNER_PASSWORD) {
  await page.goto(`${url}/signin`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/inbox\//);
}

/** Runs axe-core in the page; returns the serious and critical violations (id: nodes' targets). */
export async function axe(page: Page): Promise<string[]> {
  const source = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol: the page's Content-Security-Policy (script-src 'self') stays on.
  await page.evaluate(source);
  const result = (await page.evaluate(async () => {
    const w = window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } };
    return w.axe.run(document, { resultTypes: ['violations'] });
  })) as { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

export type { Browser };

/** Calls the API with the demo's admin key (setting up what a test needs, not what it checks). */
export async function apiCall(server: WebServer, method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${server.apiKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as any) : null }; // eslint-disable-line @typescript-eslint/no-explicit-any
}
