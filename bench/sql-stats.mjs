/**
 * Per-statement SQL statistics of a process, for finding where the database time goes:
 *
 *   BENCH_CHILD_NODE_ARGS="--import ./bench/sql-stats.mjs" node bench/run.js automations
 *
 * makes every process the benchmark starts count, per SQL text, how many times it ran and how long
 * it took (SQLite: time inside better-sqlite3; PostgreSQL: from sending the query to its answer,
 * which includes waiting for the server), and write the list, most time first, to
 * `$SQL_STATS_DIR/sql-stats-<pid>.txt` (default /tmp) when the process exits. This is how the
 * missing indexes of migrations 0007 and 0010 were found. Development only: never imported by
 * Textback itself.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.cwd(), 'package.json'));
const stats = new Map();
const record = (text, ms) => {
  const s = stats.get(text) ?? { n: 0, ms: 0 };
  s.n += 1;
  s.ms += ms;
  stats.set(text, s);
};

try {
  const SQLite = require('better-sqlite3');
  const Statement = new SQLite(':memory:').prepare('select 1').constructor;
  for (const method of ['all', 'run', 'get', 'iterate']) {
    const original = Statement.prototype[method];
    Statement.prototype[method] = function (...args) {
      const started = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        record(this.source, performance.now() - started);
      }
    };
  }
} catch {
  // better-sqlite3 not installed here
}

try {
  const pg = require('pg');
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (text, ...rest) {
    const started = performance.now();
    const result = query.call(this, text, ...rest);
    if (result && typeof result.then === 'function') {
      result.then(
        () => record(typeof text === 'string' ? text : text?.text, performance.now() - started),
        () => {},
      );
    }
    return result;
  };
} catch {
  // pg not installed here
}

process.on('exit', () => {
  if (stats.size === 0) return;
  const rows = [...stats].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((t, [, s]) => ({ n: t.n + s.n, ms: t.ms + s.ms }), { n: 0, ms: 0 });
  const lines = [`${total.n} statements, ${total.ms.toFixed(0)} ms`, '     ms  count  µs/each  sql'];
  for (const [text, s] of rows.slice(0, 80)) {
    lines.push(`${s.ms.toFixed(0).padStart(7)} ${String(s.n).padStart(6)} ${((s.ms / s.n) * 1000).toFixed(0).padStart(8)}  ${String(text).replace(/\s+/g, ' ').slice(0, 240)}`);
  }
  fs.writeFileSync(path.join(process.env.SQL_STATS_DIR ?? '/tmp', `sql-stats-${process.pid}.txt`), `${lines.join('\n')}\n`);
});
