/**
 * Scenarios 1 and 2: the bare baseline (Fastify + one INSERT per request) and inbound webhook
 * ingest (`POST /v1/sandbox/webhooks/messages` on `textback serve` processes), at saturation and at half of
 * the ingest saturation rate. 1 process on SQLite, 2 on PostgreSQL (autocannon spreads its
 * connections over the two ports).
 */
import path from 'node:path';
import {
  BENCH_DIR,
  describeErrors,
  fmtInt,
  fmtMs,
  fmtPct,
  freePort,
  freshDatabase,
  HOST,
  load,
  log,
  ROOT,
  startChild,
  stopChild,
  waitForHttp,
  waitForMessage,
  warmUp,
  measured,
  summary,
} from './lib.js';

export const API_KEY = 'tbk_bench_0123456789abcdefghijklmnop';
const DEMO_NUMBER = '+14159434591';

const SATURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const HALF_RATE_SECONDS = Number(process.env.BENCH_HALF_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** Log level of the `serve` processes (pino request logs at info cost real CPU; see results.md). */
const SERVE_LOG_LEVEL = process.env.BENCH_SERVE_LOG_LEVEL ?? 'warn';

/** A new handset for every request, so every request creates a contact and a conversation. */
let handsetSeq = 0;
const nextHandset = () => `+1555${String(++handsetSeq).padStart(7, '0')}`;

function inboundRequests(pathName, headers) {
  return [
    {
      method: 'POST',
      path: pathName,
      headers: { 'content-type': 'application/json', ...headers },
      setupRequest: (req) => ({ ...req, body: JSON.stringify({ from: nextHandset(), to: DEMO_NUMBER, body: 'Hi! Is this still available?' }) }),
    },
  ];
}


/** Appends table rows for one database kind to `rows` (kept even if a later step fails). */
export async function benchIngest(kind, rows) {
  const processes = kind === 'postgres' ? 2 : 1;
  const database = kind === 'postgres' ? 'PostgreSQL' : 'SQLite';
  const started = [];
  const bareDb = await freshDatabase(kind, 'bare');
  const appDb = await freshDatabase(kind, 'ingest');
  try {
    // --- 1. the bare baseline
    const bareUrls = [];
    for (let i = 0; i < processes; i++) {
      const port = await freePort();
      const child = startChild(`bare-server(${kind})#${i}`, path.join(BENCH_DIR, 'bare-server.js'), [], {
        PORT: String(port),
        DATABASE_URL: bareDb.url,
        BARE_CREATE: i === 0 ? '1' : '0',
        PG_POOL_SIZE: '10',
      });
      started.push(child);
      await waitForMessage(child, 'ready');
      bareUrls.push(`http://${HOST}:${port}`);
    }
    const bareRequests = inboundRequests('/messages', {});
    log(`${database}: bare baseline, ${processes} process(es), ${CONNECTIONS} connections, ${SATURATION_SECONDS} s`);
    await warmUp({ url: bareUrls, connections: CONNECTIONS, requests: bareRequests });
    await bareDb.analyze(); // statistics as autovacuum keeps them in a running deployment (bench/lib.js)
    const bareChildren = [...started];
    const bare = await measured({ url: bareUrls, connections: CONNECTIONS, duration: SATURATION_SECONDS, requests: bareRequests }, bareChildren);
    log(`  bare: ${summary(bare)}; ${bare.cpuText}`);
    rows.push({
      scenario: `1. bare Fastify route + 1 INSERT, saturation (${processes} proc, ${CONNECTIONS} conn)`,
      database,
      result: `${summary(bare)}; ${bare.cpuText}`,
      baseline: '(is the baseline)',
      ratio: '—',
      target: '—',
    });

    // --- 2. ingest on `textback serve`
    const appUrls = [];
    for (let i = 0; i < processes; i++) {
      const port = await freePort();
      const child = startChild(`textback serve(${kind})#${i}`, path.join(ROOT, 'packages/server/dist/cli/main.js'), ['serve'], {
        PORT: String(port),
        HOST,
        DATABASE_URL: appDb.url,
        TEXTBACK_WORKERS: 'false',
        TEXTBACK_API_KEY: API_KEY,
        TEXTBACK_DEMO: 'true',
        LOG_LEVEL: SERVE_LOG_LEVEL,
        PG_POOL_SIZE: '10',
      });
      started.push(child);
      // One at a time: the first creates the schema and the demo organization.
      await waitForHttp(child, `http://${HOST}:${port}/health`);
      appUrls.push(`http://${HOST}:${port}`);
    }
    const appRequests = inboundRequests('/v1/sandbox/webhooks/messages', { authorization: `Bearer ${API_KEY}` });
    log(`${database}: ingest POST /v1/sandbox/webhooks/messages (accept + enqueue; workers off), ${processes} serve process(es), LOG_LEVEL=${SERVE_LOG_LEVEL}`);
    await warmUp({ url: appUrls, connections: CONNECTIONS, requests: appRequests });
    await appDb.analyze();
    const appChildren = started.filter((c) => !bareChildren.includes(c));
    const ingest = await measured({ url: appUrls, connections: CONNECTIONS, duration: SATURATION_SECONDS, requests: appRequests }, appChildren);
    log(`  ingest: ${summary(ingest)}; ${ingest.cpuText}`);
    const ratio = ingest.rps / bare.rps;
    rows.push({
      scenario: `2a. ingest POST /v1/sandbox/webhooks/messages (accept + enqueue; workers off), saturation (${processes} serve proc, ${CONNECTIONS} conn)`,
      database,
      result: `${summary(ingest)}; ${ingest.cpuText}`,
      baseline: `${fmtInt(bare.rps)} req/s (bare)`,
      ratio: fmtPct(ratio),
      target: `≥ 50% of bare: ${ratio >= 0.5 && !ingest.non2xx && !ingest.errors ? 'PASS' : 'FAIL'}`,
    });

    const rate = Math.max(1, Math.floor(ingest.rps / 2));
    log(`  ingest at half saturation: ${rate} req/s for ${HALF_RATE_SECONDS} s`);
    const half = await load({ url: appUrls, connections: CONNECTIONS, duration: HALF_RATE_SECONDS, overallRate: rate, requests: appRequests });
    log(`  ingest @${rate}/s: ${summary(half)}`);
    const bareHalf = await load({ url: bareUrls, connections: CONNECTIONS, duration: HALF_RATE_SECONDS, overallRate: rate, requests: bareRequests });
    log(`  bare @${rate}/s: ${summary(bareHalf)}`);
    rows.push({
      scenario: `2b. ingest at half of saturation (${fmtInt(rate)} req/s offered)`,
      database,
      result: `p99 ${fmtMs(half.p99)} (p50 ${fmtMs(half.p50)}, ${fmtInt(half.rps)} req/s done)${describeErrors(half)}`,
      baseline: `bare at the same rate: p99 ${fmtMs(bareHalf.p99)} (p50 ${fmtMs(bareHalf.p50)})`,
      ratio: `${(half.p99 / bareHalf.p99).toFixed(1)}× bare p99`,
      target: `p99 < 25 ms: ${half.p99 < 25 && !half.non2xx && !half.errors ? 'PASS' : 'FAIL'}`,
    });
  } finally {
    await Promise.allSettled(started.map((c) => stopChild(c)));
    await bareDb.release();
    await appDb.release();
  }
}
