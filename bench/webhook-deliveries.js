/**
 * Scenario 7: webhook subscriptions (docs/integrations.md).
 *
 * a. Deliveries per second: BENCH_WEBHOOK_N deliveries (distinct subjects, so none waits for
 *    another) pending for one endpoint on a local receiver (a plain `http.createServer` in this
 *    process, answering 200), then the workers start (one on SQLite; two Textback workers, each
 *    with its own pool, on PostgreSQL) and the time until every delivery is recorded `succeeded` is
 *    measured. Baseline, same run: a bare HTTP client (fetch) posting the same number of bodies of
 *    the same size to the same receiver, 16 at a time (the worker's default concurrency).
 * b. Send-path CPU: BENCH_WEBHOOK_TEXTS texts accepted (sendMessage, 32 at a time) for an
 *    organization without endpoints, then for one with one endpoint subscribed to every event
 *    (workers stopped, so only the accept path is measured): this process's CPU-ms per text, and
 *    PostgreSQL's. Target: under 10% more.
 */
import http from 'node:http';
import { loadConfig } from '../packages/server/dist/config/config.js';
import { transaction } from '../packages/server/dist/app-context.js';
import { createLogger } from '../packages/server/dist/support/logger.js';
import { createTextback } from '../packages/server/dist/textback.js';
import { addNumber } from '../packages/server/dist/use-cases/numbers.js';
import { createOrganization } from '../packages/server/dist/use-cases/organizations.js';
import { sendMessage } from '../packages/server/dist/use-cases/messages.js';
import { createWebhookEndpoint, enqueueWebhookDeliveries } from '../packages/server/dist/use-cases/webhook-endpoints.js';
import { cpuPerUnit, cpuSnapshot, fmtInt, fmtPct, freshDatabase, log, sleep } from './lib.js';

const N = Number(process.env.BENCH_WEBHOOK_N ?? 5_000);
const TEXTS = Number(process.env.BENCH_WEBHOOK_TEXTS ?? 2_000);

function startReceiver() {
  let count = 0;
  const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      res.end('ok');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/hooks`, count: () => count })));
}

/** The bare client: `n` POSTs of `body`, `concurrency` at a time; returns requests/s. */
async function bareRate(url, body, n, concurrency = 16) {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) {
        const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await r.text();
      }
    }),
  );
  return n / ((performance.now() - t) / 1000);
}

async function sendTexts(ctx, orgId, from, count, prefix) {
  for (let i = 0; i < count; i += 32) {
    await Promise.all(
      Array.from({ length: Math.min(32, count - i) }, (_, j) =>
        sendMessage(ctx, { orgId, from, to: `+1212${prefix}${String(i + j).padStart(4, '0')}`, body: 'Thanks for calling, we will text you back shortly.', createdBy: { type: 'system', id: null } }),
      ),
    );
  }
}

export async function benchWebhookDeliveries(kind, rows) {
  const database = kind === 'postgres' ? 'PostgreSQL' : 'SQLite';
  const db = await freshDatabase(kind, 'webhooks');
  const receiver = await startReceiver();
  const instances = [];
  try {
    // The receiver is on 127.0.0.1: private addresses allowed.
    const config = { ...loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'warn', PG_POOL_SIZE: '10' }), demo: false, webhookAllowPrivateUrls: true };
    const tb = await createTextback({ config, logger: createLogger('warn') });
    instances.push(tb);
    const ctx = tb.ctx;

    // b. Send-path CPU, with and without a subscription (workers not running).
    const quiet = await createOrganization(ctx, { name: 'No endpoints', ownerEmail: 'a@example.com', timeZone: 'UTC' });
    const quietNumber = await addNumber(ctx, quiet.org.id, { e164: '+14155550101', name: 'Main' });
    const subscribed = await createOrganization(ctx, { name: 'One endpoint', ownerEmail: 'b@example.com', timeZone: 'UTC' });
    const subscribedNumber = await addNumber(ctx, subscribed.org.id, { e164: '+14155550102', name: 'Main' });
    await createWebhookEndpoint(ctx, subscribed.org.id, { url: receiver.url, events: ['*'] });
    log(`${database}: webhooks: send-path CPU, ${fmtInt(TEXTS)} texts without and with a subscription`);
    await sendTexts(ctx, quiet.org.id, quietNumber.e164, 200, '555'); // warm-up
    await sendTexts(ctx, subscribed.org.id, subscribedNumber.e164, 200, '555');
    // Alternating rounds, so that warm-up and the machine's other load fall on both sides alike.
    const pids = [];
    const sum = { none: { self: 0, postgres: 0 }, one: { self: 0, postgres: 0 } };
    const round = Math.max(50, Math.floor(TEXTS / 4));
    for (let r = 0; r < 4; r++) {
      for (const [name, orgId, from] of [
        ['none', quiet.org.id, quietNumber.e164],
        ['one', subscribed.org.id, subscribedNumber.e164],
      ]) {
        const before = cpuSnapshot(pids);
        await sendTexts(ctx, orgId, from, round, String(560 + r));
        const c = cpuPerUnit(before, cpuSnapshot(pids), 4 * round);
        sum[name].self += c.self;
        sum[name].postgres += c.postgres;
      }
    }
    const { none, one } = sum;
    const total = (c) => c.self + c.postgres;
    const added = total(one) / total(none) - 1;
    rows.push({
      scenario: '7b. send-path CPU with one webhook subscription',
      database,
      result: `${(total(one)).toFixed(2)} CPU-ms/text (process ${one.self.toFixed(2)}${one.postgres ? `, postgres ${one.postgres.toFixed(2)}` : ''}); +${fmtPct(added)}`,
      baseline: `${(total(none)).toFixed(2)} CPU-ms/text without endpoints`,
      ratio: `${(total(one) / total(none)).toFixed(2)}×`,
      target: added < 0.1 ? 'PASS (< +10%)' : 'FAIL (< +10%)',
    });

    // a. Deliveries per second: clear the texts' work, then N pending deliveries.
    await ctx.db.kysely.deleteFrom('jobs').execute();
    await ctx.db.kysely.deleteFrom('webhook_deliveries').execute();
    const at = Date.now();
    for (let i = 0; i < N; i += 500) {
      const events = Array.from({ length: Math.min(500, N - i) }, (_, j) => ({
        event: { orgId: subscribed.org.id, type: 'message.created', subjectType: 'bench', subjectId: `b${i + j}`, data: { status: 'queued', direction: 'outbound' } },
        at,
      }));
      await transaction(ctx, (tx) => enqueueWebhookDeliveries(tx, ctx, events));
    }
    const sample = (await ctx.db.kysely.selectFrom('webhook_deliveries').select('payload').limit(1).executeTakeFirstOrThrow()).payload;
    log(`  ${fmtInt(N)} deliveries pending; bare client first`);
    const bare = await bareRate(receiver.url, sample, N);
    log(`  bare client: ${fmtInt(bare)} POST/s; now the workers`);
    const workers = kind === 'postgres' ? 2 : 1;
    if (workers === 2) instances.push(await createTextback({ config, logger: createLogger('warn') }));
    const t = performance.now();
    for (const i of instances) i.startWorkers();
    const deadline = Date.now() + 120_000;
    let done = 0;
    while (Date.now() < deadline) {
      const row = await ctx.db.kysely.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll().as('n')).where('state', '=', 'succeeded').executeTakeFirstOrThrow();
      done = Number(row.n);
      if (done >= N) break;
      await sleep(50);
    }
    const rate = done / ((performance.now() - t) / 1000);
    log(`  ${fmtInt(done)} delivered at ${fmtInt(rate)}/s`);
    rows.push({
      scenario: `7a. webhook deliveries to a local receiver (${workers} worker${workers > 1 ? 's' : ''})`,
      database,
      result: `${fmtInt(rate)} deliveries/s (${fmtInt(done)} of ${fmtInt(N)}, signed, each attempt logged)`,
      baseline: `${fmtInt(bare)} POST/s bare fetch client`,
      ratio: `${(rate / bare).toFixed(2)}×`,
      target: rate >= 1000 ? 'PASS (≥ 1,000/s)' : 'FAIL (≥ 1,000/s)',
    });
  } finally {
    for (const i of instances) await i.close().catch(() => {});
    receiver.server.closeAllConnections();
    await new Promise((resolve) => receiver.server.close(resolve));
    await db.release();
  }
}
