/**
 * Email notifications (docs/notifications.md) against a real SMTP server on 127.0.0.1 (the
 * smtp-server package), each email parsed with mailparser: recipients and link, one email for a
 * burst, nothing for a text already read, an outage retried by the scheduler without loss, ids only
 * in the log without SMTP, preferences validation and tenancy. Both databases, fake clock.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, capturingLogger, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { expectProblem } from '../api/helpers.js';
import { as, createTeamOrg, settle } from '../teams/helpers.js';
import { CARRIER_REJECTING_AFTER, OPT_OUT_MIN_CONTACTS } from '../../src/use-cases/notifications/failures.js';

const DIGEST_MS = 120_000;

/** An SMTP server that keeps what it receives; `down()` and `up()` simulate an outage on one port. */
class Inbox {
  mails: (ParsedMail & { rcpt: string[] })[] = [];
  private server: SMTPServer | undefined;
  port = 0;
  async up(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, done) => {
        simpleParser(stream)
          .then((mail) => {
            this.mails.push(Object.assign(mail, { rcpt: session.envelope.rcptTo.map((r) => r.address) }));
            done();
          })
          .catch(done);
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
  }
  async down(): Promise<void> {
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

describe.each(DIALECTS)('email notifications (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  const inbox = new Inbox();
  let app: TestApp;
  let org: TestOrg;
  let seq = 0;
  const handset = () => `+1415555${String(2000 + seq++)}`;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    await inbox.up();
    app = await createTestApp(dialect, { config: { smtpUrl: `smtp://127.0.0.1:${inbox.port}`, mailFrom: 'Textback <sms@example.com>', publicBaseUrl: 'https://sms.example.com' } });
    org = await createTestOrg(app);
    const res = await api(app, org, 'PUT', `/v1/users/${org.userId}/notifications`, { email_new_texts: { unassigned: true } });
    expect(res.status, res.raw.body).toBe(200);
  });
  afterAll(async () => {
    await app?.close();
    if (dialectAvailable(dialect)) await inbox.down();
  });
  beforeEach(() => {
    inbox.mails = [];
  });

  async function text(from: string, body: string): Promise<void> {
    const res = await api(app, org, 'POST', '/v1/sandbox/messages', { from, to: org.number, body });
    expect([201, 202], res.raw.body).toContain(res.status);
    await app.drain();
  }
  const conversationOf = async (from: string) =>
    (await app.tb.ctx.db.kysely.selectFrom('conversations as c').innerJoin('contacts as k', 'k.id', 'c.contact_id').select('c.id').where('k.e164', '=', from).where('c.org_id', '=', org.orgId).executeTakeFirstOrThrow()).id;

  run('a new text emails the owner who asked, quoting it, with a link to the conversation and no body in the subject', async () => {
    const from = handset();
    await text(from, 'Is the <b>blue</b> sofa still available?');
    expect(inbox.mails).toHaveLength(0); // the digest window is still open
    await app.advance(DIGEST_MS);
    expect(inbox.mails).toHaveLength(1);
    const mail = inbox.mails[0]!;
    const owner = await app.tb.ctx.db.kysely.selectFrom('users').select('email').where('id', '=', org.userId).executeTakeFirstOrThrow();
    expect(mail.rcpt).toEqual([owner.email]);
    expect(mail.from?.text).toContain('sms@example.com');
    expect(mail.subject).toBe(`A new text from ${from} to Main`);
    expect(mail.subject).not.toContain('sofa');
    const link = `https://sms.example.com/conversations/${await conversationOf(from)}`;
    expect(mail.text).toContain('> Is the <b>blue</b> sofa still available?');
    expect(mail.text).toContain(link);
    // The HTML shows the text as text: the contact's markup is escaped.
    expect(mail.html).toContain('Is the &lt;b&gt;blue&lt;/b&gt; sofa still available?');
    expect(mail.html).not.toContain('<b>blue');
    expect(mail.html).toContain(`href="${link}"`);
  });

  run('a burst of texts from one contact sends one email quoting them all', async () => {
    const from = handset();
    await text(from, 'Hi');
    app.clock.advance(30_000);
    await text(from, 'Are you open today?');
    app.clock.advance(30_000);
    await text(from, 'Until what time?');
    await app.advance(DIGEST_MS);
    expect(inbox.mails).toHaveLength(1);
    expect(inbox.mails[0]!.subject).toBe(`3 new texts from ${from} to Main`);
    for (const body of ['Hi', 'Are you open today?', 'Until what time?']) expect(inbox.mails[0]!.text).toContain(`> ${body}`);
    // A later text opens a new window.
    await text(from, 'Hello?');
    await app.advance(DIGEST_MS);
    expect(inbox.mails).toHaveLength(2);
    expect(inbox.mails[1]!.text).toContain('> Hello?');
    expect(inbox.mails[1]!.text).not.toContain('> Hi\n');
  });

  run('a text the user has already read sends nothing; another user who has not read it is still emailed', async () => {
    const admin = (await api(app, org, 'POST', '/v1/users', { email: `admin${seq++}@example.com`, name: 'Ada', role: 'admin' })).json;
    const adminKey = (await api(app, org, 'POST', '/v1/api-keys', { user_id: admin.id, name: 'web' })).json.key as string;
    expect((await api(app, { apiKey: adminKey }, 'PUT', `/v1/users/${admin.id}/notifications`, { email_new_texts: { unassigned: true } })).status).toBe(200);
    const from = handset();
    await text(from, 'Can I book for Friday?');
    app.clock.advance(10_000);
    expect((await api(app, org, 'POST', `/v1/conversations/${await conversationOf(from)}/read`)).status).toBe(200);
    await app.advance(DIGEST_MS);
    expect(inbox.mails.map((m) => m.rcpt)).toEqual([[admin.email]]);
    // Off again, so the other tests email only the owner.
    await api(app, { apiKey: adminKey }, 'PUT', `/v1/users/${admin.id}/notifications`, { email_new_texts: { unassigned: false } });
  });

  run('a text arriving after the user read the conversation is emailed alone, without the texts read before it', async () => {
    const from = handset();
    await text(from, 'First question');
    app.clock.advance(5_000);
    expect((await api(app, org, 'POST', `/v1/conversations/${await conversationOf(from)}/read`)).status).toBe(200);
    app.clock.advance(5_000);
    await text(from, 'Second question');
    await app.advance(DIGEST_MS);
    expect(inbox.mails).toHaveLength(1);
    expect(inbox.mails[0]!.subject).toBe(`A new text from ${from} to Main`);
    expect(inbox.mails[0]!.text).toContain('> Second question');
    expect(inbox.mails[0]!.text).not.toContain('First question');
  });

  run('two users read the conversation one after the other: neither is emailed (the second read finds it already read)', async () => {
    const admin = (await api(app, org, 'POST', '/v1/users', { email: `admin${seq++}@example.com`, name: 'Cy', role: 'admin' })).json;
    const adminKey = { apiKey: (await api(app, org, 'POST', '/v1/api-keys', { user_id: admin.id, name: 'web' })).json.key as string };
    expect((await api(app, adminKey, 'PUT', `/v1/users/${admin.id}/notifications`, { email_new_texts: { unassigned: true } })).status).toBe(200);
    const from = handset();
    await text(from, 'Is parking free?');
    const id = await conversationOf(from);
    expect((await api(app, adminKey, 'POST', `/v1/conversations/${id}/read`)).json.unread_count).toBe(0);
    expect((await api(app, org, 'POST', `/v1/conversations/${id}/read`)).status).toBe(200);
    await app.advance(DIGEST_MS);
    expect(inbox.mails).toHaveLength(0);
    await api(app, adminKey, 'PUT', `/v1/users/${admin.id}/notifications`, { email_new_texts: { unassigned: false } });
  });

  run('an SMTP outage: the job fails, is retried by the scheduler, and the email arrives once the server is back', async () => {
    const from = handset();
    await text(from, 'Do you deliver?');
    await inbox.down();
    try {
      await app.advance(DIGEST_MS);
    } finally {
      await inbox.up();
    }
    expect(inbox.mails).toHaveLength(0);
    const job = await app.tb.ctx.db.kysely.selectFrom('jobs').select(['state', 'attempts', 'last_error']).where('kind', '=', 'notify.new_texts').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    expect(job).toMatchObject({ state: 'pending', attempts: 1 });
    expect(job.last_error).toBe('the SMTP server did not take the email (ESOCKET CONN)');
    await app.advance(60_000); // past the first retry's backoff
    expect(inbox.mails).toHaveLength(1);
    expect(inbox.mails[0]!.text).toContain('> Do you deliver?');
  });

  run('only the users whose preferences match: another team, other numbers, and an organization where nobody asked get no job', async () => {
    const agent = (await api(app, org, 'POST', '/v1/users', { email: `agent${seq++}@example.com`, name: 'Al', role: 'agent' })).json;
    const agentKey = (await api(app, org, 'POST', '/v1/api-keys', { user_id: agent.id, name: 'web' })).json.key as string;
    // The agent wants their teams' conversations only; this conversation is unassigned.
    expect((await api(app, { apiKey: agentKey }, 'PUT', `/v1/users/${agent.id}/notifications`, { email_new_texts: { my_teams: true, assigned_to_me: true } })).status).toBe(200);
    const other = await createTestOrg(app);
    const res = await api(app, other, 'POST', '/v1/sandbox/messages', { from: handset(), to: other.number, body: 'hello' });
    expect([201, 202]).toContain(res.status);
    const from = handset();
    await text(from, 'Any news?');
    await app.advance(DIGEST_MS);
    expect(inbox.mails.map((m) => m.rcpt)).toHaveLength(1);
    expect(inbox.mails[0]!.rcpt).not.toContain(agent.email);
    const otherJobs = await app.tb.ctx.db.kysely.selectFrom('jobs').select('id').where('org_id', '=', other.orgId).where('kind', '=', 'notify.new_texts').execute();
    expect(otherJobs).toHaveLength(0);
  });

  run(`failures: ${CARRIER_REJECTING_AFTER} texts in a row rejected by the carrier email the owner who asked, once`, async () => {
    const local = await createTestOrg(app);
    expect((await api(app, local, 'PUT', `/v1/users/${local.userId}/notifications`, { email_failures: true })).status).toBe(200);
    const owner = await app.tb.ctx.db.kysely.selectFrom('users').select('email').where('id', '=', local.userId).executeTakeFirstOrThrow();
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const to = handset();
        expect((await api(app, local, 'PUT', `/v1/sandbox/destinations/${to}`, { fail_reason: 'spam-filtered' })).status).toBe(204);
        expect((await api(app, local, 'POST', '/v1/messages', { to, body: 'Your order shipped' })).status).toBe(201);
        await settle(app);
        await app.advance(1000); // the sandbox carrier's receipt
      }
    };
    await send(CARRIER_REJECTING_AFTER - 1);
    await app.drain();
    expect(inbox.mails).toHaveLength(0); // one short of the run
    await send(1);
    await app.drain();
    expect(inbox.mails).toHaveLength(1);
    expect(inbox.mails[0]!.rcpt).toEqual([owner.email]);
    expect(inbox.mails[0]!.subject).toBe(`Number Main: the carrier rejected the last ${CARRIER_REJECTING_AFTER} texts`);
    expect(inbox.mails[0]!.text).not.toContain('Your order shipped');
    // The next failure on the same day does not email again.
    await send(1);
    await app.drain();
    expect(inbox.mails).toHaveLength(1);
  });

  run('failures: a number whose contacts opt out above the threshold emails the owner who asked', async () => {
    const local = await createTestOrg(app);
    expect((await api(app, local, 'PUT', `/v1/users/${local.userId}/notifications`, { email_failures: true })).status).toBe(200);
    const contacts = Array.from({ length: OPT_OUT_MIN_CONTACTS }, () => handset());
    const res = await api(app, local, 'POST', '/v1/messages/batch', { messages: contacts.map((to) => ({ to, body: 'Spring sale' })) });
    expect(res.status, res.raw.body).toBeLessThan(300);
    await settle(app);
    await app.advance(1000); // the sandbox carrier's receipts
    // One STOP in 20 (5%) is not above the threshold; the second is.
    for (const [i, from] of contacts.slice(0, 2).entries()) {
      expect([201, 202]).toContain((await api(app, local, 'POST', '/v1/sandbox/messages', { from, to: local.number, body: 'STOP' })).status);
      await settle(app);
      expect(inbox.mails, `after ${i + 1} opt-outs`).toHaveLength(i);
    }
    expect(inbox.mails[0]!.subject).toBe('Number Main: 10% of contacts opted out in 30 days');
  });

  run('failures: a webhook endpoint disabled after its receiver answered 410 Gone emails the owner who asked, naming the URL', async () => {
    const local = await createTestOrg(app);
    expect((await api(app, local, 'PUT', `/v1/users/${local.userId}/notifications`, { email_failures: true })).status).toBe(200);
    const gone = http.createServer((_req, res) => res.writeHead(410).end());
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', () => resolve()));
    try {
      const url = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/hooks`;
      const ep = await api(app, local, 'POST', '/v1/webhook-endpoints', { url, events: ['message.created'] });
      expect(ep.status, ep.raw.body).toBe(201);
      expect((await api(app, local, 'POST', '/v1/messages', { to: handset(), body: 'Your order shipped' })).status).toBe(201);
      await app.drain();
      await app.drain();
      expect((await api(app, local, 'GET', `/v1/webhook-endpoints/${ep.json.id}`)).json.state).toBe('disabled');
      expect(inbox.mails).toHaveLength(1);
      expect(inbox.mails[0]!.subject).toBe(`Webhook endpoint disabled: 127.0.0.1:${(gone.address() as AddressInfo).port}`);
      expect(inbox.mails[0]!.text).toContain(`stopped sending events to ${url}: the endpoint answered 410 Gone (last answer: HTTP 410)`);
      expect(inbox.mails[0]!.text).not.toContain('Your order shipped');
    } finally {
      await new Promise<void>((resolve) => gone.close(() => resolve()));
    }
  });

  run("a team's conversation emails the team member who asked for their teams' texts; the body goes in the subject when they ask", async () => {
    const team = await createTeamOrg(app, 2);
    const [al, bo] = team.agents;
    expect((await api(app, as(al!), 'PUT', `/v1/users/${al!.userId}/notifications`, { email_new_texts: { my_teams: true }, include_body_in_subject: true })).status).toBe(200);
    // Bo asks only for the conversations assigned to him: this one is the team's.
    expect((await api(app, as(bo!), 'PUT', `/v1/users/${bo!.userId}/notifications`, { email_new_texts: { assigned_to_me: true } })).status).toBe(200);
    const from = handset();
    expect([201, 202]).toContain((await api(app, team, 'POST', '/v1/sandbox/messages', { from, to: team.number, body: 'Do you\r\nship to Canada?' })).status);
    await app.drain();
    await app.advance(DIGEST_MS);
    const users = await app.tb.ctx.db.kysely.selectFrom('users').select(['id', 'email']).where('id', 'in', [al!.userId, bo!.userId]).execute();
    const email = (id: string) => users.find((u) => u.id === id)!.email;
    const mails = inbox.mails.filter((m) => m.rcpt.includes(email(al!.userId)) || m.rcpt.includes(email(bo!.userId)));
    expect(mails.map((m) => m.rcpt)).toEqual([[email(al!.userId)]]);
    expect(mails[0]!.subject).toBe(`A new text from ${from} to Main: Do you ship to Canada?`);
  });

  run('preferences: defaults, validation errors naming each field, roles and tenancy', async () => {
    const agent = (await api(app, org, 'POST', '/v1/users', { email: `agent${seq++}@example.com`, name: 'Bo', role: 'agent' })).json;
    const agentKey = { apiKey: (await api(app, org, 'POST', '/v1/api-keys', { user_id: agent.id, name: 'web' })).json.key as string };
    const fresh = await api(app, agentKey, 'GET', `/v1/users/${agent.id}/notifications`);
    expect(fresh.json).toEqual({ email_new_texts: { assigned_to_me: false, my_teams: false, unassigned: false, numbers: 'all' }, email_failures: false, include_body_in_subject: false });
    expectProblem(await api(app, agentKey, 'PUT', `/v1/users/${agent.id}/notifications`, { email_failures: true, email_new_texts: { numbers: [org.numberId, 'num_nope'] } }), 400, 'validation_failed', {
      fields: ['email_new_texts.numbers[1]', 'email_failures'],
    });
    expectProblem(await api(app, agentKey, 'PUT', `/v1/users/${agent.id}/notifications`, { email_new_texts: { unassigned: 'yes' } }), 400, 'validation_failed', {
      detail: ['unassigned'],
    });
    expectProblem(await api(app, agentKey, 'PUT', `/v1/users/${agent.id}/notifications`, { email_newtexts: {} }), 400, 'validation_failed', { detail: ['email_newtexts'] });
    // An agent cannot see the owner's; the owner (admin and above) can see the agent's.
    expectProblem(await api(app, agentKey, 'GET', `/v1/users/${org.userId}/notifications`), 403, 'forbidden');
    const set = await api(app, org, 'PUT', `/v1/users/${agent.id}/notifications`, { email_new_texts: { numbers: [org.numberId], assigned_to_me: true } });
    expect(set.json.email_new_texts).toEqual({ assigned_to_me: true, my_teams: false, unassigned: false, numbers: [org.numberId] });
    // Another organization's user and number: not found / unknown, as missing ones.
    const other = await createTestOrg(app);
    expectProblem(await api(app, other, 'GET', `/v1/users/${agent.id}/notifications`), 404, 'not_found');
    expectProblem(await api(app, other, 'PUT', `/v1/users/${other.userId}/notifications`, { email_new_texts: { numbers: [org.numberId] } }), 400, 'validation_failed', {
      fields: ['email_new_texts.numbers[0]'],
    });
  });
});

describe.each(DIALECTS)('email notifications without SMTP (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  run('are logged as ids (user, conversation, messages), never with the body or an address, and nothing fails', async () => {
    const { logger, lines } = capturingLogger('info');
    const app = await createTestApp(dialect, { logger });
    try {
      const org = await createTestOrg(app);
      expect((await api(app, org, 'PUT', `/v1/users/${org.userId}/notifications`, { email_new_texts: { unassigned: true } })).status).toBe(200);
      const res = await api(app, org, 'POST', '/v1/sandbox/messages', { from: '+15553019999', to: org.number, body: 'secret plans' });
      expect([201, 202]).toContain(res.status);
      await app.drain();
      await app.advance(DIGEST_MS);
      const line = lines.find((l) => l.includes('no SMTP_URL'));
      expect(line).toBeDefined();
      const logged = JSON.parse(line!);
      const message = await app.tb.ctx.db.kysely.selectFrom('messages').select(['id', 'conversation_id']).where('org_id', '=', org.orgId).executeTakeFirstOrThrow();
      expect(logged).toMatchObject({ user_id: org.userId, conversation_id: message.conversation_id, message_ids: [message.id] });
      const all = lines.join('');
      expect(all).not.toContain('secret plans');
      expect(all).not.toContain('@example.com');
      expect(all).not.toContain('+15553019999');
      const job = await app.tb.ctx.db.kysely.selectFrom('jobs').select('state').where('kind', '=', 'notify.new_texts').executeTakeFirstOrThrow();
      expect(job.state).toBe('completed');
    } finally {
      await app.close();
    }
  });
});
