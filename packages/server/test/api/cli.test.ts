/**
 * The built `textback` command line against a real database: what an operator types, and what the
 * API then shows. Needs `npx tsc -b` first (the tests say so when dist/ is missing).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase, type Db } from '../../src/db/database.js';
import { createLogger } from '../../src/support/logger.js';
import { createTextback, type Textback } from '../../src/textback.js';
import { createTestDatabase, DIALECTS, dialectAvailable, pgUrl, type DialectName } from '../support/databases.js';
import { api, type TestApp } from '../support/test-app.js';
import { cliJson, countRows, requireBuiltCli, runCli, startServe, type RunningServer } from './helpers.js';

/** A database nobody has opened yet: a SQLite path in a new directory, or an empty PostgreSQL schema. */
async function freshDatabase(dialect: DialectName): Promise<{ url: string; open(): Db; destroy(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-cli-'));
    const file = path.join(dir, 'data', 'textback.db');
    const opened: Db[] = [];
    return {
      url: file,
      open: () => {
        const db = openDatabase(file);
        opened.push(db);
        return db;
      },
      destroy: async () => {
        for (const db of opened) await db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const database = await createTestDatabase(dialect, { migrate: false });
  return { url: database.url, open: () => database.db, destroy: () => database.destroy() };
}

/** Textback opened in this process on the database the CLI wrote, to look through the API. */
async function openApp(db: Db): Promise<{ app: TestApp; tb: Textback }> {
  const tb = await createTextback({ config: { ...loadConfig({}), runWorkers: false }, db, logger: createLogger('silent') });
  const http = await tb.http();
  return { app: { tb, http } as unknown as TestApp, tb };
}

describe.each(DIALECTS)('the textback command line (%s)', (dialect) => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let env: Record<string, string>;
  let app: TestApp;
  let tb: Textback | undefined;
  let owner: { org_id: string; owner_id: string; api_key: string };
  let agent: { id: string };
  const number = '+14155550100';

  beforeAll(async () => {
    requireBuiltCli();
    if (!dialectAvailable(dialect)) return;
    database = await freshDatabase(dialect);
    env = { DATABASE_URL: database.url };
  });
  afterAll(async () => {
    await tb?.close();
    await database?.destroy();
  });

  it.runIf(dialectAvailable(dialect))('--help lists the commands', async () => {
    const help = await runCli(['--help'], env);
    expect(help.code).toBe(0);
    for (const command of ['serve', 'migrate', 'worker', 'orgs', 'users', 'keys', 'numbers', 'send', 'sandbox', 'jobs']) {
      expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
    const send = await runCli(['send', '--help'], env);
    expect(send.stdout).toContain('<to> <body>');
    expect(send.stdout).toContain('--from');
  });

  it.runIf(dialectAvailable(dialect))('migrate creates the schema on a fresh database, then has nothing to do', async () => {
    const first = await runCli(['migrate'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^applied: 0001-initial/);
    if (dialect === 'sqlite') expect(fs.existsSync(database.url)).toBe(true);
    const second = await runCli(['migrate'], env);
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toBe('the database is up to date');
  });

  it.runIf(dialectAvailable(dialect))('orgs create prints an owner API key that authenticates against the API on the same database', async () => {
    owner = cliJson(await runCli(['orgs', 'create', '--name', 'Acme Plumbing', '--owner-email', 'Owner@Acme.example'], env));
    expect(owner.api_key).toMatch(/^tbk_[A-Za-z0-9_-]{20,}$/);
    ({ app, tb } = await openApp(database.open()));
    const org = await api(app, { apiKey: owner.api_key }, 'GET', '/v1/organization');
    expect(org.status).toBe(200);
    expect(org.json).toMatchObject({ id: owner.org_id, name: 'Acme Plumbing', time_zone: 'America/New_York' });
    const users = await api(app, { apiKey: owner.api_key }, 'GET', '/v1/users');
    expect(users.json.data).toMatchObject([{ id: owner.owner_id, email: 'owner@acme.example', role: 'owner' }]);

    const added = cliJson(await runCli(['numbers', 'add', number, '--name', 'Main line'], env));
    expect(added).toMatchObject({ phone: number, carrier: 'sandbox' });
  });

  it.runIf(dialectAvailable(dialect))('users create and keys create give a user whose key works with their role', async () => {
    agent = cliJson(await runCli(['users', 'create', '--email', 'ana@acme.example', '--name', 'Ana', '--role', 'agent'], env));
    expect(agent).toMatchObject({ email: 'ana@acme.example', role: 'agent' });
    const key = cliJson(await runCli(['keys', 'create', '--user', agent.id, '--name', 'ana laptop'], env));
    expect(key.key).toMatch(/^tbk_/);
    expect((await api(app, { apiKey: key.key }, 'GET', '/v1/contacts')).status).toBe(200);
    // It is Ana's key: an agent's, so admin routes refuse it.
    expect((await api(app, { apiKey: key.key }, 'GET', '/v1/jobs')).status).toBe(403);
    const listed = await api(app, { apiKey: owner.api_key }, 'GET', '/v1/api-keys');
    expect(listed.json.data.find((k: { id: string }) => k.id === key.id)).toMatchObject({ user_id: agent.id, name: 'ana laptop', revoked_at: null });

    // A role that does not exist is refused by the CLI itself.
    const badRole = await runCli(['users', 'create', '--email', 'x@acme.example', '--name', 'X', '--role', 'emperor'], env);
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toMatch(/emperor.*(owner|admin|supervisor|agent)/s);
  });

  it.runIf(dialectAvailable(dialect))('send queues a text that the API shows, with its send job', async () => {
    const sent = cliJson(await runCli(['send', '(415) 555-0123', 'Your plumber is on the way'], env));
    // Queued to go now, or held until the recipient's quiet hours end: the CLI runs on the real clock.
    expect(sent).toMatchObject({ status: expect.stringMatching(/^(queued|held)$/), segments: 1, encoding: 'GSM-7' });
    const message = await api(app, { apiKey: owner.api_key }, 'GET', `/v1/messages/${sent.id}`);
    if (sent.status === 'held') expect(message.json.reason).toBe('quiet_hours');
    expect(message.json).toMatchObject({
      direction: 'outbound',
      status: sent.status,
      to: '+14155550123',
      from: number,
      body: 'Your plumber is on the way',
      created_by: { type: 'system', id: 'cli' },
    });
    const jobs = await api(app, { apiKey: owner.api_key }, 'GET', '/v1/jobs?kind=message.send&state=pending');
    expect(jobs.json.data.map((j: { unique_key: string }) => j.unique_key)).toContain(`message.send:${sent.id}`);
    const listed = await runCli(['jobs', 'list', '--state', 'pending'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/pending\s+message\.send/);
  });

  it.runIf(dialectAvailable(dialect))('sandbox text stores an inbound message, contact and conversation', async () => {
    const texted = cliJson(await runCli(['sandbox', 'text', '+15554265646', '--to', number, 'hi'], env));
    const message = await api(app, { apiKey: owner.api_key }, 'GET', `/v1/messages/${texted.id}`);
    expect(message.json).toMatchObject({ direction: 'inbound', status: 'received', from: '+15554265646', to: number, body: 'hi' });
    const contact = await api(app, { apiKey: owner.api_key }, 'GET', `/v1/contacts/${texted.contact_id}`);
    expect(contact.json).toMatchObject({ phone: '+15554265646', source: 'inbound_sms' });
    const conversation = await api(app, { apiKey: owner.api_key }, 'GET', `/v1/conversations/${texted.conversation_id}`);
    expect(conversation.json).toMatchObject({ unread_count: 1, status: 'open' });
  });

  it.runIf(dialectAvailable(dialect))('a bad number, an unknown business number or a bad date: exit 1, a clear error on stderr, nothing written', async () => {
    const before = await countRows(app);
    const badTo = await runCli(['send', 'not a number', 'hi'], env);
    expect(badTo.code).toBe(1);
    expect(badTo.stderr).toContain('error: to: "not a number" is not a phone number');
    expect(badTo.stderr).not.toMatch(/\bat .*\.js:\d+/); // a message, not a stack trace
    expect(badTo.stdout).toBe('');

    const badFrom = await runCli(['send', '+14155550123', 'hi', '--from', '+14155550999'], env);
    expect(badFrom.code).toBe(1);
    expect(badFrom.stderr).toContain("+14155550999 is not one of this organization's numbers");

    const unknownBusiness = await runCli(['sandbox', 'text', '+15554265646', '--to', '+14155550999', 'hi'], env);
    expect(unknownBusiness.code).toBe(1);
    expect(unknownBusiness.stderr).toContain("+14155550999 is not one of this organization's numbers");

    const badHandset = await runCli(['sandbox', 'text', 'my phone', '--to', number, 'hi'], env);
    expect(badHandset.code).toBe(1);
    expect(badHandset.stderr).toContain('from: "my phone" is not a phone number in E.164 form');

    const badDate = await runCli(['send', '+14155550123', 'later', '--at', 'tomorrow'], env);
    expect(badDate.code).toBe(1);
    expect(badDate.stderr).toContain('ISO 8601');

    expect(await countRows(app)).toEqual(before);
  });

  it.runIf(dialectAvailable(dialect))('with several organizations, commands ask for --org instead of guessing', async () => {
    const second = cliJson(await runCli(['orgs', 'create', '--name', 'Second Co', '--owner-email', 'owner@second.example'], env));
    const ambiguous = await runCli(['send', '+14155550123', 'hi'], env);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain(`there are several organizations (${owner.org_id} (Acme Plumbing), ${second.org_id} (Second Co))`);
    expect(ambiguous.stderr).toContain('pass --org <id>, set TEXTBACK_ORG=<id>, or make one the default with `textback use <id or name>`');
    // With --org it goes to that organization, whose numbers it then needs.
    const noNumber = await runCli(['send', '+14155550123', 'hi', '--org', second.org_id], env);
    expect(noNumber.code).toBe(1);
    expect(noNumber.stderr).toContain('no business number');
    const sent = cliJson(await runCli(['send', '+14155550124', 'Second text', '--org', owner.org_id], env));
    expect((await api(app, { apiKey: owner.api_key }, 'GET', `/v1/messages/${sent.id}`)).json.body).toBe('Second text');
    expect((await api(app, { apiKey: second.api_key }, 'GET', `/v1/messages/${sent.id}`)).status).toBe(404);
  });

  it.runIf(dialectAvailable(dialect))('textback use remembers a default organization; TEXTBACK_ORG and --org win over it', async () => {
    // PostgreSQL keeps the default under ./data of the working directory: a directory of its own here.
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-cli-cwd-'));
    const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { ...env, ...extra }, 30_000, cwd);
    try {
      const unknown = await cli(['use', 'Nobody Inc']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('there is no organization "Nobody Inc"');

      const chosen = await cli(['use', 'acme plumbing']); // by name, any case
      expect(chosen.code, chosen.stderr).toBe(0);
      expect(chosen.stdout).toContain(`commands now act on ${owner.org_id} (Acme Plumbing) by default`);
      const where = dialect === 'sqlite' ? path.join(path.dirname(database.url), 'textback-cli.json') : path.join(cwd, 'data', 'textback-cli.json');
      expect(JSON.parse(fs.readFileSync(where, 'utf8'))).toEqual({ org: owner.org_id });
      expect((await cli(['orgs', 'list'])).stdout).toMatch(new RegExp(`^${owner.org_id}  Acme Plumbing  \\(default\\)$`, 'm'));

      // No --org needed now.
      const sent = cliJson(await cli(['send', '+14155550125', 'By default']));
      expect((await api(app, { apiKey: owner.api_key }, 'GET', `/v1/messages/${sent.id}`)).json.body).toBe('By default');

      // TEXTBACK_ORG wins over the default, --org over both.
      const second = (await cli(['orgs', 'list'])).stdout.match(/^(\S+) {2}Second Co$/m)![1]!;
      const viaEnv = await cli(['send', '+14155550126', 'hi'], { TEXTBACK_ORG: second });
      expect(viaEnv.stderr).toContain('no business number'); // the second organization has none
      const viaOption = cliJson(await cli(['send', '+14155550127', 'By option', '--org', owner.org_id], { TEXTBACK_ORG: second }));
      expect(viaOption.status).toMatch(/^(queued|held)$/);
      const badEnv = await cli(['send', '+14155550128', 'hi'], { TEXTBACK_ORG: 'org_missing' });
      expect(badEnv.code).toBe(1);
      expect(badEnv.stderr).toContain('TEXTBACK_ORG: there is no organization "org_missing"');
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
      if (dialect === 'sqlite') fs.rmSync(path.join(path.dirname(database.url), 'textback-cli.json'), { force: true });
    }
  });
});

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

  it.runIf(dialectAvailable(dialect))('first start: prints its URL, is healthy, and sets up the demo organization for TEXTBACK_API_KEY', async () => {
    expect(apiKey).toHaveLength(32);
    const server = await start();
    expect(server.url).toMatch(/^http:\/\/localhost:\d+$/);
    expect(server.url).not.toMatch(/:0$/);
    const out = server.stdout();
    expect(out).toContain('Textback is set up with a demo organization (Demo Plumbing Co.)');
    expect(out).toContain('Admin API key: the value of TEXTBACK_API_KEY');
    expect(out).toContain('Demo business number: +14159434591');
    expect(out).not.toContain(apiKey);

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

  it.runIf(dialectAvailable(dialect))('without TEXTBACK_API_KEY, the first start prints a generated key once, and it works', async () => {
    const other = await freshDatabase(dialect);
    try {
      const server = await start({ DATABASE_URL: other.url, TEXTBACK_API_KEY: '' });
      const match = /Admin API key \(shown once, keep it\): (tbk_\S+)/.exec(server.stdout());
      expect(match, server.stdout()).not.toBeNull();
      const key = match![1]!;
      expect((await get(server, '/v1/organization', key)).status).toBe(200);
      expect((await get(server, '/v1/organization')).status).toBe(401); // the other database's key
      expect(await server.stop()).toBe(0);
      const again = await start({ DATABASE_URL: other.url, TEXTBACK_API_KEY: '' });
      expect(again.stdout()).not.toContain(key);
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
