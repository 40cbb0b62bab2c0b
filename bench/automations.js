/**
 * Scenario 5 (issue 3): missed-call text-back through the automation engine, end to end.
 *
 *   5a. Latency from a call event's arrival to the carrier request, for a zero-delay rule (an active
 *       `call.completed` → `send_sms` automation, no delay step): `POST /v1/calls` (an inbound missed
 *       call from a new caller each time, unique external_id) at a fixed offered rate, arrivals a
 *       Poisson process sent open loop (bench/lib.js `openLoad`: autocannon's `overallRate` sends
 *       each second's quota in its first half), against serve processes with their workers in-process and the
 *       organization's numbers on the real Twilio adapter pointed at a recording fake Twilio. Each
 *       text goes to its caller, so the fake's `To` names the call: latency = fake carrier arrival −
 *       call request start (both wall-clock, sub-millisecond, same machine). Also split by the
 *       database's own timestamps: request → call row, call row → text row (the `automation.advance`
 *       job), text row → carrier (the `message.send` job). Baseline: the bare Fastify + 1 INSERT
 *       route at the same offered rate, with the same arrivals (p99 of its responses).
 *   5b. Runs completed per second: N missed calls posted with the workers stopped (a zero-delay run
 *       completes in its call's transaction, its text queued), then the workers started; runs/s from
 *       the first run created to the last finished, and the time until every text reached the
 *       carrier, with the CPU spent per run (posting and draining). Baseline: the scheduler's no-op
 *       job throughput (N due at once, one in-process worker) in the same run.
 *
 * Topology: SQLite, one process (HTTP + workers); PostgreSQL, two serve processes, each with its
 * workers in-process (each wakes its own worker on a local enqueue). The serve processes are this
 * file run as `node bench/automations.js serve` (the CLI cannot be given a Twilio adapter yet), the
 * fake carrier is `node bench/automations.js fake-carrier`.
 *
 * Settings: BENCH_AUTOMATIONS_RATE (500 events/s), BENCH_AUTOMATIONS_SECONDS (10),
 * BENCH_AUTOMATIONS_N (2,000), BENCH_CONNECTIONS (32), BENCH_SERVE_LOG_LEVEL (warn),
 * BENCH_AUTOMATIONS_PROF (a directory: each serve process writes a V8 CPU profile there when stopped),
 * BENCH_AUTOMATIONS_WORKER_CONCURRENCY (128: WORKER_CONCURRENCY of the serve processes),
 * BENCH_AUTOMATIONS_TIMELINE (a file: 5a's latency of each event by its start, as JSON).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, URLSearchParams } from 'node:url';
import { sql } from 'kysely';
import { TwilioCarrier } from '../packages/server/dist/carriers/twilio/twilio-carrier.js';
import { loadConfig } from '../packages/server/dist/config/config.js';
import { newId } from '../packages/server/dist/support/ids.js';
import { createLogger } from '../packages/server/dist/support/logger.js';
import { createTextback } from '../packages/server/dist/textback.js';
import { createAutomation } from '../packages/server/dist/use-cases/automations/automation-store.js';
import { addNumber } from '../packages/server/dist/use-cases/numbers.js';
import { createOrganization, updateOrganization } from '../packages/server/dist/use-cases/organizations.js';
import {
  BENCH_DIR,
  cpuPerUnit,
  cpuSnapshot,
  describeCpu,
  describeErrors,
  fmtInt,
  fmtMs,
  fmtPct,
  freePort,
  freshDatabase,
  HOST,
  httpGet,
  load,
  openLoad,
  log,
  percentile,
  sleep,
  startChild,
  stopChild,
  waitForMessage,
} from './lib.js';

const SELF = fileURLToPath(import.meta.url);
const ACCOUNT_SID = 'AC00000000000000000000000000bench';
const AUTH_TOKEN = 'bench-auth-token';
const API_KEY = 'tbk_bench_automations_0123456789abcdef';

const RATE = Number(process.env.BENCH_AUTOMATIONS_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_AUTOMATIONS_SECONDS ?? 10);
const N_RUNS = Number(process.env.BENCH_AUTOMATIONS_N ?? 2_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SERVE_LOG_LEVEL = process.env.BENCH_SERVE_LOG_LEVEL ?? 'warn';
// 128, not the default 32: a send batch is at most the worker's free slots, and at 32 one batch in flight
// (a carrier round trip plus a group commit on a busy process) sends fewer than 500 texts/s.
const WORKER_CONCURRENCY = Number(process.env.BENCH_AUTOMATIONS_WORKER_CONCURRENCY ?? 128);
/** A file for 5a's events as [request start (wall ms), latency ms], by start: where in the run the slow ones were. */
const TIMELINE_FILE = process.env.BENCH_AUTOMATIONS_TIMELINE;
const NOOP_JOBS = 5_000;
/** Longest wait for the texts (or runs) of a phase after its load ended. */
const WAIT_MS = 40_000;
const TARGET_P99_MS = 50;

/**
 * Business numbers, spread round robin, each allowed SENDER_RATE texts/s: as in bench/send.js, the
 * sender pacing (1/s per long code by default) must not bind, we measure the engine.
 */
const SENDER_COUNT = 50;
const SENDER_RATE = 1000;
const businessNumber = (k) => `+141555501${String(k).padStart(2, '0')}`;

/** Callers: a new, valid California mobile-or-fixed number per event (each becomes a contact). */
const WARMUP_BASE = 4155000000;
const LATENCY_BASE = 4153000000;
const RUNS_BASE = 4154000000;
const caller = (base, i) => `+1${base + i}`;

const AUTOMATION = {
  name: 'Bench: zero-delay missed-call text-back',
  state: 'active',
  priority: 0,
  scope: { numbers: 'all' },
  trigger: { type: 'call.completed' },
  steps: [{ type: 'send_sms', template: 'Sorry we missed your call! {Business} here: how can we help?' }],
};

const wallNow = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------
// Child: a recording fake Twilio

function runFakeCarrier() {
  /** [arrival (wall ms, fractional), To, our message id from StatusCallback ?m=] */
  let arrivals = [];
  let count = 0;
  /** Sids stay unique across resets (messages.carrier_message_id is unique). */
  let sidSeq = 0;
  const sidPrefix = crypto.randomBytes(8).toString('hex');
  const server = http.createServer((req, res) => {
    const t = wallNow();
    const json = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/stats') return json(200, { requests: count });
    if (req.method === 'GET' && req.url === '/arrivals') return json(200, arrivals);
    if (req.method === 'POST' && req.url === '/reset') {
      arrivals = [];
      count = 0;
      return json(200, { ok: true });
    }
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) return json(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const form = new URLSearchParams(raw);
      let m = null;
      try {
        m = new URL(form.get('StatusCallback') ?? '').searchParams.get('m');
      } catch {
        /* no callback */
      }
      arrivals.push([t, form.get('To'), m]);
      count++;
      const sid = `SM${sidPrefix}${(++sidSeq).toString(16).padStart(16, '0')}`;
      json(201, { account_sid: match[1], sid, status: 'queued', to: form.get('To'), from: form.get('From'), body: form.get('Body'), num_segments: '1' });
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(process.env.PORT), HOST, () => process.send?.({ type: 'ready' }));
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}

// ---------------------------------------------------------------------------------------------
// Child: `textback serve` with the Twilio adapter (HTTP + in-process workers)

function twilioCarrier(fakeUrl) {
  return new TwilioCarrier({ kind: 'twilio', accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, baseUrl: fakeUrl, publicBaseUrl: 'http://127.0.0.1:1', timeoutMs: 10_000 });
}

/** BENCH_AUTOMATIONS_PROF: a V8 CPU profile of this process, written on SIGTERM (--cpu-prof is refused in NODE_OPTIONS). */
async function startProfiler(dir) {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return async () => {
    const { profile } = await post('Profiler.stop');
    const fs = await import('node:fs');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `serve-${process.pid}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
  };
}

async function runServe() {
  const env = process.env;
  const stopProfiler = env.BENCH_AUTOMATIONS_PROF ? await startProfiler(env.BENCH_AUTOMATIONS_PROF) : async () => {};
  const config = loadConfig({
    DATABASE_URL: env.DATABASE_URL,
    PORT: env.PORT,
    HOST,
    LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
    TEXTBACK_WORKERS: 'true',
    TEXTBACK_DEMO: 'false',
    WORKER_CONCURRENCY: env.WORKER_CONCURRENCY ?? String(WORKER_CONCURRENCY),
    PG_POOL_SIZE: env.PG_POOL_SIZE ?? '10',
  });
  const tb = await createTextback({ config, logger: createLogger(config.logLevel), carriers: [twilioCarrier(env.FAKE_TWILIO_URL)] });
  const shutdown = async () => {
    await stopProfiler().catch((e) => console.error(e));
    await tb.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
  await tb.listen();
  if (env.BENCH_WORKERS === 'now') tb.startWorkers();
  process.on('message', (m) => {
    if (m?.type === 'go') tb.startWorkers();
  });
  process.send?.({ type: 'ready' });
}

// ---------------------------------------------------------------------------------------------
// The benchmark (parent side)

async function startFake() {
  const port = await freePort();
  const child = startChild('fake-twilio (recording)', SELF, ['fake-carrier'], { PORT: String(port) });
  await waitForMessage(child, 'ready');
  return { url: `http://${HOST}:${port}`, child };
}

async function fakeCount(fakeUrl) {
  return JSON.parse((await httpGet(`${fakeUrl}/stats`)).body).requests;
}

function fakeReset(fakeUrl) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${fakeUrl}/reset`, { method: 'POST' }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

async function fakeArrivals(fakeUrl) {
  return new Promise((resolve, reject) => {
    http
      .get(`${fakeUrl}/arrivals`, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', reject);
  });
}

/** A fresh database with the organization, its Twilio numbers and the active zero-delay automation. */
async function setUp(kind, label) {
  const db = await freshDatabase(kind, label);
  const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'warn', PG_POOL_SIZE: '4' });
  // Opened here for the set-up and read-only polling afterwards; no workers in this process.
  const tb = await createTextback({ config, logger: createLogger('warn') });
  const { org } = await createOrganization(tb.ctx, { name: 'Bench Plumbing', ownerEmail: 'bench@localhost', apiKey: API_KEY });
  for (let k = 0; k < SENDER_COUNT; k++) await addNumber(tb.ctx, org.id, { e164: businessNumber(k), carrier: 'twilio' });
  // The bench runs at any hour: quiet hours off (recipients are in California). Consent: a caller
  // gets implied consent from the call itself (recordCall), enough for an automated text.
  await updateOrganization(tb.ctx, org.id, { settings: { quiet_hours: false } });
  await sql`UPDATE phone_numbers SET rate_per_second = ${SENDER_RATE} WHERE org_id = ${org.id}`.execute(tb.ctx.db.kysely);
  await createAutomation(tb.ctx, org.id, AUTOMATION);
  return { db, tb, org };
}

/** 1 serve process on SQLite, 2 on PostgreSQL; `workers`: 'now' or 'on-go'. */
async function startServes(kind, dbUrl, fakeUrl, workers) {
  const count = kind === 'postgres' ? 2 : 1;
  const children = [];
  const urls = [];
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const port = await freePort();
      const child = startChild(`automations serve(${kind})#${i}`, SELF, ['serve'], {
        PORT: String(port),
        DATABASE_URL: dbUrl,
        FAKE_TWILIO_URL: fakeUrl,
        BENCH_WORKERS: workers,
        LOG_LEVEL: SERVE_LOG_LEVEL,
        WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
        PG_POOL_SIZE: '10',
      });
      children.push(child);
      await waitForMessage(child, 'ready', 60_000);
      urls.push(`http://${HOST}:${port}`);
    }),
  );
  return { children, urls, where: count === 1 ? '1 process, HTTP + in-process workers' : `${count} serve processes, each HTTP + in-process workers` };
}

/** POST /v1/calls requests: an inbound missed call (rang 20 s) from a new caller each time. */
function callRequests(base, label, onStart) {
  let seq = 0;
  return [
    {
      method: 'POST',
      path: '/v1/calls',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      setupRequest: (req) => {
        const i = seq++;
        const from = caller(base, i);
        // autocannon builds a request right before writing it (except each connection's first,
        // built when the connection is set up): the closest client-side "request start" we have.
        onStart?.(from, wallNow());
        return {
          ...req,
          body: JSON.stringify({
            from,
            to: businessNumber(i % SENDER_COUNT),
            direction: 'inbound',
            status: 'no-answer',
            duration: 20,
            external_id: `bench-${label}-${i}`,
          }),
        };
      },
    },
  ];
}

/** Waits until `count()` reaches `expected`, or stops growing for 10 s, or WAIT_MS passes. */
async function waitForCount(count, expected, timeoutMs = WAIT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const n = await count();
    if (n >= expected) return { n, complete: true };
    if (n !== last) {
      last = n;
      lastChange = Date.now();
    }
    if (Date.now() > deadline || Date.now() - lastChange > 10_000) return { n, complete: false };
    await sleep(100);
  }
}

/** Waits until no run is waiting or running and no text is queued or sending (the backlog is gone). */
async function waitForQuiet(db, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await sql`
      SELECT (SELECT count(*) FROM automation_runs WHERE status IN ('waiting', 'running'))
           + (SELECT count(*) FROM messages WHERE status IN ('queued', 'sending')) AS n`.execute(db.kysely);
    if (Number(rows[0].n) === 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

/** Jobs that failed at least once: by kind, state and error (the reason of a retry or a duplicate send). */
async function retriedJobs(db) {
  const { rows } = await sql`
    SELECT kind, state, substr(coalesce(last_error, ''), 1, 160) AS error, count(*) AS n, max(attempts) AS attempts
      FROM jobs WHERE attempts > 1 OR last_error IS NOT NULL
     GROUP BY kind, state, substr(coalesce(last_error, ''), 1, 160)`.execute(db.kysely);
  return rows.map((r) => `${r.n}× ${r.kind} ${r.state} (≤ ${r.attempts} attempts)${r.error ? `: ${r.error}` : ''}`);
}

async function statusCounts(db, table) {
  const { rows } = await sql`SELECT status, count(*) AS n FROM ${sql.table(table)} GROUP BY status`.execute(db.kysely);
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
const describeCounts = (c) =>
  Object.entries(c)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ') || 'none';

const pct = (values, p) => percentile([...values].sort((a, b) => a - b), p);
const p50p99 = (values) => `${fmtMs(pct(values, 50))}/${fmtMs(pct(values, 99))}`;

/** The bare baseline at the same offered rate: p99 of its responses. */
async function bareAtRate(kind, processes, rate) {
  const db = await freshDatabase(kind, 'autobare');
  const children = [];
  try {
    const urls = [];
    for (let i = 0; i < processes; i++) {
      const port = await freePort();
      const child = startChild(`bare-server(${kind})#${i}`, path.join(BENCH_DIR, 'bare-server.js'), [], {
        PORT: String(port),
        DATABASE_URL: db.url,
        BARE_CREATE: i === 0 ? '1' : '0',
        PG_POOL_SIZE: '10',
      });
      children.push(child);
      await waitForMessage(child, 'ready');
      urls.push(`http://${HOST}:${port}`);
    }
    let seq = 0;
    const requests = [
      {
        method: 'POST',
        path: '/messages',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ from: caller(LATENCY_BASE, seq++), to: businessNumber(0), body: 'missed call' }) }),
      },
    ];
    await openLoad({ url: urls, connections: CONNECTIONS, seconds: 2, rate, requests });
    return await openLoad({ url: urls, connections: CONNECTIONS, seconds: SECONDS, rate, requests });
  } finally {
    await Promise.allSettled(children.map((c) => stopChild(c)));
    await db.release();
  }
}

/** 5a: call arrival → carrier request, at RATE events/s. */
async function latencyPhase(kind, database, fakeUrl, rows) {
  const { db, tb } = await setUp(kind, 'autolat');
  let serves;
  try {
    serves = await startServes(kind, db.url, fakeUrl, 'now');
    const { urls, where } = serves;

    // Warm-up (JIT, pools, statement caches), then let its texts go out before measuring.
    log(`${database}: automation latency: warm-up 2 s at ${RATE}/s (${where})`);
    const warm = await openLoad({ url: urls, connections: CONNECTIONS, seconds: 2, rate: RATE, requests: callRequests(WARMUP_BASE, 'warm') });
    await sleep(500); // requests in flight when autocannon stopped still land
    const quiet = await waitForQuiet(tb.ctx.db, 30_000);
    await db.analyze(); // statistics as autovacuum keeps them in a running deployment (bench/lib.js)
    log(`  warm-up: ${fmtInt(warm.ok)} calls${describeErrors(warm)}; ${await fakeCount(fakeUrl)} texts at the carrier${quiet ? '' : ' (still busy after 30 s)'}`);
    await fakeReset(fakeUrl);

    const starts = new Map();
    log(`${database}: automation latency: POST /v1/calls at ${RATE}/s for ${SECONDS} s, ${CONNECTIONS} connections`);
    const measuredFrom = Date.now();
    const pids = serves.children.map((c) => c.proc.pid);
    const cpuBefore = cpuSnapshot(pids);
    const r = await openLoad({ url: urls, connections: CONNECTIONS, seconds: SECONDS, rate: RATE, requests: callRequests(LATENCY_BASE, 'lat', (from, t) => starts.set(from, t)) });
    await sleep(500); // requests in flight when autocannon stopped still land
    const calls = Number((await sql`SELECT count(*) AS n FROM calls WHERE created_at >= ${measuredFrom}`.execute(tb.ctx.db.kysely)).rows[0].n);
    const waited = await waitForCount(() => fakeCount(fakeUrl), calls);
    const cpu = cpuPerUnit(cpuBefore, cpuSnapshot(pids), Math.max(1, calls));
    log(`  calls: ${fmtInt(r.ok)} answered 2xx (p50 ${fmtMs(r.p50)}, p99 ${fmtMs(r.p99)})${describeErrors(r)}, ${calls} stored; texts at the carrier: ${waited.n}`);

    // Latency per event: the fake's arrival for the caller − the request's start.
    const arrivals = await fakeArrivals(fakeUrl);
    const latencies = [];
    /** [request start (wall ms), latency] per event, for BENCH_AUTOMATIONS_TIMELINE. */
    const timeline = [];
    const arrivalByTo = new Map();
    let duplicates = 0;
    const seenMessages = new Set();
    let sameMessageTwice = 0;
    for (const [t, to, m] of arrivals) {
      if (seenMessages.has(m)) sameMessageTwice++;
      seenMessages.add(m);
      if (arrivalByTo.has(to)) {
        duplicates++;
        continue;
      }
      arrivalByTo.set(to, t);
      const s = starts.get(to);
      if (s !== undefined) {
        latencies.push(t - s);
        timeline.push([s, t - s]);
      }
    }
    if (TIMELINE_FILE) fs.writeFileSync(TIMELINE_FILE, JSON.stringify(timeline.sort((x, y) => x[0] - y[0])));
    const p50 = pct(latencies, 50);
    const p99 = pct(latencies, 99);
    const max = Math.max(...latencies);

    // Where the time goes, by the database's own timestamps (server clock, whole ms).
    const { rows: segRows } = await sql`
      SELECT c.from_e164 AS caller, c.created_at AS call_at, m.created_at AS text_at
        FROM calls c JOIN messages m ON m.contact_id = c.contact_id AND m.direction = 'outbound'
       WHERE c.created_at >= ${measuredFrom}`.execute(tb.ctx.db.kysely);
    const toCallRow = [];
    const advance = [];
    const send = [];
    for (const row of segRows) {
      const s = starts.get(row.caller);
      const a = arrivalByTo.get(row.caller);
      if (s === undefined || a === undefined) continue;
      toCallRow.push(Number(row.call_at) - s);
      advance.push(Number(row.text_at) - Number(row.call_at));
      send.push(a - Number(row.text_at));
    }
    // How evenly the requests went out: the largest number started in any 100 ms (the mean is RATE / 10).
    const perTenth = new Map();
    for (const t of starts.values()) perTenth.set(Math.floor(t / 100), (perTenth.get(Math.floor(t / 100)) ?? 0) + 1);
    const busiestTenth = Math.max(0, ...perTenth.values());
    const runs = await statusCounts(tb.ctx.db, 'automation_runs');
    const messages = await statusCounts(tb.ctx.db, 'messages');
    const retried = await retriedJobs(tb.ctx.db);
    if (retried.length) log(`  jobs that failed at least once: ${retried.join('; ')}`);
    if (duplicates) log(`  ${duplicates} callers got two carrier requests; ${sameMessageTwice} of them for the same message id`);
    log(
      `  latency call → carrier over ${latencies.length}: p50 ${fmtMs(p50)}, p99 ${fmtMs(p99)}, max ${fmtMs(max)}; ` +
        `request→call row ${p50p99(toCallRow)}, call row→text row ${p50p99(advance)}, text row→carrier ${p50p99(send)} (p50/p99); ` +
        `busiest 100 ms: ${busiestTenth} requests (mean ${RATE / 10}); runs: ${describeCounts(runs)}; messages: ${describeCounts(messages)}; ` +
        `${describeCpu(cpu, { unit: 'event' })}`,
    );
    await Promise.allSettled(serves.children.map((c) => stopChild(c)));

    log(`${database}: bare baseline at ${RATE}/s`);
    const bare = await bareAtRate(kind, serves.children.length, RATE);
    log(`  bare @${RATE}/s: p99 ${fmtMs(bare.p99)} (p50 ${fmtMs(bare.p50)})${describeErrors(bare)}`);

    const complete = waited.complete && latencies.length === calls && duplicates === 0;
    const problems = [
      waited.complete ? '' : `ONLY ${waited.n} OF ${calls} TEXTS REACHED THE CARRIER`,
      duplicates ? `${duplicates} DUPLICATE CARRIER REQUESTS (${sameMessageTwice} for the same message)` : '',
      latencies.length < waited.n - duplicates ? `${waited.n - duplicates - latencies.length} texts unmatched` : '',
      retried.length ? `jobs that failed at least once: ${retried.join('; ')}` : '',
    ].filter(Boolean);
    rows.push({
      scenario: `5a. automation latency: POST /v1/calls (inbound missed, new caller each) → Twilio request, zero-delay call.completed → send_sms, ${fmtInt(RATE)}/s offered for ${SECONDS} s (${where}, ${CONNECTIONS} conn, ${SENDER_COUNT} numbers)`,
      database,
      result:
        `p99 ${fmtMs(p99)} (p50 ${fmtMs(p50)}, max ${fmtMs(max)}; ${fmtInt(starts.size)} events sent, ${fmtInt(r.ok)} completed 2xx, ${fmtInt(latencies.length)} texts timed; ` +
        `achieved ${fmtInt(r.rps)} events/s${describeErrors(r)}${problems.length ? `; ${problems.join(', ')}` : ''}); ` +
        `p50/p99 request → call row ${p50p99(toCallRow)}, call row → text row (advance job) ${p50p99(advance)}, text row → carrier (send job) ${p50p99(send)}; ` +
        `POST /v1/calls response p99 ${fmtMs(r.p99)}; arrivals Poisson, open loop (busiest 100 ms: ${busiestTenth} calls, mean ${RATE / 10}); ${describeCpu(cpu, { unit: 'event' })}`,
      baseline: `bare at the same rate: p99 ${fmtMs(bare.p99)} (p50 ${fmtMs(bare.p50)})`,
      ratio: `${(p99 / bare.p99).toFixed(1)}× bare p99`,
      target: kind === 'sqlite' ? `p99 < ${TARGET_P99_MS} ms: ${complete && p99 < TARGET_P99_MS && !r.non2xx && !r.errors ? 'PASS' : 'FAIL'}` : '— (target is for SQLite)',
    });
  } finally {
    if (serves) await Promise.allSettled(serves.children.map((c) => stopChild(c)));
    await tb.close().catch(() => {});
    await db.release();
  }
}

/** The scheduler's no-op throughput: NOOP_JOBS due at once, one in-process worker (default settings). */
async function noopThroughput(kind) {
  const db = await freshDatabase(kind, 'autonoop');
  let tb;
  try {
    let done = 0;
    let last = 0;
    const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'warn', PG_POOL_SIZE: '10' });
    tb = await createTextback({
      config,
      logger: createLogger('warn'),
      handlers: {
        'bench.noop': async () => {
          done++;
          last = Date.now();
        },
      },
    });
    const now = Date.now();
    const rowsToInsert = Array.from({ length: NOOP_JOBS }, () => ({
      id: newId('job'),
      org_id: null,
      kind: 'bench.noop',
      payload: '{}',
      state: 'pending',
      run_at: now,
      attempts: 0,
      max_attempts: 10,
      unique_key: null,
      locked_by: null,
      locked_until: null,
      last_error: null,
      created_at: now,
      updated_at: now,
      finished_at: null,
    }));
    await tb.ctx.db.kysely.transaction().execute(async (tx) => {
      for (let i = 0; i < rowsToInsert.length; i += 1000) await tx.insertInto('jobs').values(rowsToInsert.slice(i, i + 1000)).execute();
    });
    const t0 = Date.now();
    tb.startWorkers();
    const deadline = t0 + 60_000;
    while (done < NOOP_JOBS && Date.now() < deadline) await sleep(20);
    return { rate: (done / Math.max(1, last - t0)) * 1000, done };
  } finally {
    if (tb) await tb.close().catch(() => {});
    await db.release();
  }
}

/**
 * 5b: N missed calls posted with the workers stopped, then the workers started. A zero-delay run
 * completes in its call's transaction (its text is stored, queued), so runs/s is over the posting
 * (first run created → last run finished); the texts then drain through the send jobs. CPU per run
 * covers both (the HTTP requests included).
 */
async function throughputPhase(kind, database, fakeUrl, rows) {
  const { db, tb } = await setUp(kind, 'autoruns');
  let serves;
  try {
    serves = await startServes(kind, db.url, fakeUrl, 'on-go');
    const { urls, where, children } = serves;
    await fakeReset(fakeUrl);

    const pids = children.map((c) => c.proc.pid);
    const cpuBefore = cpuSnapshot(pids);
    log(`${database}: automation runs: posting ${fmtInt(N_RUNS)} missed calls with the workers stopped (${where})`);
    const t = Date.now();
    const posted = await load({ url: urls, connections: CONNECTIONS, amount: N_RUNS, requests: callRequests(RUNS_BASE, 'runs') });
    const postedMs = Date.now() - t;
    const atPosted = await statusCounts(tb.ctx.db, 'automation_runs');
    log(`  posted in ${postedMs} ms: ${fmtInt(posted.ok)} 2xx${describeErrors(posted)}; runs: ${describeCounts(atPosted)}`);
    const expected = Object.values(atPosted).reduce((a, b) => a + b, 0);

    const goAt = Date.now();
    for (const c of children) c.proc.send({ type: 'go' });
    const finishedCount = async () =>
      Number((await sql`SELECT count(*) AS n FROM automation_runs WHERE status NOT IN ('waiting', 'running')`.execute(tb.ctx.db.kysely)).rows[0].n);
    const runsDone = await waitForCount(finishedCount, expected);
    const span = (await sql`SELECT min(created_at) AS first, max(finished_at) AS last FROM automation_runs`.execute(tb.ctx.db.kysely)).rows[0];
    const runsMs = Math.max(1, Number(span.last) - Number(span.first));
    const runs = await statusCounts(tb.ctx.db, 'automation_runs');
    const completed = runs.completed ?? 0;
    const runRate = (completed / runsMs) * 1000;
    const texts = await waitForCount(() => fakeCount(fakeUrl), completed);
    const drainMs = Date.now() - goAt; // within 100 ms (the polling interval)
    const cpu = cpuPerUnit(cpuBefore, cpuSnapshot(pids), Math.max(1, completed));
    const retried = await retriedJobs(tb.ctx.db);
    if (retried.length) log(`  jobs that failed at least once: ${retried.join('; ')}`);
    log(
      `  ${fmtInt(completed)} runs completed in ${runsMs} ms → ${fmtInt(runRate)} runs/s (runs: ${describeCounts(runs)}; ${atPosted.completed ?? 0} completed before the workers started); ` +
        `${texts.n} texts at the carrier ~${drainMs} ms after the workers started; ${describeCpu(cpu, { procsLabel: 'serve', includeSelf: false, unit: 'run' })}`,
    );
    await Promise.allSettled(children.map((c) => stopChild(c)));

    log(`${database}: scheduler no-op baseline (${fmtInt(NOOP_JOBS)} jobs due at once, 1 in-process worker)`);
    const noop = await noopThroughput(kind);
    log(`  no-op: ${fmtInt(noop.rate)} jobs/s`);

    rows.push({
      scenario: `5b. automation runs: ${fmtInt(N_RUNS)} missed calls posted (${CONNECTIONS} conn) with the workers stopped, then the texts drained; zero-delay call.completed → send_sms (${where}, ${WORKER_CONCURRENCY} jobs each)`,
      database,
      result:
        `${fmtInt(runRate)} runs/s (${fmtInt(completed)} completed in ${(runsMs / 1000).toFixed(1)} s, ${fmtInt(atPosted.completed ?? 0)} of them in their call's transaction${runsDone.complete && completed === expected ? '' : `; ONLY ${completed} OF ${expected} COMPLETED: ${describeCounts(runs)}`}); ` +
        `${fmtInt(texts.n)} texts at the carrier ~${(drainMs / 1000).toFixed(1)} s after the workers started (${fmtInt((texts.n / drainMs) * 1000)} texts/s drained)` +
        `${texts.n > completed ? ` [${texts.n - completed} CARRIER REQUESTS MORE THAN RUNS]` : ''}${retried.length ? ` [jobs that failed at least once: ${retried.join('; ')}]` : ''}; ` +
        `${describeCpu(cpu, { procsLabel: 'serve', unit: 'run' })} (posting and draining)`,
      baseline: `scheduler no-op ${fmtInt(noop.rate)} jobs/s (${fmtInt(NOOP_JOBS)} due at once, 1 in-process worker)`,
      ratio: fmtPct(runRate / noop.rate),
      target: '— (diagnostic)',
    });
  } finally {
    if (serves) await Promise.allSettled(serves.children.map((c) => stopChild(c)));
    await tb.close().catch(() => {});
    await db.release();
  }
}

/** Appends the rows of scenario 5 for one database kind. */
export async function benchAutomations(kind, rows) {
  const database = kind === 'postgres' ? 'PostgreSQL' : 'SQLite';
  const fake = await startFake();
  try {
    await latencyPhase(kind, database, fake.url, rows);
    await throughputPhase(kind, database, fake.url, rows);
  } finally {
    await stopChild(fake.child);
  }
}

// ---------------------------------------------------------------------------------------------
// Entry points of the child processes

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
  const mode = process.argv[2];
  if (mode === 'fake-carrier') runFakeCarrier();
  else if (mode === 'serve') {
    runServe().catch((error) => {
      process.send?.({ type: 'error', message: String(error?.stack ?? error) });
      console.error(error);
      process.exit(1);
    });
  } else {
    console.error('usage: node bench/automations.js serve|fake-carrier (children of bench/run.js; run `node bench/run.js automations`)');
    process.exit(64);
  }
}
