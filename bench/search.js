/**
 * Scenario 7: search (docs/search.md). A generated organization of 100,000 contacts, 1,000,000 texts
 * and 200,000 calls over 90 days (BENCH_SEARCH_CONTACTS sets the contacts; texts and calls follow at
 * 10 and 2 per contact), then, for each search below, the first page (50 contacts, newest first)
 * through Textback's search (parse, compile, query: `searchContacts`, in this process) against a
 * hand-written SQL query for the same question on the same connection: p95 of BENCH_SEARCH_RUNS
 * runs (50) after 3 warm-up runs. Target: p95 < 100 ms and within 2x the baseline.
 */
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import { loadConfig } from '../packages/server/dist/config/config.js';
import { createLogger } from '../packages/server/dist/support/logger.js';
import { createTextback } from '../packages/server/dist/textback.js';
import { createOrganization } from '../packages/server/dist/use-cases/organizations.js';
import { addNumber } from '../packages/server/dist/use-cases/numbers.js';
import { searchContacts } from '../packages/server/dist/use-cases/search.js';
import { fmtInt, fmtMs, freshDatabase, log, percentile } from './lib.js';

const CONTACTS = Number(process.env.BENCH_SEARCH_CONTACTS ?? 100_000);
const TEXTS_PER_CONTACT = 10;
const CALLS_PER_CONTACT = 2;
const RUNS = Number(process.env.BENCH_SEARCH_RUNS ?? 50);
const PAGE = 50;
const ZONE = 'America/New_York';
const DAYS = 90;
const DAY = 86_400_000;

/** Mulberry32: the same organization on every run and both databases. */
function generator(seed) {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ann', 'Bob', 'Carla', 'Dev', 'Eve', 'Farid', 'Gina', 'Hugo', 'Ines', 'Jon', 'Kim', 'Luis', 'Mia', 'Nora', 'Omar', 'Pia', 'Quinn', 'Rosa', 'Sam', 'Tara'];
const LAST = ['Lee', 'Smith', 'Garcia', 'Nguyen', 'Patel', 'Kowalski', 'Okafor', 'Rossi', 'Dubois', 'Jensen', 'Silva', 'Cohen', 'Tanaka', 'Murphy', 'Novak'];
const BODIES = [
  'Hi, do you fix water heaters?',
  'We can come tomorrow at 9. Does that work?',
  'Thanks for calling Demo Plumbing! How can we help?',
  'Your technician is on the way.',
  'Can you send a quote for the kitchen sink?',
  'Yes please',
  'What time works best for you?',
  'Reply STOP to opt out',
  'Sorry we missed your call. How can we help?',
  'The invoice is attached, thank you!',
];
/** The word of the full-text search: in about 1 text in 200. */
const RARE_WORD = 'boiler';

const pad = (n, w = 8) => String(n).padStart(w, '0');

/** Inserts rows as JSON batches: one parameter per batch on both databases. */
async function bulkInsert(kind, db, table, columns, rows) {
  const BATCH = 5000;
  for (let i = 0; i < rows.length; i += BATCH) {
    const json = JSON.stringify(rows.slice(i, i + BATCH));
    const cols = sql.join(columns.map((c) => sql.ref(c)));
    if (kind === 'postgres') {
      await sql`insert into ${sql.table(table)} (${cols}) select ${cols} from json_populate_recordset(null::${sql.table(table)}, ${json}::json)`.execute(db);
    } else {
      const values = sql.join(columns.map((c) => sql`json_extract(value, ${`$.${c}`})`));
      await sql`insert into ${sql.table(table)} (${cols}) select ${values} from json_each(${json})`.execute(db);
    }
  }
}

/** Stores `count` contacts (one conversation each) with 10 texts and 2 calls each, spread over the last 90 days. */
export async function generate(kind, tb, orgId, numberId, userId, now, count = CONTACTS) {
  const db = tb.ctx.db.kysely;
  const random = generator(15);
  const start = now - DAYS * DAY;
  const contacts = [];
  for (let i = 0; i < count; i++) {
    const created = Math.floor(start + (i + random()) * ((DAYS * DAY) / count));
    contacts.push({
      id: `ct_${pad(i)}`,
      org_id: orgId,
      e164: `+1415${2000000 + i}`,
      name: random() < 0.1 ? null : `${FIRST[Math.floor(random() * FIRST.length)]} ${LAST[Math.floor(random() * LAST.length)]}`,
      source: random() < 0.5 ? 'inbound_call' : 'lead',
      time_zone: null,
      attributes: '{}',
      created_at: created,
      updated_at: created,
    });
  }
  const conversations = contacts.map((c, i) => ({
    id: `cnv_${pad(i)}`,
    org_id: orgId,
    contact_id: c.id,
    number_id: numberId,
    status: random() < 0.3 ? 'open' : 'closed',
    assigned_user_id: random() < 0.3 ? userId : null,
    assigned_team_id: null,
    unread_count: random() < 0.1 ? 1 : 0,
    last_message_at: now,
    created_at: c.created_at,
    updated_at: c.created_at,
  }));
  await bulkInsert(kind, db, 'contacts', Object.keys(contacts[0]), contacts);
  await bulkInsert(kind, db, 'conversations', Object.keys(conversations[0]), conversations);
  log(`  ${fmtInt(count)} contacts and their conversations stored`);

  let messages = [];
  let calls = [];
  let storedMessages = 0;
  const flush = async (force) => {
    if (messages.length >= 50_000 || (force && messages.length)) {
      await bulkInsert(kind, db, 'messages', Object.keys(messages[0]), messages);
      storedMessages += messages.length;
      messages = [];
    }
    if (calls.length >= 50_000 || (force && calls.length)) {
      await bulkInsert(kind, db, 'calls', Object.keys(calls[0]), calls);
      calls = [];
    }
  };
  for (let i = 0; i < count; i++) {
    const c = contacts[i];
    const span = now - c.created_at;
    for (let j = 0; j < TEXTS_PER_CONTACT; j++) {
      const inbound = j % 3 === 1;
      const r = random();
      const status = inbound ? 'received' : r < 0.04 ? 'failed' : r < 0.06 ? 'undelivered' : r < 0.9 ? 'delivered' : 'sent';
      const created = Math.floor(c.created_at + random() * span);
      messages.push({
        id: `msg_${pad(i)}_${pad(j, 2)}`,
        org_id: orgId,
        conversation_id: conversations[i].id,
        contact_id: c.id,
        number_id: numberId,
        direction: inbound ? 'inbound' : 'outbound',
        from_e164: inbound ? c.e164 : '+14159434591',
        to_e164: inbound ? '+14159434591' : c.e164,
        body: `${BODIES[Math.floor(random() * BODIES.length)]}${random() < 0.005 ? ` ${RARE_WORD}` : ''}`,
        media: null,
        status,
        reason: status === 'failed' || status === 'undelivered' ? 'landline_or_unreachable' : null,
        error_code: status === 'failed' ? '30006' : null,
        encoding: 'GSM-7',
        segments: 1,
        carrier: 'sandbox',
        carrier_message_id: null,
        idempotency_key: null,
        created_by_type: inbound ? 'contact' : 'user',
        created_by_id: null,
        scheduled_at: null,
        sent_at: null,
        delivered_at: null,
        failed_at: null,
        created_at: created,
        updated_at: created,
        automation_run_id: null,
        variant_id: null,
        rule: null,
        held_until: null,
        flags: null,
        automated: 0,
        purpose: null,
        send_slot_at: null,
      });
    }
    for (let j = 0; j < CALLS_PER_CONTACT; j++) {
      const r = random();
      const created = Math.floor(c.created_at + random() * span);
      calls.push({
        id: `call_${pad(i)}_${j}`,
        org_id: orgId,
        contact_id: c.id,
        number_id: numberId,
        direction: 'inbound',
        from_e164: c.e164,
        to_e164: '+14159434591',
        status: r < 0.3 ? 'no-answer' : 'completed',
        duration_s: r < 0.3 ? 0 : Math.floor(random() * 600),
        answered_by: null,
        outcome: r < 0.3 ? 'missed' : r < 0.4 ? 'voicemail' : 'answered',
        outcome_reason: null,
        carrier: 'sandbox',
        external_id: null,
        started_at: created,
        ended_at: created,
        created_at: created,
        extension: null,
      });
    }
    await flush(false);
    if (i > 0 && i % Math.max(1, Math.floor(count / 4)) === 0) log(`  ${fmtInt(storedMessages)} texts stored`);
  }
  await flush(true);
  log(`  ${fmtInt(count * TEXTS_PER_CONTACT)} texts and ${fmtInt(count * CALLS_PER_CONTACT)} calls stored`);
  return contacts;
}

async function p95Of(fn) {
  for (let i = 0; i < 3; i++) await fn();
  const times = [];
  let rows = 0;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    rows = await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p95: percentile(times, 95), p50: percentile(times, 50), rows };
}

/** Appends rows for one database kind. */
export async function benchSearch(kind, rows) {
  const database = kind === 'postgres' ? 'PostgreSQL' : 'SQLite';
  const db = await freshDatabase(kind, 'search');
  let tb;
  try {
    tb = await createTextback({ config: loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'warn', PG_POOL_SIZE: '4' }), logger: createLogger('warn') });
    const { org, owner } = await createOrganization(tb.ctx, { name: 'Search bench', ownerEmail: 'owner@example.com', timeZone: ZONE });
    const number = await addNumber(tb.ctx, org.id, { e164: '+14159434591', name: 'Main' });
    const now = Date.now();
    log(`${database}: search: generating ${fmtInt(CONTACTS)} contacts, ${fmtInt(CONTACTS * TEXTS_PER_CONTACT)} texts, ${fmtInt(CONTACTS * CALLS_PER_CONTACT)} calls`);
    const t0 = Date.now();
    const contacts = await generate(kind, tb, org.id, number.id, owner.id, now);
    // A running deployment has statistics (autovacuum); a bulk load not yet. SQLite plans from its indexes.
    if (kind === 'postgres') await sql`ANALYZE`.execute(tb.ctx.db.kysely);
    log(`  generated in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

    const k = tb.ctx.db.kysely;
    const principal = { orgId: org.id, userId: owner.id, role: 'owner', apiKeyId: 'bench' };
    const local = DateTime.fromMillis(now, { zone: ZONE }).startOf('day');
    const today = [local.toMillis(), local.plus({ days: 1 }).toMillis()];
    const yesterday = [local.minus({ days: 1 }).toMillis(), local.toMillis()];
    const target = contacts[Math.floor(CONTACTS / 2)];
    const national = target.e164.slice(2);
    const phoneQuery = `(${national.slice(0, 3)}) ${national.slice(3, 6)}-${national.slice(6)}`;
    const errors = sql`('failed', 'undelivered')`;
    const page = sql`order by c.created_at desc, c.id desc limit ${PAGE + 1}`;
    const orgId = org.id;

    const cases = [
      {
        query: 'failed_sms > 1',
        baseline: sql`select c.* from contacts c where c.org_id = ${orgId} and (select count(*) from messages m where m.contact_id = c.id and m.direction = 'outbound' and m.status in ${errors}) > 1 ${page}`,
      },
      {
        query: 'has:error_sms_messages',
        baseline: sql`select c.* from contacts c where c.org_id = ${orgId} and exists (select 1 from messages m where m.contact_id = c.id and m.direction = 'outbound' and m.status in ${errors}) ${page}`,
      },
      {
        query: 'sms(created:today direction:outgoing status:error)',
        baseline: sql`select c.* from contacts c where c.org_id = ${orgId} and c.id in (select m.contact_id from messages m where m.org_id = ${orgId} and m.created_at >= ${today[0]} and m.created_at < ${today[1]} and m.direction = 'outbound' and m.status in ${errors}) ${page}`,
      },
      {
        query: 'latest_sms_status:error',
        baseline: sql`select c.* from contacts c where c.org_id = ${orgId} and (select m.status from messages m where m.contact_id = c.id and m.direction = 'outbound' order by m.created_at desc limit 1) in ${errors} ${page}`,
      },
      { label: `phone ${phoneQuery}`, query: phoneQuery, baseline: sql`select c.* from contacts c where c.org_id = ${orgId} and c.e164 = ${target.e164} ${page}` },
      {
        label: `word "${RARE_WORD}"`,
        query: RARE_WORD,
        baseline: sql`select c.* from contacts c where c.org_id = ${orgId} and (lower(coalesce(c.name, '')) like ${`%${RARE_WORD}%`} or exists (select 1 from messages m where m.contact_id = c.id and lower(m.body) like ${`%${RARE_WORD}%`})) ${page}`,
      },
      {
        query: 'call(status:missed created:yesterday) not sms(direction:outgoing created:yesterday)',
        baseline: sql`select c.* from contacts c where c.org_id = ${orgId}
          and c.id in (select k.contact_id from calls k where k.org_id = ${orgId} and k.outcome = 'missed' and k.created_at >= ${yesterday[0]} and k.created_at < ${yesterday[1]})
          and c.id not in (select m.contact_id from messages m where m.org_id = ${orgId} and m.direction = 'outbound' and m.created_at >= ${yesterday[0]} and m.created_at < ${yesterday[1]}) ${page}`,
      },
    ];

    for (const c of cases) {
      const ours = await p95Of(async () => (await searchContacts(tb.ctx, principal, { query: c.query, limit: PAGE })).data.length);
      const bare = await p95Of(async () => Math.min(PAGE, (await c.baseline.execute(k)).rows.length));
      const ratio = ours.p95 / bare.p95;
      const same = ours.rows === bare.rows ? '' : ` (baseline ${bare.rows} rows: NOT THE SAME)`;
      log(`  ${c.label ?? c.query}: p95 ${fmtMs(ours.p95)} vs ${fmtMs(bare.p95)}, ${ours.rows} rows${same}`);
      rows.push({
        scenario: `7. search, first page of ${PAGE} among ${fmtInt(CONTACTS)} contacts: ${c.label ?? c.query}`,
        database,
        result: `p95 ${fmtMs(ours.p95)} (p50 ${fmtMs(ours.p50)}), ${ours.rows} rows${same}`,
        baseline: `hand-written SQL p95 ${fmtMs(bare.p95)} (p50 ${fmtMs(bare.p50)})`,
        ratio: `${ratio.toFixed(2)}×`,
        target: `p95 < 100 ms and ≤ 2× baseline: ${ours.p95 < 100 && ratio <= 2 && !same ? 'PASS' : 'FAIL'}`,
      });
    }
  } finally {
    if (tb) await tb.close().catch(() => {});
    await db.release();
  }
}
