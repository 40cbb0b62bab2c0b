/**
 * A delivery receipt that skips a state fills in what it implies. After a crash between the
 * carrier accepting a text and our `sent` update committing, the text is still `sending` when the
 * carrier reports it delivered (or undelivered): it must end with a sent_at and a `sent` event, as
 * if the update had committed. Both databases, fake clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDeliveryReceipt } from '../../src/use-cases/receive.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, type TestApp, type TestOrg } from '../support/test-app.js';
import { freshOrg } from './helpers.js';

describe.each(DIALECTS)('a receipt that skips the sent state (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;
  const run = it.runIf(dialectAvailable(dialect));

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    org = await freshOrg(app);
  });
  afterAll(async () => app?.close());

  /** A text as a crash leaves it: the carrier took it (it has the carrier's id), the `sent` update never committed. */
  async function acceptedButNotRecorded(to: string): Promise<string> {
    const res = await api(app, org, 'POST', '/v1/messages', { to, body: 'Your table is ready.' });
    expect(res.status, res.raw.body).toBe(201);
    const id = res.json.id as string;
    await app.tb.ctx.db.kysely.updateTable('messages').set({ status: 'sending', carrier_message_id: `SB-${id}`, sent_at: null }).where('id', '=', id).execute();
    return id;
  }
  const statusEvents = async (id: string) =>
    (await app.tb.ctx.db.kysely.selectFrom('events').select('data').where('subject_id', '=', id).where('type', '=', 'message.status_changed').orderBy('seq').execute()).map(
      (e) => (JSON.parse(e.data) as { status: string }).status,
    );

  for (const status of ['delivered', 'undelivered'] as const) {
    run(`a text still "sending" that the carrier reports ${status} gets its sent_at and its sent event`, async () => {
      const id = await acceptedButNotRecorded(status === 'delivered' ? '+14155550701' : '+14155550702');
      app.clock.advance(5_000);
      await applyDeliveryReceipt(app.tb.ctx, { carrier: 'sandbox', messageId: id, carrierMessageId: `SB-${id}`, status, ...(status === 'undelivered' ? { reason: 'carrier_unknown', errorCode: '30008' } : {}) });
      const message = (await api(app, org, 'GET', `/v1/messages/${id}`)).json;
      expect(message.status).toBe(status);
      expect(message.sent_at).toBe(new Date(app.clock.now()).toISOString());
      expect(await statusEvents(id)).toEqual(['sent', status]);
      // A late `sent` receipt changes nothing and adds no second event.
      await applyDeliveryReceipt(app.tb.ctx, { carrier: 'sandbox', messageId: id, carrierMessageId: `SB-${id}`, status: 'sent' });
      expect(await statusEvents(id)).toEqual(['sent', status]);
    });
  }

  run('a text already recorded as sent keeps its sent_at and gets no second sent event', async () => {
    const id = await acceptedButNotRecorded('+14155550703');
    await applyDeliveryReceipt(app.tb.ctx, { carrier: 'sandbox', messageId: id, carrierMessageId: `SB-${id}`, status: 'sent' });
    const sentAt = (await api(app, org, 'GET', `/v1/messages/${id}`)).json.sent_at;
    app.clock.advance(3_000);
    await applyDeliveryReceipt(app.tb.ctx, { carrier: 'sandbox', messageId: id, carrierMessageId: `SB-${id}`, status: 'delivered' });
    expect((await api(app, org, 'GET', `/v1/messages/${id}`)).json).toMatchObject({ status: 'delivered', sent_at: sentAt });
    expect(await statusEvents(id)).toEqual(['sent', 'delivered']);
  });
});
