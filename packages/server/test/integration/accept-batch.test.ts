/**
 * Texts submitted at the same moment are accepted in one batch (use-cases/accept-batch.ts). Each
 * must get exactly what it would get alone: its own validation error, its own gate decision, one
 * contact and conversation per recipient and number, one job per text that will go, one
 * `message.created` event each, and idempotency keys honoured even within the batch.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppError } from '../../src/support/errors.js';
import { sendMessage, type SendMessageInput } from '../../src/use-cases/messages.js';
import { receiveInboundMessage } from '../../src/use-cases/receive.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { settle } from '../compliance/helpers.js';
import { api, createTestApp, createTestOrg, type TestApp } from '../support/test-app.js';

describe.each(DIALECTS)('accepting texts in a batch (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  let app: TestApp;

  beforeAll(async () => {
    if (dialectAvailable(dialect)) app = await createTestApp(dialect);
  });
  afterAll(async () => app?.close());

  run('texts submitted together each get their own outcome, as alone', async () => {
    const org = await createTestOrg(app, '+14155557100');
    const other = await createTestOrg(app, '+14155557101');
    expect((await api(app, org, 'POST', '/v1/suppressions', { phone: '+14155557199', reason: 'dnc' })).status).toBe(201);
    const base = { orgId: org.orgId, from: org.number, createdBy: { type: 'user' as const, id: org.userId } };
    const inputs: SendMessageInput[] = [
      { ...base, to: '+14155557110', body: 'one' },
      { ...base, to: 'not a number', body: 'bad number' },
      { ...base, to: '+14155557111', body: '' },
      { ...base, to: '+14155557112', from: other.number, body: "another org's number" },
      { ...base, to: '+14155557199', body: 'to a suppressed number' },
      { ...base, to: '+14155557113', body: 'first of two to one person' },
      { ...base, to: '(415) 555-7113', body: 'second of two to one person' },
      { ...base, to: '+14155557114', body: 'keyed', idempotencyKey: 'k-1' },
      { ...base, to: '+14155557114', body: 'keyed', idempotencyKey: 'k-1' },
      { ...base, to: '+14155557115', body: 'later', sendAt: app.clock.now() + 3_600_000 },
    ];
    // All in the same turn of the event loop: one batch.
    const settled = await Promise.allSettled(inputs.map((input) => sendMessage(app.tb.ctx, input)));
    const error = (i: number) => {
      const s = settled[i]!;
      expect(s.status, `text ${i}`).toBe('rejected');
      return (s as PromiseRejectedResult).reason as AppError;
    };
    const ok = (i: number) => {
      const s = settled[i]!;
      expect(s.status, `text ${i}: ${s.status === 'rejected' ? String(s.reason) : ''}`).toBe('fulfilled');
      return (s as PromiseFulfilledResult<Awaited<ReturnType<typeof sendMessage>>>).value;
    };

    expect(ok(0).message).toMatchObject({ status: 'queued', to_e164: '+14155557110', body: 'one', segments: 1, encoding: 'GSM-7' });
    expect(error(1)).toMatchObject({ code: 'invalid_number' });
    expect(error(2)).toMatchObject({ code: 'empty_body' });
    expect(error(3)).toMatchObject({ code: 'unknown_number' });
    expect(ok(4).message).toMatchObject({ status: 'blocked', reason: 'suppressed', rule: 'SUPPRESSION' });
    const [a, b] = [ok(5).message, ok(6).message];
    expect(b.to_e164).toBe('+14155557113');
    expect(b.contact_id).toBe(a.contact_id);
    expect(b.conversation_id).toBe(a.conversation_id);
    // One idempotency key twice in the batch: one message, the second request replays it.
    const [k1, k2] = [ok(7), ok(8)];
    expect(k2.message.id).toBe(k1.message.id);
    expect([k1.replayed, k2.replayed].sort()).toEqual([false, true]);
    expect(ok(9).message).toMatchObject({ status: 'scheduled' });

    const db = app.tb.ctx.db.kysely;
    const messages = await db.selectFrom('messages').select(['id', 'status']).where('org_id', '=', org.orgId).execute();
    expect(messages).toHaveLength(6);
    const contacts = await db.selectFrom('contacts').select('e164').where('org_id', '=', org.orgId).execute();
    expect(contacts.map((c) => c.e164).sort()).toEqual(['+14155557110', '+14155557113', '+14155557114', '+14155557115', '+14155557199']);
    const conversations = await db.selectFrom('conversations').select('id').where('org_id', '=', org.orgId).execute();
    expect(conversations).toHaveLength(5);
    // A job for every text that will go (not the blocked one), one created event for each text.
    const jobs = await db.selectFrom('jobs').select(['unique_key', 'run_at']).where('org_id', '=', org.orgId).where('kind', '=', 'message.send').execute();
    expect(jobs).toHaveLength(5);
    const created = await db.selectFrom('events').select('subject_id').where('org_id', '=', org.orgId).where('type', '=', 'message.created').execute();
    expect(created.map((e) => e.subject_id).sort()).toEqual(messages.map((m) => m.id).sort());
    const decisions = await db.selectFrom('events').select('subject_id').where('org_id', '=', org.orgId).where('type', '=', 'compliance.decision').execute();
    expect(decisions.map((e) => e.subject_id)).toEqual([ok(4).message.id]);
    // Nothing in the other organization.
    expect(await db.selectFrom('messages').select('id').where('org_id', '=', other.orgId).execute()).toHaveLength(0);
  });

  run('a text to an existing conversation reopens it and they all go out through the worker', async () => {
    const org = await createTestOrg(app, '+14155557102');
    const base = { orgId: org.orgId, from: org.number, createdBy: { type: 'user' as const, id: org.userId } };
    const first = await sendMessage(app.tb.ctx, { ...base, to: '+14155557120', body: 'hello' });
    const db = app.tb.ctx.db.kysely;
    await db.updateTable('conversations').set({ status: 'closed' }).where('id', '=', first.message.conversation_id).execute();
    app.clock.advance(1000);
    const results = await Promise.all(['+14155557120', '+14155557121', '+14155557122'].map((to) => sendMessage(app.tb.ctx, { ...base, to, body: 'again' })));
    expect(results[0]!.message.conversation_id).toBe(first.message.conversation_id);
    const conversation = await db.selectFrom('conversations').selectAll().where('id', '=', first.message.conversation_id).executeTakeFirstOrThrow();
    expect(conversation).toMatchObject({ status: 'open', last_message_at: app.clock.now() });
    // One long code sends one text a second (pacing): let the fake clock run.
    await settle(app);
    for (const r of [first, ...results]) {
      const m = await db.selectFrom('messages').select('status').where('id', '=', r.message.id).executeTakeFirstOrThrow();
      expect(['sent', 'delivered']).toContain(m.status);
    }
  });

  run('POST /v1/messages/batch: each text accepted or refused on its own, idempotent with a key, at most 100', async () => {
    const org = await createTestOrg(app, '+14155557103');
    const other = await createTestOrg(app, '+14155557104');
    const messages = [
      { to: '+14155557130', body: 'first' },
      { to: '12', body: 'not a number' },
      { to: '+14155557131', from: other.number, body: "another org's number" },
      { to: '+14155557132', body: 'last' },
    ];
    const res = await api(app, org, 'POST', '/v1/messages/batch', { messages }, { 'idempotency-key': 'batch-1' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ accepted: 2, refused: 2 });
    type Result = { index: number; ok: boolean; replayed?: boolean; message: { id: string }; error?: unknown };
    const data = res.json.data as Result[];
    expect(data.map((d) => [d.index, d.ok])).toEqual([
      [0, true],
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(data[0]).toMatchObject({ replayed: false, message: { to: '+14155557130', body: 'first', status: 'queued' } });
    expect(data[1]!.error).toMatchObject({ code: 'invalid_number', status: 400, errors: [{ field: 'messages[1].to' }] });
    expect(data[2]!.error).toMatchObject({ code: 'unknown_number', errors: [{ field: 'messages[2].from' }] });

    // The same request again: the same messages, nothing new stored or sent.
    const again = await api(app, org, 'POST', '/v1/messages/batch', { messages }, { 'idempotency-key': 'batch-1' });
    expect(again.json.data[0]).toMatchObject({ replayed: true, message: { id: data[0]!.message.id } });
    expect(again.json.data[3]).toMatchObject({ replayed: true, message: { id: data[3]!.message.id } });
    const stored = await app.tb.ctx.db.kysely.selectFrom('messages').select('id').where('org_id', '=', org.orgId).execute();
    expect(stored).toHaveLength(2);

    const tooMany = await api(app, org, 'POST', '/v1/messages/batch', { messages: Array.from({ length: 101 }, (_, i) => ({ to: `+1415555${8000 + i}`, body: 'x' })) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json).toMatchObject({ code: 'validation_failed' });
    expect((await api(app, null, 'POST', '/v1/messages/batch', { messages })).status).toBe(401);
  });

  run('a number the numbering plan refuses is accepted once it has texted us, alone and in a batch', async () => {
    const org = await createTestOrg(app, '+14155557140');
    // Area code 999 is not assigned: libphonenumber calls the number invalid, but a carrier delivered a text from it.
    const texter = '+19995557141';
    const stranger = '+19995557142';
    await receiveInboundMessage(app.tb.ctx, { carrier: 'sandbox', carrierMessageId: 'plan-refused-1', from: texter, to: org.number, body: 'hi there' });
    const base = { orgId: org.orgId, from: org.number, createdBy: { type: 'user' as const, id: org.userId } };

    const alone = await api(app, org, 'POST', '/v1/messages', { to: texter, from: org.number, body: 'alone' });
    expect(alone.status).toBe(201);
    expect(alone.json).toMatchObject({ to: texter, status: 'queued' });
    const refused = await api(app, org, 'POST', '/v1/messages', { to: stranger, from: org.number, body: 'alone' });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ code: 'invalid_number' });

    const settled = await Promise.allSettled([
      sendMessage(app.tb.ctx, { ...base, to: texter, body: 'batched' }),
      sendMessage(app.tb.ctx, { ...base, to: stranger, body: 'batched' }),
      sendMessage(app.tb.ctx, { ...base, to: '+14155557143', body: 'batched' }),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof sendMessage>>>).value.message).toMatchObject({ to_e164: texter, status: 'queued' });
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'invalid_number' });
    const contacts = await app.tb.ctx.db.kysely.selectFrom('contacts').select('e164').where('org_id', '=', org.orgId).where('e164', 'in', [texter, stranger]).execute();
    expect(contacts.map((c) => c.e164)).toEqual([texter]);
  });
});

// Only PostgreSQL has concurrent writers: on SQLite one transaction runs at a time.
describe('accepting texts in a batch while another process writes (postgres)', () => {
  let app: TestApp;

  beforeAll(async () => {
    if (dialectAvailable('postgres')) app = await createTestApp('postgres');
  });
  afterAll(async () => app?.close());

  it.runIf(dialectAvailable('postgres'))(
    'a contact and conversation created meanwhile by another process are the ones the text uses',
    async () => {
      const org = await createTestOrg(app, '+14155557109');
      const db = app.tb.ctx.db.kysely;
      const now = app.clock.now();
      const theirs = { contact: 'ct_created_elsewhere', conversation: 'cnv_created_elsewhere' };
      let commit!: () => void;
      const committing = new Promise<void>((resolve) => (commit = resolve));
      let holder!: number;
      const holding = new Promise<void>((ready) => {
        // Another process creates the recipient's contact and conversation, and has not committed yet.
        void db.transaction().execute(async (trx) => {
          holder = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]!.pid;
          await trx
            .insertInto('contacts')
            .values({ id: theirs.contact, org_id: org.orgId, e164: '+14155557130', name: 'Ada', source: 'import', time_zone: null, attributes: '{}', created_at: now, updated_at: now })
            .execute();
          await trx
            .insertInto('conversations')
            .values({
              id: theirs.conversation,
              org_id: org.orgId,
              contact_id: theirs.contact,
              number_id: org.numberId,
              status: 'closed',
              assigned_user_id: null,
              assigned_team_id: null,
              unread_count: 0,
              last_message_at: now,
              created_at: now,
              updated_at: now,
            })
            .execute();
          ready();
          await committing;
        });
      });
      await holding;
      // The batch does not see the uncommitted contact, so it inserts its own: that INSERT waits on the other's.
      const sending = sendMessage(app.tb.ctx, { orgId: org.orgId, from: org.number, to: '+14155557130', body: 'hello', createdBy: { type: 'user', id: org.userId } });
      const waiting = async (): Promise<boolean> =>
        Number((await sql<{ n: string }>`select count(*) as n from pg_stat_activity where ${holder} = any(pg_blocking_pids(pid))`.execute(db)).rows[0]!.n) > 0;
      for (let i = 0; i < 500 && !(await waiting()); i++) await new Promise((r) => setTimeout(r, 10));
      expect(await waiting()).toBe(true);
      commit();
      const { message } = await sending;
      expect(message).toMatchObject({ status: 'queued', contact_id: theirs.contact, conversation_id: theirs.conversation });
      expect(await db.selectFrom('contacts').select('id').where('org_id', '=', org.orgId).where('e164', '=', '+14155557130').execute()).toEqual([{ id: theirs.contact }]);
      const conversation = await db.selectFrom('conversations').selectAll().where('id', '=', theirs.conversation).executeTakeFirstOrThrow();
      expect(conversation.status).toBe('open'); // reopened by the new text
    },
  );
});
