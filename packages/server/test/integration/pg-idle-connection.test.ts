/**
 * PostgreSQL may end an idle pooled connection at any time (a restart, pg_terminate_backend, a network
 * cut). node-postgres reports it as an 'error' event of the pool, and an 'error' event nobody listens
 * to ends the Node.js process: a serve or worker process died with it. Now the pool drops the
 * connection, the process is told, and the next query opens another.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/database.js';
import { dialectAvailable, pgUrl } from '../support/databases.js';

describe('PostgreSQL: an idle connection ended by the server', () => {
  it.runIf(dialectAvailable('postgres'))('is reported and replaced; the process goes on', async () => {
    let reported: (error: Error) => void = () => {};
    const ended = new Promise<Error>((resolve) => (reported = resolve));
    const db = openDatabase(pgUrl()!, { poolSize: 1, onIdleConnectionError: (error) => reported(error) });
    const admin = new pg.Client({ connectionString: pgUrl()! });
    await admin.connect();
    try {
      const { pid } = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db.kysely)).rows[0]!;
      // The connection is idle in the pool now; the server ends it.
      await admin.query('select pg_terminate_backend($1)', [pid]);
      const error = await ended;
      expect(error.message).toMatch(/terminat/i);
      const again = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db.kysely)).rows[0]!;
      expect(again.pid).not.toBe(pid);
    } finally {
      await admin.end();
      await db.close();
    }
  });
});
