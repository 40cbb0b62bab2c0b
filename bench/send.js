/**
 * Scenario 3: send throughput. Texts are accepted with `sendMessage` (what `POST /v1/messages`
 * runs), the scheduler's workers send them with the real Twilio adapter to a local fake Twilio, and
 * we time until the last one is marked sent. Workers: in this process on SQLite (one process, as
 * `textback serve` runs there); 2 worker processes (bench/send-worker.js) on PostgreSQL.
 * Baseline: the fake carrier's own requests/s, hit directly with the workers' total concurrency.
 * A warm-up of BENCH_SEND_WARM_N (1,000) texts goes the whole way first, so that neither phase
 * measures the processes' first JIT compilations and lazy imports.
 */
import { Buffer } from 'node:buffer';
import path from 'node:path';
import { URLSearchParams } from 'node:url';
import { sql } from 'kysely';
import { TwilioCarrier } from '../packages/server/dist/carriers/twilio/twilio-carrier.js';
import { loadConfig } from '../packages/server/dist/config/config.js';
import { createLogger } from '../packages/server/dist/support/logger.js';
import { createTextback } from '../packages/server/dist/textback.js';
import { sendMessage } from '../packages/server/dist/use-cases/messages.js';
import { addNumber } from '../packages/server/dist/use-cases/numbers.js';
import { createOrganization, updateOrganization } from '../packages/server/dist/use-cases/organizations.js';
import {
  BENCH_DIR,
  cpuPerUnit,
  cpuSnapshot,
  describeCpu,
  describeErrors,
  fmtInt,
  fmtPct,
  freePort,
  freshDatabase,
  HOST,
  httpGet,
  load,
  log,
  sleep,
  startChild,
  stopChild,
  waitForMessage,
  warmUp,
} from './lib.js';

const ACCOUNT_SID = 'AC00000000000000000000000000bench';
const AUTH_TOKEN = 'bench-auth-token';
const WORKER_CONCURRENCY = Number(process.env.BENCH_SEND_WORKER_CONCURRENCY ?? 32);
/** Longest wait for a phase's texts to be sent; a slower run reports what was sent by then. */
const WAIT_MS = Number(process.env.BENCH_SEND_WAIT_MS ?? 40_000);
const ENQUEUE_CONCURRENCY = Number(process.env.BENCH_SEND_ENQUEUE_CONCURRENCY ?? 32);
/** Texts sent before the measured phases, so that they measure warm processes. */
const WARM_N = Number(process.env.BENCH_SEND_WARM_N ?? 1_000);
/** Sending numbers, spread round robin: a real 3,000 msg/s sender uses many numbers (or short codes). */
const SENDER_COUNT = 50;
const senderNumber = (k) => `+141555501${String(k).padStart(2, '0')}`;
/** Per-number pace (messages/s) given to the senders so that pacing never binds: we measure the engine. */
const SENDER_RATE = 1000;

/** Starts the fake Twilio; returns its base URL and child. */
export async function startFakeTwilio() {
  const port = await freePort();
  const child = startChild('fake-twilio', path.join(BENCH_DIR, 'fake-twilio.js'), [], { PORT: String(port) });
  await waitForMessage(child, 'ready');
  return { url: `http://${HOST}:${port}`, child };
}

async function fakeCount(fakeUrl) {
  return JSON.parse((await httpGet(`${fakeUrl}/stats`)).body).requests;
}

/** The fake's own capacity at `connections` concurrent requests, with a body like the adapter's. */
async function fakeBaseline(fakeUrl, connections) {
  const form = new URLSearchParams({
    To: '+14153000001',
    From: senderNumber(0),
    Body: 'Your appointment is confirmed for tomorrow at 10:00.',
    StatusCallback: 'http://127.0.0.1:1/webhooks/twilio/status?m=msg_01JBENCH000000000000000000',
  }).toString();
  const opts = {
    url: `${fakeUrl}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`,
    connections,
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`,
    },
    body: form,
  };
  await warmUp(opts, 1);
  return load({ ...opts, duration: 5 });
}

async function runPool(n, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/**
 * Waits until `expected` outbound messages are sent (or failed); returns the last sent_at and the
 * counts less `already` (the warm-up's texts). It watches the fake carrier's request count first
 * (`fake`: its URL and its count `before` this run; an HTTP call to another process) and reads the messages table once the carrier has had them all
 * (and every half second): a count over the table every 50 ms cost PostgreSQL ~2% of the CPU it
 * spent per text.
 */
async function waitForSent(db, fake, expected, timeoutMs, already = 0) {
  const deadline = Date.now() + timeoutMs;
  for (let poll = 1; ; poll++) {
    // The table is read when the carrier has had them all, and every half second in case some failed before it.
    if ((await fakeCount(fake.url)) - fake.before < expected && poll % 50 !== 0 && Date.now() <= deadline) {
      await sleep(10);
      continue;
    }
    const row = await db.kysely
      .selectFrom('messages')
      .select([
        sql`sum(case when status = 'sent' then 1 else 0 end)`.as('sent'),
        sql`sum(case when status in ('failed', 'undelivered') then 1 else 0 end)`.as('failed'),
        sql`max(sent_at)`.as('last'),
      ])
      .where('direction', '=', 'outbound')
      .executeTakeFirstOrThrow();
    const sent = Number(row.sent ?? 0);
    const failed = Number(row.failed ?? 0);
    if (sent + failed >= expected) return { sent: sent - already, failed, last: Number(row.last), complete: true };
    if (Date.now() > deadline) return { sent: sent - already, failed, last: Date.now(), complete: false };
    await sleep(10);
  }
}

const recipient = (i) => `+1415${3000000 + i}`;

/**
 * The organization and its Twilio numbers. Quiet hours are turned off (the bench runs at any hour
 * and recipients are in California) and each number may send SENDER_RATE/s, when this build has
 * those compliance settings.
 */
async function setUpSender(tb) {
  const { org } = await createOrganization(tb.ctx, { name: 'Bench Co', ownerEmail: 'bench@localhost' });
  for (let k = 0; k < SENDER_COUNT; k++) await addNumber(tb.ctx, org.id, { e164: senderNumber(k), carrier: 'twilio' });
  if ('quiet_hours' in JSON.parse(org.settings)) await updateOrganization(tb.ctx, org.id, { settings: { quiet_hours: false } });
  const columns = await sql`SELECT * FROM phone_numbers WHERE org_id = ${org.id} LIMIT 1`.execute(tb.ctx.db.kysely);
  if (columns.rows[0] && 'rate_per_second' in columns.rows[0]) {
    await sql`UPDATE phone_numbers SET rate_per_second = ${SENDER_RATE} WHERE org_id = ${org.id}`.execute(tb.ctx.db.kysely);
  }
  return org;
}

/** Accepts text i; fails loudly if the compliance gate did not queue it (the bench would wait forever). */
async function accept(tb, orgId, i) {
  const { message } = await sendMessage(tb.ctx, {
    orgId,
    from: senderNumber(i % SENDER_COUNT),
    to: recipient(i),
    body: `Bench text ${i}: your appointment is confirmed.`,
    createdBy: { type: 'system', id: 'bench' },
  });
  if (message.status !== 'queued') throw new Error(`sendMessage returned ${message.status}${message.reason ? ` (${message.reason})` : ''}, not queued`);
}

/** Appends rows for one database kind. */
export async function benchSend(kind, fakeUrl, rows) {
  const database = kind === 'postgres' ? 'PostgreSQL' : 'SQLite';
  // 10,000 texts a phase (BENCH_SEND_N): a throughput, not a start-up. At 2,000 a phase lasted under a
  // second on PostgreSQL, and the pipeline's fill (the first batch's accept, claim and carrier round
  // trip) and its tail (the last batch) were a fifth of it: 2,370-2,571 msg/s where 10,000 texts gave
  // 3,373-3,658 with the same code, on the same machine, minutes apart.
  const n = Number(process.env.BENCH_SEND_N ?? 10_000);
  const workerProcesses = kind === 'postgres' ? 2 : 0; // 0: in this process
  const totalConcurrency = WORKER_CONCURRENCY * Math.max(1, workerProcesses);
  const db = await freshDatabase(kind, 'send');
  const children = [];
  let tb;
  try {
    const twilio = new TwilioCarrier({ kind: 'twilio', accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, baseUrl: fakeUrl, publicBaseUrl: 'http://127.0.0.1:1', timeoutMs: 10_000 });
    const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'warn', WORKER_CONCURRENCY: String(WORKER_CONCURRENCY), PG_POOL_SIZE: '10' });
    tb = await createTextback({ config, logger: createLogger('warn'), carriers: [twilio] });
    const org = await setUpSender(tb);

    for (let i = 0; i < workerProcesses; i++) {
      const child = startChild(`send-worker(${kind})#${i}`, path.join(BENCH_DIR, 'send-worker.js'), [], {
        DATABASE_URL: db.url,
        FAKE_TWILIO_URL: fakeUrl,
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
        PG_POOL_SIZE: '10',
      });
      children.push(child);
      await waitForMessage(child, 'ready');
    }
    const startWorkers = () => (workerProcesses === 0 ? tb.startWorkers() : children.forEach((c) => c.proc.send({ type: 'go' })));
    const stopWorkers = () =>
      workerProcesses === 0
        ? tb.worker.stop()
        : Promise.all(
            children.map((c) => {
              const stopped = waitForMessage(c, 'stopped');
              c.proc.send({ type: 'stop' });
              return stopped;
            }),
          );
    const where = `${workerProcesses === 0 ? '1 process, in-process workers' : `${workerProcesses} worker processes`}, ${WORKER_CONCURRENCY} jobs each, ${SENDER_COUNT} numbers`;

    log(`${database}: fake Twilio baseline at ${totalConcurrency} connections`);
    const fake = await fakeBaseline(fakeUrl, totalConcurrency);
    log(`  fake Twilio: ${fmtInt(fake.rps)} req/s${describeErrors(fake)}`);
    const baseline = `${fmtInt(fake.rps)} req/s (fake Twilio, ${totalConcurrency} conn)`;
    const target = (rate, diagnostic) =>
      kind === 'postgres' ? `≥ 3,000 msg/s${diagnostic ? ' (diagnostic)' : ''}: ${rate >= 3000 ? 'PASS' : 'FAIL'}` : '— (target is for PostgreSQL)';

    // The fake's count when this run began (the SQLite and PostgreSQL runs share it).
    const fakeRun = { url: fakeUrl, before: await fakeCount(fakeUrl) };
    // --- warm-up: the same path once, so that both phases measure warm processes (JIT, pools, lazy imports)
    log(`${database}: send warm-up: ${WARM_N} texts with the workers running`);
    startWorkers();
    await runPool(WARM_N, ENQUEUE_CONCURRENCY, (i) => accept(tb, org.id, 3 * n + i));
    const warmed = await waitForSent(tb.ctx.db, fakeRun, WARM_N, WAIT_MS);
    if (!warmed.complete) throw new Error(`warm-up: only ${warmed.sent} of ${WARM_N} texts sent in ${WAIT_MS / 1000} s`);
    await stopWorkers();
    const fakeBefore = await fakeCount(fakeUrl);

    // --- a backlog drained: enqueue with the workers stopped, then start them
    log(`${database}: send drain: enqueueing ${n} texts with the workers stopped`);
    const t = Date.now();
    await runPool(n, ENQUEUE_CONCURRENCY, (i) => accept(tb, org.id, i));
    log(`  enqueued in ${Date.now() - t} ms; starting ${where}`);
    await db.analyze(); // the tables now hold the backlog: statistics as autovacuum would have them
    const workerPids = children.map((c) => c.proc.pid);
    const cpuText = (before, units) =>
      describeCpu(cpuPerUnit(before, cpuSnapshot(workerPids), Math.max(1, units)), {
        procsLabel: 'workers',
        includeSelf: true,
        unit: 'msg',
      }).replace('bench process', workerProcesses === 0 ? 'this process (workers + bench)' : 'bench process (enqueue)');
    let cpuBefore = cpuSnapshot(workerPids);
    const drainStart = Date.now();
    startWorkers();
    const drained = await waitForSent(tb.ctx.db, fakeRun, WARM_N + n, WAIT_MS, WARM_N);
    const drainCpu = cpuText(cpuBefore, drained.sent);
    const drainRate = (drained.sent / (drained.last - drainStart)) * 1000;
    log(`  drained ${drained.sent} sent / ${drained.failed} failed in ${drained.last - drainStart} ms → ${fmtInt(drainRate)} msg/s; ${drainCpu}`);
    rows.push({
      scenario: `3b. send: drain ${fmtInt(n)} queued texts → sent via the Twilio adapter (${where})`,
      database,
      result: `${fmtInt(drainRate)} msg/s (${fmtInt(drained.sent)} in ${((drained.last - drainStart) / 1000).toFixed(1)} s${drained.failed ? `, ${drained.failed} failed` : ''}${drained.complete ? '' : `, TIMED OUT after ${WAIT_MS / 1000} s`}); ${drainCpu}`,
      baseline,
      ratio: fmtPct(drainRate / fake.rps),
      target: target(drainRate, true),
    });

    // --- enqueue while the workers run: first enqueue → last sent
    log(`${database}: send end to end: ${n} texts enqueued while the workers run`);
    cpuBefore = cpuSnapshot(workerPids);
    const e2eStart = Date.now();
    await runPool(n, ENQUEUE_CONCURRENCY, (i) => accept(tb, org.id, n + i));
    const enqueueMs = Date.now() - e2eStart;
    const done = await waitForSent(tb.ctx.db, fakeRun, WARM_N + 2 * n, WAIT_MS, WARM_N);
    const sentNow = done.sent - drained.sent;
    const e2eCpu = cpuText(cpuBefore, sentNow);
    const e2eRate = (sentNow / (done.last - e2eStart)) * 1000;
    const enqueueRate = (n / enqueueMs) * 1000;
    const fakeGot = (await fakeCount(fakeUrl)) - fakeBefore;
    log(`  ${sentNow} sent in ${done.last - e2eStart} ms → ${fmtInt(e2eRate)} msg/s (enqueue alone ${fmtInt(enqueueRate)}/s); fake got ${fakeGot} for ${2 * n} texts; ${e2eCpu}`);
    rows.push({
      scenario: `3a. send: ${fmtInt(n)} texts via sendMessage (${ENQUEUE_CONCURRENCY} at once) while workers run, first enqueue → last sent (${where})`,
      database,
      result: `${fmtInt(e2eRate)} msg/s (enqueue ${fmtInt(enqueueRate)}/s; carrier got ${fmtInt(fakeGot)} requests for ${fmtInt(2 * n)} texts${done.failed ? `, ${done.failed} failed` : ''}${done.complete ? '' : `, TIMED OUT after ${WAIT_MS / 1000} s`}); ${e2eCpu}`,
      baseline,
      ratio: fmtPct(e2eRate / fake.rps),
      target: target(e2eRate, false),
    });
  } finally {
    await Promise.allSettled(children.map((c) => stopChild(c)));
    if (tb) await tb.close().catch(() => {});
    await db.release();
  }
}
