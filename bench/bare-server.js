/**
 * The baseline: a bare Fastify route that does one INSERT per request, nothing else (no auth, no
 * schema, no logging). `node bench/bare-server.js` with PORT and DATABASE_URL (a SQLite path or a
 * postgres:// URL; the first process creates the table, BARE_CREATE=1).
 */
import crypto from 'node:crypto';
import Fastify from 'fastify';

const port = Number(process.env.PORT);
const url = process.env.DATABASE_URL;
const isPg = /^postgres(ql)?:\/\//i.test(url);
const DDL = 'CREATE TABLE IF NOT EXISTS bare_messages (id TEXT PRIMARY KEY, from_e164 TEXT NOT NULL, to_e164 TEXT NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL)';

let insert;
let close;
if (isPg) {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: Number(process.env.PG_POOL_SIZE ?? 10) });
  if (process.env.BARE_CREATE === '1') await pool.query(DDL);
  insert = (row) =>
    pool.query('INSERT INTO bare_messages (id, from_e164, to_e164, body, created_at) VALUES ($1, $2, $3, $4, $5)', [row.id, row.from, row.to, row.body, row.createdAt]);
  close = () => pool.end();
} else {
  const { default: SQLite } = await import('better-sqlite3');
  const db = new SQLite(url);
  // The same settings as Textback's SQLite storage.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(DDL);
  const stmt = db.prepare('INSERT INTO bare_messages (id, from_e164, to_e164, body, created_at) VALUES (?, ?, ?, ?, ?)');
  insert = async (row) => stmt.run(row.id, row.from, row.to, row.body, row.createdAt);
  close = async () => db.close();
}

const app = Fastify({ logger: false });
app.get('/health', async () => ({ ok: true }));
app.post('/messages', async (request, reply) => {
  const b = request.body ?? {};
  const row = { id: crypto.randomUUID(), from: String(b.from), to: String(b.to), body: String(b.body), createdAt: Date.now() };
  await insert(row);
  return reply.status(201).send({ id: row.id });
});
await app.listen({ port, host: '127.0.0.1' });
process.send?.({ type: 'ready' });

const shutdown = async () => {
  await app.close();
  await close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
