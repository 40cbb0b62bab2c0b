/**
 * Benchmark (not a test): compliance gate decisions per second in one process. Issue 4's target:
 * over 20,000/s. Measures the decision itself (`decide`, pure: country, line type, suppression,
 * consent, caps, quiet hours with state rules in the recipient's zone) over a mix of recipients and
 * instants (cold: a new minute each time; traffic: a thousand decisions per minute), then the whole
 * gate with its database reads on SQLite (`checkGate`).
 *
 *   npx tsc -b && node bench/gate-decisions.js
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { noSignals } from '../packages/server/dist/app-context.js';
import { loadConfig } from '../packages/server/dist/config/config.js';
import { openDatabase } from '../packages/server/dist/db/database.js';
import { migrateToLatest } from '../packages/server/dist/db/migrate.js';
import { systemClock } from '../packages/server/dist/support/clock.js';
import { createLogger } from '../packages/server/dist/support/logger.js';
import { checkGate, decide } from '../packages/server/dist/use-cases/compliance/gate.js';
import { findOrCreateContact } from '../packages/server/dist/use-cases/contacts.js';
import { addNumber } from '../packages/server/dist/use-cases/numbers.js';
import { createOrganization, DEFAULT_SETTINGS } from '../packages/server/dist/use-cases/organizations.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const RECIPIENTS = ['+14155550101', '+15125550101', '+18605550101', '+12125550101', '+13055550101', '+447400123456', '+61412345678', '+16135550123', '+4915123456789', '+442071234567'];
const START = Date.UTC(2026, 0, 15, 0, 0, 0);

function run(label, fn) {
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) for (let i = 0; i < 100; i++) fn(n++);
  const perSecond = Math.round(n / SECONDS);
  console.log(`${label}: ${perSecond.toLocaleString('en-US')} decisions/s`);
  return perSecond;
}

async function runAsync(label, fn) {
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) await fn(n++);
  const perSecond = Math.round(n / SECONDS);
  console.log(`${label}: ${perSecond.toLocaleString('en-US')} decisions/s`);
  return perSecond;
}

/**
 * `minuteOf(i)`: which minute decision `i` is made in. Cold: every decision in a new minute, so no
 * quiet-hours evaluation is reused. Traffic: a thousand decisions per minute (a busy organization
 * sending now), over the hours of a week.
 */
const cold = (i) => START + i * 60_000;
const traffic = (i) => START + Math.floor(i / 1000) * 60_000 + (i % 1000) * 50;

const facts = (i, at) => ({
  now: at(i),
  to: RECIPIENTS[i % RECIPIENTS.length],
  settings: DEFAULT_SETTINGS,
  automated: i % 2 === 0,
  purpose: 'general',
  contactTimeZone: null,
  orgZone: 'America/New_York',
  suppression: null,
  consent: { state: 'implied' },
  lastContactInitiatedAt: null,
  automatedSendTimes: [START - 3_600_000],
  timeRules: true,
});

run('gate decide() (pure), every decision in a new minute (cold)', (i) => decide(facts(i, cold)));
const pure = run('gate decide() (pure), 1,000 decisions per minute (traffic)', (i) => decide(facts(i, traffic)));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-bench-gate-'));
const db = openDatabase(path.join(dir, 'bench.db'));
try {
  await migrateToLatest(db);
  const ctx = { db, clock: systemClock, log: createLogger('silent'), config: loadConfig({}), carriers: new Map(), signals: noSignals };
  const { org } = await createOrganization(ctx, { name: 'Bench Co', ownerEmail: 'bench@example.com' });
  const number = await addNumber(ctx, org.id, { e164: '+14155550100' });
  const contacts = [];
  for (const e164 of RECIPIENTS) contacts.push((await findOrCreateContact(ctx, db.kysely, org.id, e164)).contact);
  await runAsync('gate checkGate() with its reads (SQLite)', (i) =>
    checkGate(db.kysely, {
      org,
      settings: DEFAULT_SETTINGS,
      contact: contacts[i % contacts.length],
      numberId: number.id,
      to: contacts[i % contacts.length].e164,
      automated: i % 2 === 0,
      purpose: 'general',
      now: traffic(i),
      timeRules: true,
    }),
  );
} finally {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`target: over 20,000 decisions/s in one process (pure decision, traffic): ${pure > 20_000 ? 'met' : 'NOT met'}`);
