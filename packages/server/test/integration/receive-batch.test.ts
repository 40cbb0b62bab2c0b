/**
 * Inbound texts a batch at a time (use-cases/receive-batch.ts): the same end state as one by one,
 * and a batch whose statement fails leaves nothing behind and is run again without duplicates.
 */
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import type { InboundMessage } from '../../src/carriers/carrier.js';
import { runInboundJob } from '../../src/use-cases/ingest.js';
import { runInboundBatch, type InboundBatchItem } from '../../src/use-cases/receive-batch.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';

/** Makes the next `times` INSERTs into `table` fail, as a database error would; counts them. */
class FailInserts implements KyselyPlugin {
  constructor(
    private readonly table: string,
    public times: number,
  ) {}
  /** INSERTs into the table seen so far. */
  seen = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node = args.node as { kind: string; into?: { table?: { identifier?: { name?: string } } } };
    if (node.kind === 'InsertQueryNode' && node.into?.table?.identifier?.name === this.table) this.seen++;
    if (node.kind === 'InsertQueryNode' && node.into?.table?.identifier?.name === this.table && this.times > 0) {
      this.times--;
      throw new Error(`injected failure of an insert into ${this.table}`);
    }
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

const silentLog = { warn: () => {}, info: () => {}, error: () => {}, debug: () => {}, child: () => silentLog } as unknown as Parameters<typeof runInboundBatch>[2];

describe.each(DIALECTS)('inbound texts in batches (%s)', (dialect) => {
  let app: TestApp;
  let ctx: AppContext;
  const run = it.runIf(dialectAvailable(dialect));

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    ctx = app.tb.ctx;
  });
  afterAll(async () => app?.close());

  const text = (org: TestOrg, sid: string, from: string, body: string): InboundMessage => ({ carrier: 'sandbox', carrierMessageId: `${org.orgId}:${sid}`, from, to: org.number, body });
  let jobSeq = 0;
  const items = (messages: InboundMessage[]): InboundBatchItem[] => messages.map((inbound) => ({ jobId: `job_test_${++jobSeq}`, inbound }));

  /** The mixed batch: an existing contact, a new one texting twice, a STOP, a replay, another new one. */
  const mixed = (org: TestOrg) => [
    text(org, 'b1', '+14155550401', 'Thanks, see you then'), // existing contact (texted before)
    text(org, 'b2', '+14155550402', 'Hi, do you fix water heaters?'), // new contact...
    text(org, 'b3', '+14155550403', 'STOP'), // a new contact opting out at once
    text(org, 'pre', '+14155550401', 'Is Saturday ok?'), // a replayed webhook of a stored text
    text(org, 'b4', '+14155550402', 'Tomorrow works'), // ...and their second text
    text(org, 'b5', '+14155550405', 'hello'),
  ];

  /** The organization's inbound state with ids replaced by what they stand for. */
  async function snapshot(org: TestOrg) {
    const db = ctx.db.kysely;
    const sid = (id: string | null) => (id ?? '').replace(`${org.orgId}:`, '');
    const contacts = await db.selectFrom('contacts').selectAll().where('org_id', '=', org.orgId).execute();
    const e164 = new Map(contacts.map((c) => [c.id, c.e164]));
    const messages = await db.selectFrom('messages').selectAll().where('org_id', '=', org.orgId).execute();
    const msgKey = new Map(messages.map((m) => [m.id, m.direction === 'inbound' ? `in:${sid(m.carrier_message_id)}` : `out:${m.to_e164}:${m.purpose}`]));
    const conversations = await db.selectFrom('conversations').selectAll().where('org_id', '=', org.orgId).execute();
    const conversationOf = new Map(conversations.map((c) => [c.id, e164.get(c.contact_id)]));
    const consent = await db.selectFrom('consent_events').selectAll().where('org_id', '=', org.orgId).orderBy('created_at').orderBy('id').execute();
    const events = await db.selectFrom('events').selectAll().where('org_id', '=', org.orgId).orderBy('seq').execute();
    const jobs = await db.selectFrom('jobs').select(['kind', 'state', 'unique_key']).where('org_id', '=', org.orgId).where('kind', '!=', 'inbound.message').execute();
    const subject = (type: string, id: string) => (type === 'message' ? msgKey.get(id) : type === 'contact' ? e164.get(id) : type);
    // Events per contact, in order (the order between two senders is not a rule).
    const eventsByContact = new Map<string, string[]>();
    for (const e of events) {
      const data = JSON.parse(e.data) as Record<string, unknown>;
      const contact = (e.subject_type === 'contact' ? e164.get(e.subject_id) : e164.get(String(data.contact_id))) ?? 'none';
      const mapped = Object.fromEntries(
        Object.entries(data).map(([k, v]) => [
          k,
          k === 'contact_id' ? e164.get(String(v)) : k === 'conversation_id' ? conversationOf.get(String(v)) : k === 'number_id' ? (v === null ? null : v === org.numberId ? 'N' : v) : k.endsWith('_id') ? typeof v : v,
        ]),
      );
      const list = eventsByContact.get(contact) ?? [];
      list.push(JSON.stringify({ type: e.type, subject: subject(e.subject_type, e.subject_id), data: mapped }));
      eventsByContact.set(contact, list);
    }
    return {
      contacts: contacts.map((c) => ({ e164: c.e164, source: c.source, name: c.name })).sort((a, b) => a.e164.localeCompare(b.e164)),
      conversations: conversations
        .map((c) => ({ contact: e164.get(c.contact_id), number: c.number_id === org.numberId, status: c.status, unread: c.unread_count, team: c.assigned_team_id }))
        .sort((a, b) => String(a.contact).localeCompare(String(b.contact))),
      messages: messages
        .map((m) => ({
          key: msgKey.get(m.id),
          contact: e164.get(m.contact_id),
          conversation: conversationOf.get(m.conversation_id),
          from: m.from_e164 === org.number ? 'N' : m.from_e164,
          to: m.to_e164 === org.number ? 'N' : m.to_e164,
          body: m.body.replace(/^Org \d+:/, 'Org:'), // the organization's name in a confirmation
          status: m.status,
          flags: m.flags,
          segments: m.segments,
          encoding: m.encoding,
          createdBy: m.created_by_type,
          byContact: m.created_by_id === m.contact_id,
        }))
        .sort((a, b) => String(a.key).localeCompare(String(b.key))),
      // Per contact, in order (the order between two senders is not a rule).
      consent: [...consent].sort((a, b) => a.e164.localeCompare(b.e164)).map((c) => ({
        contact: e164.get(c.contact_id),
        e164: c.e164,
        state: c.state,
        source: c.source,
        actor: c.actor_type,
        number: c.number_id,
        evidence: Object.fromEntries(Object.entries(JSON.parse(c.evidence) as Record<string, string>).map(([k, v]) => [k, k === 'message_id' ? msgKey.get(v) : v])),
      })),
      events: Object.fromEntries([...eventsByContact].sort(([a], [b]) => a.localeCompare(b))),
      jobs: jobs.map((j) => `${j.kind}:${j.state}`).sort(),
    };
  }

  async function withHistory(org: TestOrg): Promise<void> {
    // The existing contact texted before: contact, conversation, implied consent, a stored text.
    await runInboundJob(ctx, text(org, 'pre', '+14155550401', 'Is Saturday ok?'), 'job_test_pre');
  }

  run('a mixed batch ends exactly as the same texts one by one', async () => {
    const batchOrg = await createTestOrg(app);
    const singleOrg = await createTestOrg(app);
    await withHistory(batchOrg);
    await withHistory(singleOrg);

    const counting = new FailInserts('contacts', 0);
    const counted: AppContext = { ...ctx, db: { ...ctx.db, kysely: ctx.db.kysely.withPlugin(counting) } };
    const outcomes = await runInboundBatch(counted, items(mixed(batchOrg)), silentLog);
    // The two new contacts of the common path in one INSERT, the STOP's contact alone.
    expect(counting.seen).toBe(2);
    expect(outcomes).toEqual(mixed(batchOrg).map(() => undefined));
    for (const inbound of mixed(singleOrg)) await runInboundJob(ctx, inbound, `job_test_${++jobSeq}`);

    const batched = await snapshot(batchOrg);
    const single = await snapshot(singleOrg);
    expect(batched).toEqual(single);
    // And what that state is: one contact per sender, two unread for the new contact who texted twice,
    // each text stored once (the replay not again), one opt-out, and implied consent for the others.
    expect(batched.contacts.map((c) => c.e164)).toEqual(['+14155550401', '+14155550402', '+14155550403', '+14155550405']);
    expect(batched.conversations.find((c) => c.contact === '+14155550402')).toMatchObject({ unread: 2, status: 'open' });
    expect(batched.conversations.find((c) => c.contact === '+14155550401')).toMatchObject({ unread: 2 });
    expect(batched.messages.filter((m) => m.key?.startsWith('in:'))).toHaveLength(6);
    expect(batched.consent.map((c) => `${c.contact}:${c.state}`).sort()).toEqual(['+14155550401:implied', '+14155550402:implied', '+14155550403:opted_out', '+14155550405:implied']);
    expect(batched.consent.find((c) => c.contact === '+14155550402')?.evidence).toEqual({ message_id: 'in:b2' });
    expect(batched.messages.find((m) => m.key === 'in:b3')?.flags).toContain('opt_out');
  });

  run("texts to a forwarding number, and an agent's, go one by one, with the same outcome", async () => {
    const batchOrg = await createTestOrg(app);
    const singleOrg = await createTestOrg(app);
    for (const org of [batchOrg, singleOrg]) {
      await ctx.db.kysely.insertInto('number_forwarding').values({ number_id: org.numberId, org_id: org.orgId, mode: 'all', updated_at: app.clock.now() }).execute();
      await ctx.db.kysely
        .insertInto('agents')
        .values({ user_id: org.userId, org_id: org.orgId, status: 'online', status_changed_at: null, mobile_e164: '+14155550409', schedule: null, created_at: app.clock.now(), updated_at: app.clock.now() })
        .execute();
    }
    const texts = (org: TestOrg) => [
      text(org, 'f1', '+14155550402', 'Hi, do you fix water heaters?'),
      text(org, 'f2', '+14155550409', 'On my way'),
      text(org, 'f3', '+14155550402', 'Tomorrow works'),
    ];
    const counting = new FailInserts('contacts', 0);
    const counted: AppContext = { ...ctx, db: { ...ctx.db, kysely: ctx.db.kysely.withPlugin(counting) } };
    expect(await runInboundBatch(counted, items(texts(batchOrg)), silentLog)).toEqual([undefined, undefined, undefined]);
    expect(counting.seen).toBe(2); // each new contact on its own, as one by one
    for (const inbound of texts(singleOrg)) await runInboundJob(ctx, inbound, `job_test_${++jobSeq}`);
    expect(await snapshot(batchOrg)).toEqual(await snapshot(singleOrg));
    const routed = await ctx.db.kysely.selectFrom('team_inbound').select('route').where('org_id', '=', batchOrg.orgId).execute();
    expect(routed.map((r) => r.route).sort()).toEqual(['agent', 'forward', 'forward']);
  });

  run('texts arriving through the scheduler are stored in batches, their bodies cleared from the jobs', async () => {
    const org = await createTestOrg(app);
    const posts = Array.from({ length: 30 }, (_, i) =>
      api(app, org, 'POST', '/v1/sandbox/webhooks/messages', { id: `SM-rb-${i}`, from: `+1415556${String(1000 + (i % 12)).padStart(4, '0')}`, to: org.number, body: i % 10 === 9 ? 'HELP' : `text ${i}` }),
    );
    expect((await Promise.all(posts)).every((r) => r.status === 202)).toBe(true);
    await app.drain();
    const db = ctx.db.kysely;
    const stored = await db.selectFrom('messages').select(['carrier_message_id', 'conversation_id']).where('org_id', '=', org.orgId).where('direction', '=', 'inbound').execute();
    expect(stored).toHaveLength(30);
    expect(await db.selectFrom('contacts').select('id').where('org_id', '=', org.orgId).execute()).toHaveLength(12);
    const conversations = await db.selectFrom('conversations').select(['unread_count']).where('org_id', '=', org.orgId).execute();
    expect(conversations).toHaveLength(12);
    expect(conversations.reduce((n, c) => n + c.unread_count, 0)).toBe(30);
    const received = await db.selectFrom('events').select('subject_id').where('org_id', '=', org.orgId).where('type', '=', 'message.received').execute();
    expect(received).toHaveLength(30);
    const payloads = await db.selectFrom('jobs').select('payload').where('org_id', '=', org.orgId).where('kind', '=', 'inbound.message').execute();
    expect(payloads.every((j) => j.payload === '{}')).toBe(true);
  });

  run('a batch whose statement fails keeps nothing of it and is run again without duplicates', async () => {
    const org = await createTestOrg(app);
    const reference = await createTestOrg(app);
    await withHistory(org);
    await withHistory(reference);
    for (const inbound of mixed(reference)) await runInboundJob(ctx, inbound, `job_test_${++jobSeq}`);

    // Every events INSERT fails for a while: the batch, then each text alone. Nothing is kept, each job fails (to be retried).
    const failing = new FailInserts('events', 1000);
    const broken: AppContext = { ...ctx, db: { ...ctx.db, kysely: ctx.db.kysely.withPlugin(failing) } };
    const batch = items(mixed(org));
    const outcomes = await runInboundBatch(broken, batch, silentLog);
    expect(outcomes.filter((o) => o instanceof Error).length).toBeGreaterThanOrEqual(4);
    const inbound = () => ctx.db.kysely.selectFrom('messages').select('carrier_message_id').where('org_id', '=', org.orgId).where('direction', '=', 'inbound').execute();
    expect(await inbound()).toHaveLength(1); // the earlier text only

    // Only the batch's statement fails: its texts are run one by one at once.
    failing.times = 1;
    expect(await runInboundBatch(broken, batch, silentLog)).toEqual(batch.map(() => undefined));
    expect(failing.times).toBe(0);
    // Run again (a worker that died before recording the outcome): nothing new.
    expect(await runInboundBatch(ctx, batch, silentLog)).toEqual(batch.map(() => undefined));
    expect(await snapshot(org)).toEqual(await snapshot(reference));
    expect(await inbound()).toHaveLength(6);
    // A job run again after its body was removed (stored, then the worker died): done, nothing written.
    const emptied = batch.map((b) => ({ ...b, inbound: {} as InboundMessage }));
    expect(await runInboundBatch(ctx, emptied, silentLog)).toEqual(batch.map(() => undefined));
    await expect(runInboundJob(ctx, {} as InboundMessage, 'job_test_emptied')).resolves.toBeUndefined();
    expect(await snapshot(org)).toEqual(await snapshot(reference));
  });
});
