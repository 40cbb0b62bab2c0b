/**
 * Benchmark (not a test): imports a CSV of 1,000,000 numbers into an organization's suppression
 * list through the same use case as `POST /v1/suppressions/import`, and prints the time. Issue 4's
 * target: within a minute on SQLite.
 *
 *   npx tsc -b && node bench/suppression-import.js                 # SQLite, 1,000,000 numbers
 *   BENCH_IMPORT_N=200000 node bench/suppression-import.js
 *   BENCH_IMPORT_DB=postgres node bench/suppression-import.js      # PostgreSQL (BENCH_PG_URL)
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { noSignals } from '../packages/server/dist/app-context.js';
import { loadConfig } from '../packages/server/dist/config/config.js';
import { openDatabase } from '../packages/server/dist/db/database.js';
import { migrateToLatest } from '../packages/server/dist/db/migrate.js';
import { systemClock } from '../packages/server/dist/support/clock.js';
import { createLogger } from '../packages/server/dist/support/logger.js';
import { importSuppressions } from '../packages/server/dist/use-cases/compliance/suppressions.js';
import { createOrganization } from '../packages/server/dist/use-cases/organizations.js';

const N = Number(process.env.BENCH_IMPORT_N ?? 1_000_000);
const KIND = process.env.BENCH_IMPORT_DB ?? 'sqlite';
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const AREA_CODES = ['212', '312', '415', '617', '713', '206', '303', '404', '503', '602', '702', '801', '919', '972'];

/** `n` distinct valid US numbers, in a mix of the formats DNC files use, with a header and a few bad lines. */
function makeCsv(n) {
  const lines = ['phone,reason'];
  let i = 0;
  outer: for (const npa of AREA_CODES) {
    for (let nxx = 201; nxx <= 999; nxx++) {
      if (nxx % 100 === 11 || nxx === 555) continue; // N11 and 555 exchanges
      for (let line = 0; line < 100; line++) {
        const sub = String(1000 + line * 37).padStart(4, '0');
        const e164 = `+1${npa}${nxx}${sub}`;
        lines.push(i % 3 === 0 ? e164 : i % 3 === 1 ? `(${npa}) ${nxx}-${sub},dnc` : `${npa}-${nxx}-${sub},"national, DNC"`);
        if (++i >= n) break outer;
      }
    }
  }
  lines.push('12,too short', 'not a number', '"+1212,unterminated');
  return lines.join('\n');
}

async function main() {
  let db;
  let cleanup = async () => {};
  if (KIND === 'postgres') {
    const schema = `bench_${crypto.randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    db = openDatabase(PG_URL, { schema });
    cleanup = async () => {
      await db.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    };
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-bench-import-'));
    db = openDatabase(path.join(dir, 'bench.db'));
    cleanup = async () => {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    };
  }
  try {
    await migrateToLatest(db);
    const ctx = { db, clock: systemClock, log: createLogger('silent'), config: loadConfig({}), carriers: new Map(), signals: noSignals };
    const { org, owner } = await createOrganization(ctx, { name: 'Bench Co', ownerEmail: 'bench@example.com' });
    const t0 = performance.now();
    const csv = makeCsv(N);
    const built = performance.now();
    const report = await importSuppressions(ctx, { orgId: org.id, csv, createdBy: owner.id });
    const done = performance.now();
    const count = await db.kysely.selectFrom('suppressions').select((eb) => eb.fn.countAll().as('n')).where('org_id', '=', org.id).executeTakeFirstOrThrow();
    const seconds = (done - built) / 1000;
    console.log(
      `suppression import (${KIND}): ${report.imported.toLocaleString('en-US')} numbers imported, ${report.rejected_count} lines rejected, ` +
        `in ${seconds.toFixed(2)} s (${Math.round(report.imported / seconds).toLocaleString('en-US')} numbers/s; CSV of ${(csv.length / 1e6).toFixed(1)} MB built in ${((built - t0) / 1000).toFixed(2)} s); ` +
        `${Number(count.n).toLocaleString('en-US')} rows in the table. Target: 1,000,000 within 60 s on SQLite: ${KIND === 'sqlite' && N >= 1_000_000 ? (seconds <= 60 ? 'met' : 'NOT met') : 'n/a'}`,
    );
    // Again: every number is already on the list.
    const again0 = performance.now();
    const again = await importSuppressions(ctx, { orgId: org.id, csv, createdBy: owner.id });
    console.log(`re-import of the same file: ${again.already_suppressed.toLocaleString('en-US')} already on the list, in ${((performance.now() - again0) / 1000).toFixed(2)} s`);
  } finally {
    await cleanup();
  }
}

await main();
