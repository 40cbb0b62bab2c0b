/**
 * Scenario 7: analytics on a large organization. Loads a history (BENCH_ANALYTICS_CONTACTS contacts,
 * default 100,000; BENCH_ANALYTICS_TEXTS texts, 1,000,000; BENCH_ANALYTICS_CALLS calls, 200,000, over
 * 120 days) straight into the tables of a `textback serve`'s database, then asks each
 * /v1/analytics endpoint for the last 90 days BENCH_ANALYTICS_REPEAT times (20) one after another
 * (after one warm-up request) and reports p95. The baseline, in the same run: one plain SQL aggregate over the raw tables
 * (texts by status and calls by outcome in the range), timed the same way from this process.
 */
import path from 'node:path';
import pg from 'pg';
import { fmtInt, fmtMs, freshDatabase, HOST, freePort, log, percentile, ROOT, startChild, stopChild, waitForHttp } from './lib.js';

const API_KEY = 'tbk_bench_analytics_0123456789abcdefghij';
const CONTACTS = Number(process.env.BENCH_ANALYTICS_CONTACTS ?? 100_000);
const TEXTS = Number(process.env.BENCH_ANALYTICS_TEXTS ?? 1_000_000);
const CALLS = Number(process.env.BENCH_ANALYTICS_CALLS ?? 200_000);
const REPEAT = Number(process.env.BENCH_ANALYTICS_REPEAT ?? 20);
const DAY = 86_400_000;
const TARGET_MS = 200;

function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Batched INSERTs: better-sqlite3 prepared statements in one transaction per batch, or multi-row INSERTs on PostgreSQL. */
async function openWriter(kind, url) {
  if (kind === 'sqlite') {
    const { default: SQLite } = await import('better-sqlite3');
    const db = new SQLite(url);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const statements = new Map();
    return {
      async insert(table, columns, rows) {
        const key = `${table}:${columns.join(',')}`;
        if (!statements.has(key)) statements.set(key, db.prepare(`insert into ${table} (${columns.join(',')}) values (${columns.map(() => '?').join(',')})`));
        const st = statements.get(key);
        db.transaction((rs) => {
          for (const r of rs) st.run(r);
        })(rows);
      },
      async query(text, params) {
        return db.prepare(text.replace(/\$(\d+)/g, '@p$1')).all(Object.fromEntries(params.map((v, i) => [`p${i + 1}`, v])));
      },
      async analyze() {
        db.exec('ANALYZE');
      },
      async close() {
        db.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    async insert(table, columns, rows) {
      const per = Math.max(1, Math.floor(30_000 / columns.length));
      for (let i = 0; i < rows.length; i += per) {
        const chunk = rows.slice(i, i + per);
        const params = [];
        const values = chunk.map((r) => `(${r.map((v) => (params.push(v), `$${params.length}`)).join(',')})`);
        await client.query(`insert into ${table} (${columns.join(',')}) values ${values.join(',')}`, params);
      }
    },
    async query(text, params) {
      return (await client.query(text, params)).rows;
    },
    async analyze() {
      await client.query('ANALYZE');
    },
    async close() {
      await client.end();
    },
  };
}

const MSG_COLUMNS = ['id', 'org_id', 'conversation_id', 'contact_id', 'number_id', 'direction', 'from_e164', 'to_e164', 'body', 'status', 'reason', 'error_code', 'encoding', 'segments', 'carrier', 'created_by_type', 'created_by_id', 'sent_at', 'created_at', 'updated_at', 'automation_run_id', 'variant_id', 'rule', 'automated'];

/** Writes the history; returns the automation id of the A/B experiment. */
async function loadHistory(w, orgId, numberId, numberE164, now) {
  const rnd = seeded(7);
  const start = now - 120 * DAY;
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const e164 = (i) => `+1555${String(i).padStart(7, '0')}`;
  const BATCH = 5000;
  let buffer = [];
  const flushContacts = async () => {
    await w.insert('contacts', ['id', 'org_id', 'e164', 'source', 'attributes', 'created_at', 'updated_at'], buffer.map((r) => r[0]));
    await w.insert('conversations', ['id', 'org_id', 'contact_id', 'number_id', 'status', 'unread_count', 'created_at', 'updated_at'], buffer.map((r) => r[1]));
    buffer = [];
  };
  for (let i = 0; i < CONTACTS; i++) {
    buffer.push([
      [`con_b${i}`, orgId, e164(i), pick(['google', 'facebook', 'referral', null]), '{}', start, start],
      [`cnv_b${i}`, orgId, `con_b${i}`, numberId, 'open', 0, start, start],
    ]);
    if (buffer.length >= BATCH) await flushContacts();
  }
  if (buffer.length) await flushContacts();
  const automationId = 'aut_bench_ab';
  await w.insert('automations', ['id', 'org_id', 'name', 'state', 'priority', 'trigger_type', 'document', 'created_at', 'updated_at'], [
    [automationId, orgId, 'Missed-call text-back (A/B)', 'active', 0, 'call.missed', JSON.stringify({ steps: [{ id: 's1', type: 'send_sms', variants: [{ id: 'a', template: 'a', weight: 1 }, { id: 'b', template: 'b', weight: 1 }] }] }), start, start],
  ]);

  let calls = [];
  let runs = [];
  let messages = [];
  let texts = 0;
  let seq = 0;
  const flush = async (force) => {
    if (force || calls.length >= BATCH) {
      await w.insert('calls', ['id', 'org_id', 'contact_id', 'number_id', 'direction', 'from_e164', 'to_e164', 'status', 'outcome', 'carrier', 'created_at'], calls);
      calls = [];
    }
    if (force || runs.length >= BATCH) {
      await w.insert('automation_runs', ['id', 'org_id', 'automation_id', 'contact_id', 'number_id', 'trigger_type', 'event_id', 'event', 'priority', 'status', 'run_state', 'created_at', 'updated_at'], runs);
      runs = [];
    }
    if (force || messages.length >= BATCH) {
      await w.insert('messages', MSG_COLUMNS, messages);
      messages = [];
    }
  };
  const message = (c, direction, at, extra = {}) => {
    texts++;
    const m = {
      id: `msg_b${++seq}`,
      status: direction === 'inbound' ? 'received' : 'delivered',
      reason: null,
      error_code: null,
      created_by_type: direction === 'inbound' ? 'contact' : 'user',
      created_by_id: direction === 'inbound' ? null : 'usr_bench_agent',
      sent_at: direction === 'inbound' ? null : at + 1000,
      automation_run_id: null,
      variant_id: null,
      rule: null,
      automated: 0,
      ...extra,
    };
    messages.push([m.id, orgId, `cnv_b${c}`, `con_b${c}`, numberId, direction, direction === 'inbound' ? e164(c) : numberE164, direction === 'inbound' ? numberE164 : e164(c), 'x', m.status, m.reason, m.error_code, 'GSM-7', 1, 'sandbox', m.created_by_type, m.created_by_id, m.sent_at, at, at, m.automation_run_id, m.variant_id, m.rule, m.automated]);
  };
  for (let j = 0; j < CALLS; j++) {
    const c = Math.floor(rnd() * CONTACTS);
    const at = start + Math.floor(rnd() * 120 * DAY);
    const r = rnd();
    const outcome = r < 0.5 ? 'missed' : r < 0.6 ? 'voicemail' : r < 0.95 ? 'answered' : 'too_short';
    calls.push([`call_b${j}`, orgId, `con_b${c}`, numberId, 'inbound', e164(c), numberE164, outcome === 'answered' ? 'completed' : 'no-answer', outcome, 'sandbox', at]);
    if ((outcome === 'missed' || outcome === 'voicemail') && texts < TEXTS) {
      const runId = `run_b${j}`;
      runs.push([runId, orgId, automationId, `con_b${c}`, numberId, 'call.missed', `evt_${j}`, '{}', 0, 'completed', '{}', at, at]);
      const variant = rnd() < 0.5 ? 'a' : 'b';
      const f = rnd();
      const status = f < 0.85 ? 'delivered' : f < 0.93 ? 'failed' : f < 0.97 ? 'blocked' : 'sent';
      message(c, 'outbound', at + 15_000, {
        status,
        created_by_type: 'automation',
        created_by_id: null,
        sent_at: status === 'blocked' ? null : at + 16_000,
        automation_run_id: runId,
        variant_id: variant,
        automated: 1,
        reason: status === 'failed' ? 'landline_or_unreachable' : status === 'blocked' ? 'opted_out' : null,
        error_code: status === 'failed' ? '30006' : null,
        rule: status === 'blocked' ? 'CONSENT' : null,
      });
      if (status === 'delivered' && rnd() < (variant === 'a' ? 0.18 : 0.22) && texts < TEXTS) {
        const replyAt = at + 16_000 + Math.floor(rnd() * 6 * 3_600_000);
        message(c, 'inbound', replyAt);
        if (rnd() < 0.5 && texts < TEXTS) message(c, 'outbound', replyAt + Math.floor(rnd() * 3_600_000));
      }
    }
    await flush(false);
  }
  // The rest of the texts: conversations between agents and contacts.
  while (texts < TEXTS) {
    const c = Math.floor(rnd() * CONTACTS);
    const at = start + Math.floor(rnd() * 120 * DAY);
    message(c, rnd() < 0.5 ? 'inbound' : 'outbound', at);
    if (messages.length >= BATCH) await flush(false);
  }
  await flush(true);
  return automationId;
}

async function timed(fn) {
  await fn(); // warm-up: statements prepared, code compiled
  const times = [];
  for (let i = 0; i < REPEAT; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

export async function benchAnalytics(kind, rows) {
  const database = kind === 'postgres' ? 'PostgreSQL' : 'SQLite';
  const db = await freshDatabase(kind, 'analytics');
  let child;
  let w;
  try {
    const port = await freePort();
    child = startChild(`textback serve(analytics, ${kind})`, path.join(ROOT, 'packages/server/dist/cli/main.js'), ['serve'], {
      PORT: String(port),
      HOST,
      DATABASE_URL: db.url,
      TEXTBACK_WORKERS: 'false',
      TEXTBACK_API_KEY: API_KEY,
      TEXTBACK_DEMO: 'true',
      LOG_LEVEL: 'warn',
    });
    const base = `http://${HOST}:${port}`;
    await waitForHttp(child, `${base}/health`);
    w = await openWriter(kind, db.url);
    const [org] = await w.query('select id from organizations', []);
    const [number] = await w.query('select id, e164 from phone_numbers where org_id = $1', [org.id]);
    const now = Date.now();
    log(`${database}: loading ${fmtInt(CONTACTS)} contacts, ${fmtInt(TEXTS)} texts, ${fmtInt(CALLS)} calls`);
    const loadStart = Date.now();
    const automationId = await loadHistory(w, org.id, number.id, number.e164, now);
    await w.analyze();
    log(`  loaded in ${((Date.now() - loadStart) / 1000).toFixed(0)} s`);

    const from = new Date(now - 90 * DAY).toISOString();
    const to = new Date(now).toISOString();
    const range = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    // The baseline: one plain aggregate over the raw tables for the same range.
    const fromMs = now - 90 * DAY;
    const baseline = await timed(async () => {
      await w.query(
        `select (select count(*) from calls where org_id = $1 and created_at >= $2 and created_at < $3 and outcome in ('missed', 'voicemail')) as missed,
                (select count(*) from messages where org_id = $1 and created_at >= $2 and created_at < $3 and direction = 'outbound' and status = 'delivered') as delivered`,
        [org.id, fromMs, now],
      );
    });
    log(`  baseline SQL aggregate: p95 ${fmtMs(baseline.p95)}`);
    const endpoints = ['summary', 'timeseries?by=day&', 'breakdown?by=variant&', 'funnel?', 'heatmap?', `experiments/${automationId}?`];
    for (const e of endpoints) {
      const url = `${base}/v1/analytics/${e.includes('?') ? e : `${e}?`}${range}`;
      let status = 0;
      const t = await timed(async () => {
        const res = await globalThis.fetch(url, { headers: { authorization: `Bearer ${API_KEY}` } });
        await res.arrayBuffer();
        status = res.status;
      });
      const name = `/v1/analytics/${e.replace(/[?&]$/, '')}`;
      log(`  ${name}: p95 ${fmtMs(t.p95)} (status ${status})`);
      rows.push({
        scenario: `7. analytics ${name}, 90 days (${fmtInt(CONTACTS)} contacts, ${fmtInt(TEXTS)} texts, ${fmtInt(CALLS)} calls; ${REPEAT} sequential requests)`,
        database,
        result: `p95 ${fmtMs(t.p95)} (p50 ${fmtMs(t.p50)})${status === 200 ? '' : `, HTTP ${status}`}`,
        baseline: `one SQL aggregate: p95 ${fmtMs(baseline.p95)}`,
        ratio: `${(t.p95 / baseline.p95).toFixed(1)}×`,
        target: `p95 < ${TARGET_MS} ms: ${t.p95 < TARGET_MS && status === 200 ? 'PASS' : 'FAIL'}`,
      });
    }
  } finally {
    await w?.close();
    if (child) await stopChild(child);
    await db.release();
  }
}
