import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { postgresDialect, sqliteDialect, type Dialect } from './dialect.js';
import type { Database } from './schema.js';

export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: Dialect;
  /** Where the data lives, with any password removed: safe to log. */
  readonly description: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL only: run every query with this `search_path` (tests isolate themselves in a schema). */
  schema?: string;
  /** PostgreSQL only: pool size. */
  poolSize?: number;
}

/** True for `postgres://` and `postgresql://` URLs; anything else is a SQLite file path (or `file:` URL). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export function openDatabase(url: string, options: OpenDatabaseOptions = {}): Db {
  return isPostgresUrl(url) ? openPostgres(url, options) : openSqlite(url);
}

function openSqlite(url: string): Db {
  const file = url.replace(/^(sqlite|file):(\/\/)?/i, '');
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // Another process (the CLI, a second server by mistake) may hold the write lock briefly.
  sqlite.pragma('busy_timeout = 5000');
  // A bigger page cache keeps the hot indexes in memory. (wal_autocheckpoint stays at SQLite's
  // 1,000 pages: 10,000 made each checkpoint a stall that showed in the ingest p99.)
  sqlite.pragma('cache_size = -65536');
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return {
    kysely,
    dialect: sqliteDialect,
    description: `sqlite:${file}`,
    close: () => kysely.destroy(),
  };
}

/**
 * Kysely prepares every statement anew, and SQLite compiling SQL was a fifth of the CPU of a request:
 * reuse prepared statements by their SQL text (queries are parameterised, so the set is small).
 * Kysely's driver only calls `prepare` and `close`.
 */
function withStatementCache(sqlite: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const cached = {
    prepare(source: string): SQLite.Statement {
      let statement = cache.get(source);
      if (!statement) {
        if (cache.size >= 2000) cache.clear();
        statement = sqlite.prepare(source);
        cache.set(source, statement);
      }
      return statement;
    },
    close: () => sqlite.close(),
  };
  return cached as unknown as SQLite.Database;
}

function openPostgres(url: string, options: OpenDatabaseOptions): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    // BIGINT (epoch milliseconds, counts) as numbers: every value we store fits in 2^53.
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text'),
    },
  });
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const safe = new URL(url);
  safe.password = '';
  return {
    kysely,
    dialect: postgresDialect,
    description: `postgres:${safe.host}${safe.pathname}${options.schema ? `#${options.schema}` : ''}`,
    close: () => kysely.destroy(),
  };
}
