/**
 * Per-sender pacing and daily caps. With the fake clock on both databases: a burst from one long
 * code goes out one per second (carrier-side timestamps), rates by sender type and setting, daily
 * caps. PostgreSQL only, in real time: two workers on two connection pools never exceed a number's
 * rate.
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase } from '../../src/db/database.js';
import { systemClock } from '../../src/support/clock.js';
import { createLogger } from '../../src/support/logger.js';
import { createTextback, type Textback } from '../../src/textback.js';
import { sendMessage } from '../../src/use-cases/messages.js';
import { addNumber } from '../../src/use-cases/numbers.js';
import { createOrganization, updateOrganization } from '../../src/use-cases/organizations.js';
import { createTestDatabase, DIALECTS, dialectAvailable, pgUrl, type TestDatabase } from '../support/databases.js';
import { api, createTestApp, type TestApp, type TestOrg } from '../support/test-app.js';
import { freshOrg, iso, settle } from './helpers.js';

/** When the carrier (the sandbox) received each text from this number, oldest first. */
async function carrierTimes(app: TestApp, number: string): Promise<number[]> {
  const rows = await app.tb.ctx.db.kysely
    .selectFrom('sandbox_messages')
    .select('created_at')
    .where('business_e164', '=', number)
    .where('direction', '=', 'to_handset')
    .orderBy('created_at')
    .execute();
  return rows.map((r) => Number(r.created_at));
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe.each(DIALECTS)('sender pacing with the fake clock (%s)', (dialect) => {
  let app: TestApp;

  beforeAll(async () => {
    if (dialectAvailable(dialect)) app = await createTestApp(dialect);
  });
  afterAll(async () => app?.close());

  const burst = async (org: TestOrg, n: number, first = 650) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await api(app, org, 'POST', '/v1/messages', { to: `+1415555${String(first + i).padStart(4, '0')}`, body: `Burst ${i}` });
      expect(res.json.status).toBe('queued');
      ids.push(res.json.id as string);
    }
    return ids;
  };

  it.runIf(dialectAvailable(dialect))('a burst of 5 texts from one long code goes out one per second, none dropped', async () => {
    const org = await freshOrg(app);
    const t0 = app.clock.now();
    const ids = await burst(org, 5);
    await app.drain();
    expect(await carrierTimes(app, org.number)).toEqual([t0]);
    await settle(app);
    expect(await carrierTimes(app, org.number)).toEqual([t0, t0 + 1000, t0 + 2000, t0 + 3000, t0 + 4000]);
    for (const id of ids) expect(['sent', 'delivered']).toContain((await api(app, org, 'GET', `/v1/messages/${id}`)).json.status);
  });

  it.runIf(dialectAvailable(dialect)).each([
    { patch: { sender_type: 'toll_free' }, interval: 334 },
    { patch: { sender_type: 'short_code' }, interval: 10 },
    { patch: { rate_per_second: 2 }, interval: 500 },
  ])('pace with $patch: one text every $interval ms', async ({ patch, interval }) => {
    const org = await freshOrg(app);
    const res = await api(app, org, 'PATCH', `/v1/numbers/${org.numberId}/compliance`, patch);
    expect(res.status).toBe(200);
    expect(res.json.min_interval_ms).toBe(interval);
    await burst(org, 4, 660);
    await settle(app);
    expect(gaps(await carrierTimes(app, org.number))).toEqual([interval, interval, interval]);
  });

  it.runIf(dialectAvailable(dialect))("a number's daily cap holds the rest until the next day (organization time zone)", async () => {
    const org = await freshOrg(app);
    expect((await api(app, org, 'PATCH', `/v1/numbers/${org.numberId}/compliance`, { daily_cap: 2 })).json.daily_cap).toBe(2);
    const ids = await burst(org, 3, 670);
    await settle(app);
    expect(await carrierTimes(app, org.number)).toHaveLength(2);
    const midnight = DateTime.fromMillis(app.clock.now(), { zone: 'America/New_York' }).startOf('day').plus({ days: 1 }).toMillis();
    // Which of the three is held depends on the order their jobs took their places in line.
    const statuses = await Promise.all(ids.map(async (id) => (await api(app, org, 'GET', `/v1/messages/${id}`)).json));
    const held = statuses.filter((m) => m.status === 'held');
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ status: 'held', reason: 'rate_limited', rule: 'NUMBER-DAILY-CAP', held_until: iso(midnight) });
    // At midnight Eastern the cap resets, but midnight is quiet hours for a California handset: held again, until 08:00 there.
    app.clock.set(midnight);
    await settle(app);
    const quiet = await api(app, org, 'GET', `/v1/messages/${held[0].id}`);
    expect(quiet.json).toMatchObject({ status: 'held', reason: 'quiet_hours', rule: 'US-FEDERAL' });
    app.clock.set(Date.parse(quiet.json.held_until));
    await settle(app);
    expect(await carrierTimes(app, org.number)).toHaveLength(3);
  });
});

describe('sender pacing across two worker processes (postgres, real time)', () => {
  let database: TestDatabase | undefined;
  const instances: Textback[] = [];

  afterAll(async () => {
    for (const tb of instances) await tb.close();
    if (database) await database.destroy();
  });

  it.runIf(pgUrl() !== null)('two workers on two connection pools never exceed a number\'s rate', async () => {
    database = await createTestDatabase('postgres');
    const second = openDatabase(pgUrl()!, { schema: database.schema!, poolSize: 4 });
    const config = { ...loadConfig({}), pollIntervalMs: 5, workerConcurrency: 4, sandboxReceiptDelayMs: 60_000 };
    const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
    for (const db of [database.db, second]) instances.push(await createTextback({ config, clock: systemClock, db, logger }));
    // The second instance's pool is closed with it (createTextback only keeps pools it opened itself).
    const [a] = instances as [Textback, Textback];
    const ownClose = instances[1]!.close.bind(instances[1]);
    instances[1]!.close = async () => {
      await ownClose();
      await second.close();
    };

    const { org } = await createOrganization(a.ctx, { name: 'Pace Co', ownerEmail: 'pace@example.com' });
    await updateOrganization(a.ctx, org.id, { settings: { quiet_hours: false } }); // real time may be night
    const number = await addNumber(a.ctx, org.id, { e164: '+14155550780' });
    await a.ctx.db.kysely.updateTable('phone_numbers').set({ rate_per_second: 10 }).where('id', '=', number.id).execute();
    const interval = 100;

    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const { message } = await sendMessage(a.ctx, { orgId: org.id, to: `+1415555${String(681 + i).padStart(4, '0')}`, body: `Race ${i}`, createdBy: { type: 'system', id: null } });
      ids.push(message.id);
    }
    for (const tb of instances) tb.startWorkers();

    // Wait (bounded) until every text went out: ~1.1 s at 10/s.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const sent = await a.ctx.db.kysely.selectFrom('messages').select('id').where('id', 'in', ids).where('status', '=', 'sent').execute();
      if (sent.length === ids.length) break;
      if (Date.now() > deadline) throw new Error(`only ${sent.length} of ${ids.length} texts were sent within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const tb of instances) await tb.worker.stop();

    // Exact on the claims: every send took the number at least one interval after the previous one.
    const claims = (await a.ctx.db.kysely.selectFrom('messages').select('send_slot_at').where('id', 'in', ids).execute()).map((r) => Number(r.send_slot_at)).sort((x, y) => x - y);
    expect(claims).toHaveLength(12);
    for (const gap of gaps(claims)) expect(gap).toBeGreaterThanOrEqual(interval);
    // At the carrier too, within the few milliseconds between the claim and the carrier's clock.
    const carrier = (await a.ctx.db.kysely.selectFrom('sandbox_messages').select('created_at').where('business_e164', '=', number.e164).orderBy('created_at').execute()).map((r) =>
      Number(r.created_at),
    );
    expect(carrier).toHaveLength(12);
    for (const gap of gaps(carrier)) expect(gap).toBeGreaterThanOrEqual(interval - 25);
    // And never more than 10 in any second.
    for (let i = 10; i < carrier.length; i++) expect(carrier[i]! - carrier[i - 10]!).toBeGreaterThanOrEqual(1000 - 25);
  });
});
