/**
 * `textback serve`, the built command line's server, against a real database: first start (demo
 * set-up, the key), second start, a generated key, and a prompt stop. Needs `npx tsc -b` first.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable, pgUrl } from '../support/databases.js';
import { freshDatabase, requireBuiltCli, runCli, startServe, type RunningServer } from './helpers.js';

describe.each(DIALECTS)('textback serve (%s)', (dialect) => {
  const apiKey = crypto.randomBytes(24).toString('base64url'); // 32 characters
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let env: Record<string, string>;
  const running: RunningServer[] = [];

  beforeAll(async () => {
    requireBuiltCli();
    if (!dialectAvailable(dialect)) return;
    database = await freshDatabase(dialect);
    env = { DATABASE_URL: database.url, PORT: '0', HOST: '127.0.0.1', TEXTBACK_API_KEY: apiKey, SANDBOX_RECEIPT_DELAY_MS: '50' };
  });
  afterAll(async () => {
    for (const s of running) await s.stop().catch(() => s.child.kill('SIGKILL'));
    await database?.destroy();
  });

  const start = async (extra: Record<string, string> = {}) => {
    const server = await startServe({ ...env, ...extra });
    running.push(server);
    return server;
  };
  const get = async (server: RunningServer, url: string, key: string | null = apiKey) => {
    const res = await fetch(`${server.url}${url}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    return { status: res.status, json: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  it.runIf(dialectAvailable(dialect))('first start: prints its URL, is healthy, and sets up the demo organization for TEXTBACK_API_KEY and TEXTBACK_ADMIN_PASSWORD', async () => {
    expect(apiKey).toHaveLength(32);
    const server = await start({ TEXTBACK_ADMIN_PASSWORD: 'scripted owner password' });
    expect(server.url).toMatch(/^http:\/\/localhost:\d+$/);
    expect(server.url).not.toMatch(/:0$/);
    const out = server.stdout();
    expect(out).toContain('Textback is set up with a demo organization (Demo Plumbing Co.)');
    expect(out).toContain('Admin API key: the value of TEXTBACK_API_KEY');
    expect(out).toContain('Demo business number: +14159434591');
    expect(out).not.toContain(apiKey);
    expect(out).toContain('Owner sign-in: owner@demo.textback.local, password: the value of TEXTBACK_ADMIN_PASSWORD');
    expect(out).toContain(`Open ${server.url}/ and sign in as owner@demo.textback.local`);
    expect(out).not.toContain('scripted owner password');
    const login = await fetch(`${server.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'owner@demo.textback.local', password: 'scripted owner password' }),
    });
    expect(login.status).toBe(200);
    expect(((await login.json()) as { user: { role: string } }).user.role).toBe('owner');

    const health = await get(server, '/health', null);
    expect(health).toEqual({ status: 200, json: { status: 'ok', database: 'up', workers: 'up' } });

    const org = await get(server, '/v1/organization');
    expect(org.status).toBe(200);
    expect(org.json.name).toBe('Demo Plumbing Co.');
    const numbers = await get(server, '/v1/numbers');
    expect(numbers.json.data.map((n: { phone: string }) => n.phone)).toEqual(['+14159434591']);
    const contacts = await get(server, '/v1/contacts');
    expect(contacts.json.data).toHaveLength(3);
    expect(contacts.json.data.map((c: { name: string }) => c.name).sort()).toEqual(['Alex Rivera', 'Casey Morgan', 'Jordan Lee']);
    expect((await get(server, '/v1/contacts', `${apiKey}x`)).status).toBe(401);

    // Its workers send: a reply to a customer who just wrote (no quiet hours for a live conversation)
    // is delivered by the sandbox without anything else running.
    const inbound = await fetch(`${server.url}/v1/sandbox/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+14155550101', to: '+14159434591', body: 'Are you coming today?' }),
    });
    expect(inbound.status).toBe(201);
    const posted = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+14155550101', body: 'Running late, there in 10' }),
    });
    expect(posted.status).toBe(201);
    const { id } = (await posted.json()) as { id: string };
    let message: { status?: string } = {};
    for (let i = 0; i < 100 && message.status !== 'delivered'; i++) {
      message = (await get(server, `/v1/messages/${id}`)).json;
      if (message.status !== 'delivered') await new Promise((r) => setTimeout(r, 100));
    }
    expect(message).toMatchObject({ status: 'delivered' });

    expect(await server.stop()).toBe(0);
  });

  it.runIf(dialectAvailable(dialect))('second start on the same database: no setup and nothing secret printed; the data and key are still there', async () => {
    const server = await start();
    const out = server.stdout();
    expect(out).toContain('Textback is running at');
    expect(out).not.toMatch(/api key/i);
    expect(out).not.toMatch(/password|sign in/i);
    expect(out).not.toContain('set up');
    expect(out).not.toContain(apiKey);

    const numbers = await get(server, '/v1/numbers');
    expect(numbers.json.data.map((n: { phone: string }) => n.phone)).toEqual(['+14159434591']);
    const contacts = await get(server, '/v1/contacts');
    expect(contacts.json.data).toHaveLength(3); // the demo's three, the first run's text went to one of them

    // SIGTERM ends it promptly even while a client holds the event stream open.
    const controller = new AbortController();
    const events = await fetch(`${server.url}/v1/events`, { headers: { authorization: `Bearer ${apiKey}` }, signal: controller.signal });
    expect(events.status).toBe(200);
    try {
      const started = Date.now();
      expect(await server.stop(8000)).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      controller.abort();
    }
  });

  it.runIf(dialectAvailable(dialect))('without TEXTBACK_API_KEY and TEXTBACK_ADMIN_PASSWORD, the first start prints a generated key and password once, and they work', async () => {
    const other = await freshDatabase(dialect);
    try {
      const server = await start({ DATABASE_URL: other.url, TEXTBACK_API_KEY: '' });
      const match = /Admin API key \(shown once, keep it\): (tbk_\S+)/.exec(server.stdout());
      expect(match, server.stdout()).not.toBeNull();
      const key = match![1]!;
      const password = /Owner sign-in: owner@demo\.textback\.local, password \(shown once[^)]*\): (\S+)/.exec(server.stdout())?.[1];
      expect(password, server.stdout()).toMatch(/^[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}$/);
      const login = await fetch(`${server.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'owner@demo.textback.local', password }),
      });
      expect(login.status).toBe(200);
      expect((await get(server, '/v1/organization', key)).status).toBe(200);
      expect((await get(server, '/v1/organization')).status).toBe(401); // the other database's key
      expect(await server.stop()).toBe(0);
      const again = await start({ DATABASE_URL: other.url, TEXTBACK_API_KEY: '' });
      expect(again.stdout()).not.toContain(key);
      expect(again.stdout()).not.toContain(password);
      expect(await again.stop(), again.stdout() + again.stderr()).toBe(0);
    } finally {
      await other.destroy();
    }
  });
});

describe('textback serve cannot start: one clear line, no stack trace, exit 1', () => {
  let dir: string;
  beforeAll(() => {
    requireBuiltCli();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-start-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const expectOneLine = (result: { code: number | null; stdout: string; stderr: string }, line: RegExp) => {
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(result.stderr).not.toMatch(/^\s+at /m); // no stack trace
    expect(result.stdout).not.toContain('worker started');
    expect(result.stdout).not.toContain('Textback is running');
  };

  it('a port already in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const result = await runCli(['serve'], { DATABASE_URL: path.join(dir, 'port', 'textback.db'), PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' });
      expectOneLine(result, new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use .*set PORT to a free port$`));
      // Nothing was set up: no API key was printed that the next start would not know.
      expect(result.stdout).not.toContain('Admin API key');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('PostgreSQL that does not answer (the password is never shown)', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise((resolve) => closed.close(resolve)); // a port nobody listens on
    const result = await runCli(['serve'], { DATABASE_URL: `postgres://textback:s3cret-pw@127.0.0.1:${port}/textback`, PORT: '0', LOG_LEVEL: 'info' });
    expectOneLine(result, new RegExp(`^error: cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port}, database "textback": connection refused\\. Start PostgreSQL, or fix the host and port in DATABASE_URL$`));
    expect(result.stderr).not.toContain('s3cret-pw');
  });

  it.runIf(dialectAvailable('postgres'))('a PostgreSQL database that does not exist', async () => {
    const url = new URL(pgUrl()!);
    url.pathname = '/textback_missing_database';
    url.search = '';
    const result = await runCli(['serve'], { DATABASE_URL: url.toString(), PORT: '0', LOG_LEVEL: 'info' });
    expectOneLine(result, /^error: PostgreSQL at .*, database "textback_missing_database" does not exist: create it .*DATABASE_URL$/);
  });
});
