/**
 * Answering-machine detection of Telnyx and Bandwidth calls, end to end on both databases: the
 * detection webhook (Telnyx `call.machine.detection.ended`, signed; Bandwidth
 * `machineDetectionComplete`, with the callback credentials) is kept for its call leg, and the
 * call that ends after it is recorded with `answered_by` and classified as voicemail when a
 * machine answered. A detection that comes after its call corrects the call. Forged detections
 * get 403 and write nothing.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { createAccounts, createCarrierTestApp, FakeCarrierApi, post, referenceJson, telnyxSign, type Accounts } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- reference documents are free-form JSON
type Json = Record<string, any>;

const TELNYX_NUMBER = '+17735550202';
const BW_NUMBER = '+19195550204';
const CALLER = '+13125550177';

describe.each(DIALECTS)('answering-machine detection, Telnyx and Bandwidth (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  let app: TestApp;
  let org: TestOrg;
  let accounts: Accounts;
  const fake = new FakeCarrierApi();

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    await fake.start();
    app = await createCarrierTestApp(dialect);
    org = await createTestOrg(app, '+14155559996');
    accounts = await createAccounts(app, org, fake.url, { twilio: [], telnyx: [TELNYX_NUMBER], bandwidth: [BW_NUMBER] });
  });
  afterAll(async () => {
    await app?.close();
    await fake.stop().catch(() => {});
  });

  const callOf = (externalId: string) => app.tb.ctx.db.kysely.selectFrom('calls').selectAll().where('org_id', '=', org.orgId).where('external_id', '=', externalId).executeTakeFirst();
  const detections = async () => Number((await app.tb.ctx.db.kysely.selectFrom('call_detections').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  describe('Telnyx', () => {
    const schemas = () => referenceJson('telnyx-messaging.openapi.json').components.schemas as Record<string, { example: Json }>;
    /** The CallMachineDetectionEnded example of the reference, for one inbound call leg to our number. */
    const detection = (leg: string, result: string) => {
      const example = schemas().CallMachineDetectionEnded!.example;
      return JSON.stringify({ data: { ...example, id: crypto.randomUUID(), payload: { ...example.payload, call_leg_id: leg, from: CALLER, to: TELNYX_NUMBER, result } }, meta: { attempt: 1 } });
    };
    /** The CallHangup example: answered (normal_clearing), 25 s of call. */
    const hangup = (leg: string) => {
      const example = schemas().CallHangup!.example;
      return JSON.stringify({
        data: {
          ...example,
          id: crypto.randomUUID(),
          payload: { ...example.payload, call_leg_id: leg, from: CALLER, to: TELNYX_NUMBER, direction: 'incoming', hangup_cause: 'normal_clearing', start_time: '2026-01-15T17:00:00.000Z', end_time: '2026-01-15T17:00:25.000Z' },
        },
        meta: { attempt: 1 },
      });
    };
    const send = (raw: string, signed = true) => {
      const ts = String(Math.floor(app.clock.now() / 1000));
      return post(app, `/webhooks/telnyx/${accounts.telnyx}/calls`, raw, { 'content-type': 'application/json', 'telnyx-timestamp': ts, ...(signed ? { 'telnyx-signature-ed25519': telnyxSign(accounts.telnyxKey, ts, raw) } : {}) });
    };

    run('machine, then the hang-up: the call is voicemail, answered by a machine; a replay writes nothing', async () => {
      const leg = crypto.randomUUID();
      expect((await send(detection(leg, 'machine'))).statusCode).toBe(200);
      expect((await send(detection(leg, 'machine'))).statusCode).toBe(200);
      expect((await send(hangup(leg))).statusCode).toBe(200);
      await app.drain();
      expect(await callOf(leg)).toMatchObject({ status: 'completed', answered_by: 'machine', outcome: 'voicemail', duration_s: 25 });
      const rows = await app.tb.ctx.db.kysely.selectFrom('call_detections').selectAll().where('external_id', '=', leg).execute();
      expect(rows).toHaveLength(1);
    });

    run('human (and no detection at all): the same hang-up is an answered call', async () => {
      const human = crypto.randomUUID();
      const none = crypto.randomUUID();
      expect((await send(detection(human, 'human'))).statusCode).toBe(200);
      expect((await send(hangup(human))).statusCode).toBe(200);
      expect((await send(hangup(none))).statusCode).toBe(200);
      await app.drain();
      expect(await callOf(human)).toMatchObject({ answered_by: 'human', outcome: 'answered' });
      expect(await callOf(none)).toMatchObject({ answered_by: null, outcome: 'answered' });
    });

    run('a detection that arrives after its call was recorded corrects the call', async () => {
      const leg = crypto.randomUUID();
      expect((await send(hangup(leg))).statusCode).toBe(200);
      await app.drain();
      expect(await callOf(leg)).toMatchObject({ outcome: 'answered', answered_by: null });
      expect((await send(detection(leg, 'machine'))).statusCode).toBe(200);
      expect(await callOf(leg)).toMatchObject({ outcome: 'voicemail', answered_by: 'machine', outcome_reason: 'completed: answered by a machine (voicemail)' });
    });

    run('an unsigned or forged detection gets 403, one for a number of no organization 404: nothing written', async () => {
      const before = await detections();
      const raw = detection(crypto.randomUUID(), 'machine');
      expect((await send(raw, false)).statusCode).toBe(403);
      const ts = String(Math.floor(app.clock.now() / 1000));
      const other = crypto.generateKeyPairSync('ed25519').privateKey;
      expect((await post(app, `/webhooks/telnyx/${accounts.telnyx}/calls`, raw, { 'content-type': 'application/json', 'telnyx-timestamp': ts, 'telnyx-signature-ed25519': telnyxSign(other, ts, raw) })).statusCode).toBe(403);
      const stranger = detection(crypto.randomUUID(), 'machine').replaceAll(TELNYX_NUMBER, '+17735550999');
      expect((await send(stranger)).statusCode).toBe(404);
      expect(await detections()).toBe(before);
    });
  });

  describe('Bandwidth', () => {
    const basic = (password = accounts.bandwidthCallback.password) => `Basic ${Buffer.from(`${accounts.bandwidthCallback.username}:${password}`).toString('base64')}`;
    const url = () => `/webhooks/bandwidth/${accounts.bandwidth}/calls`;
    const base = (callId: string) => ({
      accountId: '9900000',
      applicationId: '04e88489-df02-4e34-a0ee-27a91849555f',
      from: CALLER,
      to: BW_NUMBER,
      direction: 'inbound',
      callId,
      callUrl: `https://voice.bandwidth.com/api/v2/accounts/9900000/calls/${callId}`,
      startTime: '2026-01-15T17:00:00.000Z',
      answerTime: '2026-01-15T17:00:05.000Z',
    });
    // machineDetectionCompleteCallback fields (reference document), with its documented result values.
    const detection = (callId: string, value: string) => JSON.stringify({ eventType: 'machineDetectionComplete', eventTime: '2026-01-15T17:00:09.000Z', ...base(callId), machineDetectionResult: { value, duration: 'PT4.9891287S' } });
    const disconnect = (callId: string) => JSON.stringify({ eventType: 'disconnect', eventTime: '2026-01-15T17:00:35.000Z', ...base(callId), endTime: '2026-01-15T17:00:35.000Z', cause: 'hangup' });
    const send = (raw: string, authorization = basic()) => post(app, url(), raw, { 'content-type': 'application/json', authorization });

    run('answering-machine, then the disconnect: voicemail, answered by a machine', async () => {
      const callId = `c-${crypto.randomUUID()}`;
      expect((await send(detection(callId, 'answering-machine'))).statusCode).toBe(204);
      expect((await send(disconnect(callId))).statusCode).toBe(204);
      await app.drain();
      expect(await callOf(callId)).toMatchObject({ status: 'completed', answered_by: 'machine', outcome: 'voicemail', duration_s: 30 });
    });

    run('human: an answered call, answered by a person', async () => {
      const callId = `c-${crypto.randomUUID()}`;
      expect((await send(detection(callId, 'human'))).statusCode).toBe(204);
      expect((await send(disconnect(callId))).statusCode).toBe(204);
      await app.drain();
      expect(await callOf(callId)).toMatchObject({ answered_by: 'human', outcome: 'answered' });
    });

    run('without the callback credentials, or with wrong ones: 403 and nothing written', async () => {
      const before = await detections();
      const raw = detection(`c-${crypto.randomUUID()}`, 'answering-machine');
      expect((await post(app, url(), raw, { 'content-type': 'application/json' })).statusCode).toBe(403);
      expect((await send(raw, basic('wrong'))).statusCode).toBe(403);
      expect(await detections()).toBe(before);
    });
  });
});
