/**
 * The send worker runs a claimed batch of texts together (use-cases/send-batch.ts). A batch must
 * decide each text exactly as it would alone: the gate's second look per text, per-sender pacing,
 * carrier failures per text, at most one carrier request per text, one `sent` event per text.
 * A scripted carrier answers by destination number.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CarrierError, type CarrierAdapter, type OutboundMessage, type SendResult } from '../../src/carriers/carrier.js';
import { addNumber } from '../../src/use-cases/numbers.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';

/** Succeeds, except for destinations told to fail permanently, fail retryably (once) or time out (once). */
class ScriptedCarrier implements CarrierAdapter {
  readonly kind = 'scripted';
  readonly requests: OutboundMessage[] = [];
  permanent = new Set<string>();
  retryableOnce = new Set<string>();
  private seq = 0;

  async send(message: OutboundMessage): Promise<SendResult> {
    this.requests.push(message);
    if (this.permanent.has(message.to)) throw new CarrierError('permanent', '21614', 'landline_or_unreachable', 'not a mobile number');
    if (this.retryableOnce.delete(message.to)) throw new CarrierError('retryable', 'http_503', 'carrier_unknown', 'service unavailable', 5_000);
    return { carrierMessageId: `SM${++this.seq}` };
  }

  async lookup(_orgId: string, _messageId: string): Promise<SendResult | null> {
    return null;
  }

  sentTo(to: string): number {
    return this.requests.filter((r) => r.to === to).length;
  }
}

const handset = (i: number) => `+1415555${String(8000 + i).padStart(4, '0')}`;

describe.each(DIALECTS)('batched sends (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  let app: TestApp;
  const carrier = new ScriptedCarrier();
  let seq = 0;

  beforeAll(async () => {
    if (dialectAvailable(dialect)) app = await createTestApp(dialect, { carriers: [carrier], config: { workerConcurrency: 64 } });
  });
  afterAll(async () => app?.close());

  /** An organization whose numbers send through the scripted carrier, 100 texts/s each, quiet hours off. */
  async function org(numbers: number): Promise<TestOrg & { numbers: string[] }> {
    const base = 9000 + 10 * seq++;
    const o = await createTestOrg(app, `+1415556${base}`);
    const all = [o.number];
    for (let k = 1; k < numbers; k++) {
      const e164 = `+1415556${base + k}`;
      await addNumber(app.tb.ctx, o.orgId, { e164, carrier: 'scripted' });
      all.push(e164);
    }
    await app.tb.ctx.db.kysely.updateTable('phone_numbers').set({ carrier: 'scripted', rate_per_second: 100 }).where('org_id', '=', o.orgId).execute();
    expect((await api(app, o, 'PATCH', '/v1/compliance/settings', { quiet_hours: false })).status).toBe(200);
    return { ...o, numbers: all };
  }

  async function send(o: TestOrg, from: string, to: string, body = 'Your order is ready'): Promise<string> {
    const res = await api(app, o, 'POST', '/v1/messages', { from, to, body });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    return res.json.id as string;
  }

  const status = async (o: TestOrg, id: string) => (await api(app, o, 'GET', `/v1/messages/${id}`)).json;

  /** Drains, moving the fake clock to each paced slot, until nothing is due within a minute. */
  async function settle(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      await app.drain();
      const next = await app.tb.ctx.db.kysely.selectFrom('jobs').select((eb) => eb.fn.min('run_at').as('at')).where('state', '=', 'pending').executeTakeFirst();
      const at = next?.at == null ? null : Number(next.at);
      if (at === null || at > app.clock.now() + 60_000) return;
      if (at > app.clock.now()) app.clock.set(at);
    }
    throw new Error('never settled');
  }

  run('30 texts from 3 numbers: each handset gets exactly one, each message one sent event, paced per number', async () => {
    const o = await org(3);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await send(o, o.numbers[i % 3]!, handset(i)));
    const before = carrier.requests.length;
    // One drain claims all 30 jobs at once: one batch.
    await app.drain();
    // Each number sends its first text now and paces the rest 10 ms apart.
    expect(carrier.requests.length - before).toBe(3);
    await settle();
    expect(carrier.requests.length - before).toBe(30);
    for (let i = 0; i < 30; i++) expect(carrier.sentTo(handset(i))).toBe(1);
    for (const id of ids) expect((await status(o, id)).status).toBe('sent');

    const events = await app.tb.ctx.db.kysely
      .selectFrom('events')
      .select(['subject_id', 'data'])
      .where('org_id', '=', o.orgId)
      .where('type', '=', 'message.status_changed')
      .execute();
    const sentEvents = events.filter((e) => JSON.parse(e.data).status === 'sent');
    expect(sentEvents.map((e) => e.subject_id).sort()).toEqual([...ids].sort());

    // The carrier saw each number's texts at least 10 ms apart (100/s), in the order they were accepted.
    const rows = await app.tb.ctx.db.kysely.selectFrom('messages').select(['from_e164', 'send_slot_at', 'created_at', 'id']).where('id', 'in', ids).execute();
    for (const number of o.numbers) {
      const slots = rows.filter((r) => r.from_e164 === number).sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id)).map((r) => Number(r.send_slot_at));
      expect(slots).toHaveLength(10);
      for (let k = 1; k < slots.length; k++) expect(slots[k]! - slots[k - 1]!).toBeGreaterThanOrEqual(10);
    }
  });

  run('one batch with a suppressed contact, a cancelled text, a landline and a carrier outage: each text gets its own outcome', async () => {
    const o = await org(1);
    const [ok1, suppressed, cancelled, landline, outage, ok2] = [0, 1, 2, 3, 4, 5].map((i) => handset(100 + seq * 10 + i));
    const ids = {
      ok1: await send(o, o.number, ok1!),
      suppressed: await send(o, o.number, suppressed!),
      cancelled: await send(o, o.number, cancelled!),
      landline: await send(o, o.number, landline!),
      outage: await send(o, o.number, outage!),
      ok2: await send(o, o.number, ok2!),
    };
    // After acceptance and before the worker runs: the list gains a number, a text is cancelled.
    expect((await api(app, o, 'POST', '/v1/suppressions', { phone: suppressed, reason: 'dnc' })).status).toBe(201);
    expect((await api(app, o, 'POST', `/v1/messages/${ids.cancelled}/cancel`)).status).toBe(200);
    carrier.permanent.add(landline!);
    carrier.retryableOnce.add(outage!);

    await settle();
    expect(await status(o, ids.suppressed)).toMatchObject({ status: 'blocked', reason: 'suppressed', rule: 'SUPPRESSION' });
    expect(await status(o, ids.cancelled)).toMatchObject({ status: 'cancelled' });
    expect(await status(o, ids.landline)).toMatchObject({ status: 'failed', reason: 'landline_or_unreachable', error_code: '21614' });
    expect(carrier.sentTo(suppressed!)).toBe(0);
    expect(carrier.sentTo(cancelled!)).toBe(0);
    expect(carrier.sentTo(landline!)).toBe(1);
    // The outage: nothing reached the carrier, so the retry (5 s later, its Retry-After) sends it.
    expect(await status(o, ids.outage)).toMatchObject({ status: 'sent' });
    expect(carrier.sentTo(outage!)).toBe(2);
    for (const id of [ids.ok1, ids.ok2]) expect((await status(o, id)).status).toBe('sent');
    expect(carrier.sentTo(ok1!) + carrier.sentTo(ok2!)).toBe(2);
  });

  run('a text already marked sending (a worker died mid-send) is not sent again when the carrier has it', async () => {
    const o = await org(1);
    const to = handset(500 + seq);
    const id = await send(o, o.number, to);
    const other = await send(o, o.number, handset(600 + seq));
    // A previous worker marked it sending and then died before recording the result.
    await app.tb.ctx.db.kysely.updateTable('messages').set({ status: 'sending' }).where('id', '=', id).execute();
    const lookups: string[] = [];
    const original = carrier.lookup.bind(carrier);
    carrier.lookup = async (_orgId: string, messageId: string) => {
      lookups.push(messageId);
      return { carrierMessageId: 'SM-already' };
    };
    try {
      await settle();
    } finally {
      carrier.lookup = original;
    }
    expect(lookups).toEqual([id]);
    expect(carrier.sentTo(to)).toBe(0);
    expect(await status(o, id)).toMatchObject({ status: 'sent', carrier_message_id: 'SM-already' });
    expect((await status(o, other)).status).toBe('sent');
  });
});
