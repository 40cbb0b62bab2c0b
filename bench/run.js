/**
 * `npm run bench`: Textback's performance suite, on SQLite and on PostgreSQL.
 *
 *   1. bare baseline: Fastify + one INSERT per request;
 *   2. inbound webhook ingest on `textback serve` (saturation, then half of it);
 *   3. send throughput through the scheduler and the Twilio adapter to a local fake Twilio;
 *   4. scheduler lateness with 100,000 pending jobs (+ no-op throughput), against a bare claim loop;
 *   5. missed-call text-back through the automation engine: call → carrier latency, runs/s (bench/automations.js);
 *   6. signed Twilio inbound webhooks end to end, against a bare route with the same HMAC check (bench/twilio-webhooks.js);
 *   7. search: the first page of seven searches on 100,000 contacts, 1,000,000 texts and 200,000 calls, against hand-written SQL (bench/search.js).
 *   8. analytics endpoints for 90 days of a large organization, against one plain SQL aggregate (bench/analytics.js).
 *   9. webhook subscriptions: deliveries/s to a local receiver against a bare HTTP client, and the send path's CPU with one
 *      subscription against none (bench/webhook-deliveries.js).
 *  10. the reply agent's rule engine on its corpus: intent accuracy, callback times, keywords left to compliance (bench/reply-agent.js).
 *  11. the web app in Chromium on 10,000 conversations and 100,000 texts: inbox usable after navigation, an inbound text on screen
 *      after its webhook's answer, initial JavaScript gzipped (bench/web.js).
 *
 * `node bench/run.js [ingest|send|scheduler|automations|webhooks|search|analytics|deliveries|reply-agent|web ...]` runs only the scenarios named; such a
 * subset run prints its table but leaves bench/results.md (the full suite's) alone.
 *
 * Progress goes to stderr; one markdown table goes to stdout at the end and to bench/results.md.
 * Everything runs on 127.0.0.1; child processes are killed and databases dropped even on failure.
 * Settings: BENCH_PG_URL (admin URL, default postgres://postgres@127.0.0.1:5432/test),
 * BENCH_SECONDS (10), BENCH_CONNECTIONS (32), BENCH_SERVE_LOG_LEVEL (warn), BENCH_SEND_N (10,000),
 * BENCH_ONLY (comma list of ingest,send,scheduler,automations,webhooks,search,analytics,deliveries,reply-agent,web), BENCH_DATABASES (sqlite,postgres),
 * BENCH_SEARCH_CONTACTS (100,000; texts and calls follow at 10 and 2 per contact), BENCH_SEARCH_RUNS (50),
 * BENCH_ANALYTICS_CONTACTS / _TEXTS / _CALLS / _REPEAT (100,000 / 1,000,000 / 200,000 / 20),
 * BENCH_WEBHOOK_N (5,000), BENCH_WEBHOOK_TEXTS (2,000), BENCH_WEB_CONVERSATIONS (10,000), BENCH_WEB_RUNS (15), CHROMIUM_PATH (/usr/bin/chromium),
 * BENCH_CHILD_NODE_ARGS (extra node flags for the child processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { benchAnalytics } from './analytics.js';
import { benchAutomations } from './automations.js';
import { benchIngest } from './ingest.js';
import { BENCH_DIR, cleanupAll, log, PG_ADMIN_URL, ROOT, stopChild } from './lib.js';
import { benchScheduler } from './scheduler.js';
import { benchSearch } from './search.js';
import { benchSend, startFakeTwilio } from './send.js';
import { benchReplyAgent } from './reply-agent.js';
import { benchTwilioWebhooks } from './twilio-webhooks.js';
import { benchWebhookDeliveries } from './webhook-deliveries.js';
import { benchWeb } from './web.js';

const started = Date.now();
const loadBefore = os.loadavg();
const rows = [];
const SCENARIOS = ['ingest', 'send', 'scheduler', 'automations', 'webhooks', 'search', 'analytics', 'deliveries', 'reply-agent', 'web'];
const named = process.argv.slice(2);
for (const n of named) if (!SCENARIOS.includes(n)) throw new Error(`unknown scenario "${n}": choose among ${SCENARIOS.join(', ')}`);
const only = new Set(named.length ? named : (process.env.BENCH_ONLY ?? SCENARIOS.join(',')).split(','));
const kinds = (process.env.BENCH_DATABASES ?? 'sqlite,postgres').split(',');

let cleaningUp = false;
async function abort(signal) {
  if (cleaningUp) return;
  cleaningUp = true;
  log(`${signal}: cleaning up`);
  await cleanupAll();
  process.exit(130);
}
process.once('SIGINT', () => void abort('SIGINT'));
process.once('SIGTERM', () => void abort('SIGTERM'));

async function postgresVersion() {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const { rows: r } = await client.query('SHOW server_version');
    return r[0].server_version;
  } catch (error) {
    log(`PostgreSQL is not reachable at ${PG_ADMIN_URL} (${error.message}): its rows are skipped`);
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

const DB_LABEL = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

async function step(name, kind, fn) {
  const t = Date.now();
  try {
    await fn();
  } catch (error) {
    log(`${name} on ${kind} failed: ${error.stack ?? error}`);
    rows.push({
      scenario: `${name}: ERROR`,
      database: DB_LABEL[kind],
      result: `error: ${String(error.message ?? error).split('\n')[0].slice(0, 160)}`,
      baseline: '—',
      ratio: '—',
      target: 'FAIL',
    });
  } finally {
    log(`${name} on ${kind}: ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }
}

function table(rs) {
  const order = (r) => `${r.scenario.slice(0, 3)} ${r.database === 'SQLite' ? 0 : 1}`;
  const sorted = [...rs].sort((a, b) => order(a).localeCompare(order(b)));
  const cell = (s) => String(s).replace(/\|/g, '\\|');
  const lines = [
    '| scenario | database | result | baseline (same run) | ratio | target |',
    '|---|---|---|---|---|---|',
    ...sorted.map((r) => `| ${[r.scenario, r.database, r.result, r.baseline, r.ratio, r.target].map(cell).join(' | ')} |`),
  ];
  return lines.join('\n');
}

try {
  if (!fs.existsSync(path.join(ROOT, 'packages/server/dist/cli/main.js'))) throw new Error('packages/server/dist is missing: run `tsc -b` (npm run bench does)');
  const pgVersion = kinds.includes('postgres') ? await postgresVersion() : null;
  const active = kinds.filter((k) => k === 'sqlite' || (k === 'postgres' && pgVersion));

  if (only.has('ingest')) for (const kind of active) await step('1–2. bare baseline + ingest', kind, () => benchIngest(kind, rows));

  if (only.has('send')) {
    const fake = await startFakeTwilio();
    try {
      for (const kind of active) await step('3. send throughput', kind, () => benchSend(kind, fake.url, rows));
    } finally {
      await stopChild(fake.child);
    }
  }

  if (only.has('scheduler')) for (const kind of active) await step('4. scheduler lateness', kind, () => benchScheduler(kind, rows));

  if (only.has('automations')) for (const kind of active) await step('5. automations', kind, () => benchAutomations(kind, rows));

  if (only.has('webhooks')) for (const kind of active) await step('6. signed Twilio webhooks', kind, () => benchTwilioWebhooks(kind, rows));

  if (only.has('search')) for (const kind of active) await step('7. search', kind, () => benchSearch(kind, rows));
  if (only.has('analytics')) for (const kind of active) await step('8. analytics', kind, () => benchAnalytics(kind, rows));
  if (only.has('deliveries')) for (const kind of active) await step('9. webhook deliveries', kind, () => benchWebhookDeliveries(kind, rows));
  if (only.has('reply-agent')) benchReplyAgent(rows);
  if (only.has('web')) for (const kind of active) await step('11. web app', kind, () => benchWeb(kind, rows));

  const md = table(rows);
  const header = [
    '# Textback benchmark results',
    '',
    `Run ${new Date(started).toISOString()} in ${((Date.now() - started) / 1000).toFixed(0)} s by \`npm run bench\` on ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? 'unknown'}), ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, SQLite (better-sqlite3, WAL, synchronous=NORMAL)` +
      `${pgVersion ? `, PostgreSQL ${pgVersion} (synchronous_commit as configured)` : ', PostgreSQL not reachable'}.`,
    'The load generator (autocannon), the servers, the workers, the fake carrier and PostgreSQL share the same machine.',
    `Load average (1 min) before the run ${loadBefore[0].toFixed(2)}, after ${os.loadavg()[0].toFixed(2)}: anything else running on the machine competes with the benchmark.`,
    `Servers log at ${process.env.BENCH_SERVE_LOG_LEVEL ?? 'warn'}; ${process.env.BENCH_CONNECTIONS ?? 32} connections; ${process.env.BENCH_SECONDS ?? 10} s per saturation run after a 2 s warm-up.`,
    '',
  ].join('\n');
  if (named.length === 0) {
    fs.writeFileSync(path.join(BENCH_DIR, 'results.md'), `${header}\n${md}\n`);
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; written to bench/results.md`);
  } else {
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s (${named.join(', ')} only: bench/results.md left as it was)`);
  }
  process.stdout.write(`\n${md}\n`);
} catch (error) {
  log(`bench failed: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
