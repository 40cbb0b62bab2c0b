/**
 * Scenario 6: signed Twilio inbound webhooks (`POST /webhooks/twilio/:accountId/messages`, form
 * parameters, X-Twilio-Signature) on `textback serve`: (b) with the workers off, the webhook path
 * alone (signature check, de-duplication with 5% of the requests replaying an earlier MessageSid,
 * enqueue); (c) with the workers on, end to end: the workers store each message with its contact,
 * conversation and event while webhooks keep coming. 1 process on SQLite, 2 on PostgreSQL. Baseline, same run and process count: a bare Fastify route that checks the same HMAC
 * and answers empty TwiML, with no database (bench/bare-hmac-server.js).
 *
 * `node bench/run.js webhooks` runs this scenario alone.
 */
import { Buffer } from 'node:buffer';
import crypto from 'node:crypto';
import { URLSearchParams } from 'node:url';
import path from 'node:path';
import pg from 'pg';
import {
  BENCH_DIR,
  fmtInt,
  fmtPct,
  freePort,
  freshDatabase,
  HOST,
  log,
  ROOT,
  sleep,
  startChild,
  stopChild,
  waitForHttp,
  waitForMessage,
  warmUp,
  measured,
  cpuSnapshot,
  cpuPerUnit,
  describeCpu,
  summary,
} from './lib.js';

const API_KEY = 'tbk_bench_webhooks_0123456789abcdefghij';
const DEMO_NUMBER = '+14159434591';
const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'bench-auth-token';
/** The public URL the account is given (and that signatures are computed over), whatever the port. */
const PUBLIC_BASE = 'https://bench.textback.test';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SERVE_LOG_LEVEL = process.env.BENCH_SERVE_LOG_LEVEL ?? 'warn';
/** Longest wait for the workers to store what was accepted. */
const DRAIN_WAIT_MS = Number(process.env.BENCH_WEBHOOK_DRAIN_MS ?? 180_000);
const REPLAY_SHARE = 0.05;
/** BENCH_WEBHOOKS_E2E=0 skips 6c (for experiments on the accept path). */
const RUN_E2E = process.env.BENCH_WEBHOOKS_E2E !== '0';

let seq = 0;
/** New (not replayed) webhooks answered 2xx: each must end stored, exactly once. */
let answeredNew = 0;
const sent = [];

function sign(url, params) {
  let data = url;
  for (const name of Object.keys(params).sort()) data += name + params[name];
  return crypto.createHmac('sha1', AUTH_TOKEN).update(Buffer.from(data, 'utf8')).digest('base64');
}

/** autocannon requests: a new inbound text each time (new handset, new sid), 5% replays of an earlier one. */
function webhookRequests(pathName, signBase) {
  return [
    {
      method: 'POST',
      path: pathName,
      // One request at a time per connection: its context says whether the one in flight is new.
      onResponse: (status, _body, context) => {
        if (context.fresh && status >= 200 && status < 300) answeredNew++;
      },
      setupRequest: (req, context) => {
        let params;
        context.fresh = false;
        if (sent.length > 100 && Math.random() < REPLAY_SHARE) {
          params = sent[Math.floor(Math.random() * sent.length)];
        } else {
          context.fresh = true;
          const n = ++seq;
          params = {
            MessageSid: `SM${n.toString(16).padStart(32, '0')}`,
            AccountSid: ACCOUNT_SID,
            From: `+1555${String(n).padStart(7, '0')}`,
            To: DEMO_NUMBER,
            Body: 'Hi! Is this still available?',
            NumMedia: '0',
            NumSegments: '1',
            SmsStatus: 'received',
            ApiVersion: '2010-04-01',
          };
          if (sent.length < 50_000) sent.push(params);
        }
        return {
          ...req,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sign(`${signBase}${pathName}`, params) },
          body: new URLSearchParams(params).toString(),
        };
      },
    },
  ];
}


/** Counts of stored inbound Twilio messages and of inbound jobs still to run. */
async function openCounter(kind, url) {
  if (kind === 'postgres') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return {
      async counts() {
        const m = await client.query("select count(*)::int as n from messages where direction = 'inbound' and carrier = 'twilio'");
        const j = await client.query("select count(*)::int as n from jobs where kind = 'inbound.message' and state in ('pending', 'running')");
        return { stored: m.rows[0].n, pending: j.rows[0].n };
      },
      close: () => client.end(),
    };
  }
  const { default: SQLite } = await import('better-sqlite3');
  const db = new SQLite(url, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const m = db.prepare("select count(*) as n from messages where direction = 'inbound' and carrier = 'twilio'");
  const j = db.prepare("select count(*) as n from jobs where kind = 'inbound.message' and state in ('pending', 'running')");
  return { async counts() { return { stored: m.get().n, pending: j.get().n }; }, close: async () => db.close() };
}

/** Waits until no inbound job is left; returns when that happened (or the deadline passed). */
async function drained(counter, deadline) {
  for (;;) {
    const c = await counter.counts();
    // Read again once none is pending: the first read counted the messages before the jobs, and a
    // job that stored its message and finished between the two would be missing from that count.
    if (c.pending === 0) return { ...(await counter.counts()), at: Date.now(), complete: true };
    if (Date.now() > deadline) return { ...c, at: Date.now(), complete: false };
    await sleep(100);
  }
}

async function api(base, method, url, body) {
  const res = await globalThis.fetch(`${base}${url}`, { method, headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export async function benchTwilioWebhooks(kind, rows) {
  const processes = kind === 'postgres' ? 2 : 1;
  const database = kind === 'postgres' ? 'PostgreSQL' : 'SQLite';
  const started = [];
  const acceptDb = await freshDatabase(kind, 'webhooks_accept');
  const appDb = await freshDatabase(kind, 'webhooks_e2e');
  let counter;
  try {
    // --- baseline: the bare HMAC route
    const bareUrls = [];
    for (let i = 0; i < processes; i++) {
      const port = await freePort();
      const child = startChild(`bare-hmac(${kind})#${i}`, path.join(BENCH_DIR, 'bare-hmac-server.js'), [], { PORT: String(port), AUTH_TOKEN, PUBLIC_BASE });
      started.push(child);
      await waitForMessage(child, 'ready');
      bareUrls.push(`http://${HOST}:${port}`);
    }
    const bareChildren = [...started];
    const bareRequests = webhookRequests('/twilio/messages', PUBLIC_BASE);
    log(`${database}: bare Fastify + HMAC, ${processes} process(es), ${CONNECTIONS} connections, ${SECONDS} s`);
    await warmUp({ url: bareUrls, connections: CONNECTIONS, requests: bareRequests });
    const bare = await measured({ url: bareUrls, connections: CONNECTIONS, duration: SECONDS, requests: bareRequests }, bareChildren);
    log(`  bare: ${summary(bare)}; ${bare.cpuText}`);
    rows.push({
      scenario: `6a. bare Fastify route + X-Twilio-Signature HMAC check, no database, saturation (${processes} proc, ${CONNECTIONS} conn)`,
      database,
      result: `${summary(bare)}; ${bare.cpuText}`,
      baseline: '(is the baseline)',
      ratio: '—',
      target: '—',
    });
    await Promise.allSettled(bareChildren.map((c) => stopChild(c)));

    // --- Textback: `textback serve` with a Twilio account owning the demo number; first with the
    // workers off (the webhook path alone: signature, de-duplication, enqueue), then, on a fresh
    // database, with them on (end to end: the workers store every message as it comes).
    const startApp = async (db, workers) => {
      const urls = [];
      const children = [];
      let accountId;
      for (let i = 0; i < processes; i++) {
        const port = await freePort();
        const child = startChild(`textback serve(${kind}, workers ${workers ? 'on' : 'off'})#${i}`, path.join(ROOT, 'packages/server/dist/cli/main.js'), ['serve'], {
          PORT: String(port),
          HOST,
          DATABASE_URL: db.url,
          TEXTBACK_WORKERS: workers ? 'true' : 'false',
          TEXTBACK_API_KEY: API_KEY,
          TEXTBACK_DEMO: 'true',
          TEXTBACK_SECRET_KEY: crypto.createHash('sha256').update('bench').digest('base64'),
          LOG_LEVEL: SERVE_LOG_LEVEL,
          PG_POOL_SIZE: '10',
        });
        started.push(child);
        children.push(child);
        await waitForHttp(child, `http://${HOST}:${port}/health`);
        const base = `http://${HOST}:${port}`;
        urls.push(base);
        if (i === 0) {
          const account = await api(base, 'POST', '/v1/carrier-accounts', {
            kind: 'twilio',
            public_base_url: PUBLIC_BASE,
            api_base_url: 'http://127.0.0.1:9',
            credentials: { account_sid: ACCOUNT_SID, auth_token: AUTH_TOKEN },
          });
          accountId = account.id;
          await api(base, 'POST', `/v1/carrier-accounts/${accountId}/import-numbers`, { numbers: [DEMO_NUMBER] });
        }
      }
      return { urls, children, requests: webhookRequests(`/webhooks/twilio/${accountId}/messages`, PUBLIC_BASE) };
    };

    // 6b: the webhook path alone.
    sent.length = 0;
    const accept = await startApp(acceptDb, false);
    log(`${database}: signed Twilio webhooks on textback serve, workers off, ${processes} process(es), LOG_LEVEL=${SERVE_LOG_LEVEL}`);
    await warmUp({ url: accept.urls, connections: CONNECTIONS, requests: accept.requests });
    await acceptDb.analyze(); // statistics as autovacuum keeps them in a running deployment (bench/lib.js)
    const accepted = await measured({ url: accept.urls, connections: CONNECTIONS, duration: SECONDS, requests: accept.requests }, accept.children);
    log(`  accept only: ${summary(accepted)}; ${accepted.cpuText}`);
    await Promise.allSettled(accept.children.map((c) => stopChild(c)));
    const acceptRatio = accepted.rps / bare.rps;
    rows.push({
      scenario: `6b. signed Twilio webhooks on textback serve, workers off: signature + de-duplication + enqueue, saturation (${processes} serve proc, ${CONNECTIONS} conn, ${Math.round(REPLAY_SHARE * 100)}% replays)`,
      database,
      result: `${summary(accepted)}; ${accepted.cpuText}`,
      baseline: `${fmtInt(bare.rps)} req/s (bare + HMAC)`,
      ratio: fmtPct(acceptRatio),
      target: `≥ 50% of bare: ${acceptRatio >= 0.5 && !accepted.non2xx && !accepted.errors ? 'PASS' : 'FAIL'}`,
    });

    // 6c: end to end, workers on.
    if (!RUN_E2E) return;
    sent.length = 0;
    const app = await startApp(appDb, true);
    counter = await openCounter(kind, appDb.url);
    log(`${database}: signed Twilio webhooks on textback serve, workers on (end to end), ${processes} process(es)`);
    await warmUp({ url: app.urls, connections: CONNECTIONS, requests: app.requests });
    await appDb.analyze();
    // Requests of the warm-up still in the servers when it stopped are enqueued a moment later.
    await sleep(1000);
    await drained(counter, Date.now() + DRAIN_WAIT_MS);
    const before = await counter.counts();
    const sentBefore = seq;
    const answeredBefore = answeredNew;
    const t0 = Date.now();
    const pids = app.children.map((c) => c.proc.pid);
    const cpu0 = cpuSnapshot(pids);
    const hooks = await measured({ url: app.urls, connections: CONNECTIONS, duration: SECONDS, requests: app.requests }, app.children);
    const acceptedEnd = Date.now();
    const done = await drained(counter, Date.now() + DRAIN_WAIT_MS);
    const stored = done.stored - before.stored;
    const fresh = seq - sentBefore;
    const answered = answeredNew - answeredBefore;
    log(`  end to end: ${summary(hooks)}; ${hooks.cpuText}`);
    log(`  stored ${stored} new messages (${answered} new webhooks answered, ${fresh} sent; the last ones cut off when the load stopped) in ${((done.at - t0) / 1000).toFixed(1)} s (accepting took ${((acceptedEnd - t0) / 1000).toFixed(1)} s)${done.complete ? '' : ' [drain deadline passed]'}`);
    // CPU per stored message over the whole run (accepting and storing), the workers included.
    const perMessage = cpuPerUnit(cpu0, cpuSnapshot(pids), Math.max(1, stored));
    const perMessageText = describeCpu(perMessage, { unit: 'msg' });
    log(`  per stored message (first request → last stored): ${perMessageText}`);
    const e2e = stored / ((done.at - t0) / 1000);
    // Every answered new webhook stored, and nothing more than what was sent (replays stored once).
    const exact = stored >= answered && stored <= fresh;
    rows.push({
      scenario: `6c. end to end, workers on: signed webhook → message stored with contact, conversation and event (first request → last stored; ${processes} serve proc)`,
      database,
      result: `${fmtInt(e2e)} msg/s stored (${fmtInt(stored)} new for ${fmtInt(answered)} answered in ${((done.at - t0) / 1000).toFixed(1)} s; replays stored once: ${exact ? 'yes' : 'NO'}); webhooks answered ${summary(hooks)}; whole run ${perMessageText}${done.complete ? '' : ' [not drained in time]'}`,
      baseline: `${fmtInt(bare.rps)} req/s (bare + HMAC)`,
      ratio: fmtPct(e2e / bare.rps),
      target: `≥ 50% of bare: ${e2e / bare.rps >= 0.5 && exact ? 'PASS' : 'FAIL'}`,
    });
  } finally {
    await counter?.close().catch(() => {});
    await Promise.allSettled(started.map((c) => stopChild(c)));
    await acceptDb.release();
    await appDb.release();
  }
}
