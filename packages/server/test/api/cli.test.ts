/**
 * The built `textback` command line against a real database: what an operator types, and what the
 * API then shows. Needs `npx tsc -b` first (the tests say so when dist/ is missing). `textback serve`
 * is in cli-serve.test.ts (a file of its own, so that the two run side by side).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { Db } from '../../src/db/database.js';
import { createLogger } from '../../src/support/logger.js';
import { createTextback, type Textback } from '../../src/textback.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, type TestApp } from '../support/test-app.js';
import { cliJson, countRows, freshDatabase, requireBuiltCli, runCli } from './helpers.js';

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

    // A password from standard input (or --password) lets them sign in; a short one is refused.
    const dana = cliJson(await runCli(['users', 'create', '--email', 'Dana@acme.example', '--name', 'Dana', '--role', 'supervisor', '--password-stdin'], env, 30_000, undefined, 'a long enough secret\n'));
    expect(dana).toMatchObject({ email: 'dana@acme.example', role: 'supervisor', has_password: true });
    const signIn = (email: string, password: string) => app.http.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
    const session = await signIn('dana@acme.example', 'a long enough secret');
    expect(session.statusCode, session.body).toBe(200);
    expect(JSON.parse(session.body).user).toMatchObject({ id: dana.id, role: 'supervisor' });
    expect(cliJson(await runCli(['users', 'create', '--email', 'eli@acme.example', '--name', 'Eli', '--role', 'admin', '--password', 'another fine secret'], env)).role).toBe('admin');
    expect((await signIn('eli@acme.example', 'another fine secret')).statusCode).toBe(200);
    const short = await runCli(['users', 'create', '--email', 'fay@acme.example', '--name', 'Fay', '--password-stdin'], env, 30_000, undefined, 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('10 to 200 characters');
    expect(cliJson(await runCli(['users', 'set-password', 'dana@acme.example', '--password-stdin'], env, 30_000, undefined, 'a newer secret here\n'))).toMatchObject({ id: dana.id });
    expect((await signIn('dana@acme.example', 'a long enough secret')).statusCode).toBe(401);
    expect((await signIn('dana@acme.example', 'a newer secret here')).statusCode).toBe(200);

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
