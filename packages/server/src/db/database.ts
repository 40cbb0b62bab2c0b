import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, SqliteQueryCompiler, ValueNode, type LimitNode, type OffsetNode, type OperationNode, type QueryCompiler } from 'kysely';
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
  /** PostgreSQL only: told when an idle pooled connection fails (the server restarted or ended it); the pool drops it. */
  onIdleConnectionError?: (error: Error) => void;
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
  // Savepoints (one per grouped transaction: db/group-transaction.ts) keep each page's original in a
  // sub-journal, which SQLite moves to a temporary file past 64 KiB: every page a group touched was
  // then also written to disk, a tenth of the CPU of a missed call. In memory it costs a few MB at most.
  sqlite.pragma('temp_store = MEMORY');
  const kysely = new Kysely<Database>({ dialect: new LiteralLimitSqliteDialect({ database: withStatementCache(sqlite) }) });
  return {
    kysely,
    dialect: sqliteDialect,
    description: `sqlite:${file}`,
    close: () => kysely.destroy(),
  };
}

/**
 * LIMIT and OFFSET written as numbers, not bound parameters. better-sqlite3's SQLite is built with
 * STAT4, and a statement whose LIMIT is a parameter is compiled again each time a value is bound
 * to it: a `… LIMIT ?` lookup of a contact's messages cost 16 µs instead of 4 (measured), and the
 * worker's claim likewise. The texts then differ by limit (1, a page size, a batch): a few more
 * cached statements.
 */
class LiteralLimitCompiler extends SqliteQueryCompiler {
  protected override visitLimit(node: LimitNode): void {
    if (!this.appendInteger('limit ', node.limit)) super.visitLimit(node);
  }

  protected override visitOffset(node: OffsetNode): void {
    if (!this.appendInteger('offset ', node.offset)) super.visitOffset(node);
  }

  private appendInteger(keyword: string, node: OperationNode): boolean {
    if (!ValueNode.is(node) || !Number.isSafeInteger(node.value)) return false;
    this.append(`${keyword}${String(node.value)}`);
    return true;
  }
}

class LiteralLimitSqliteDialect extends SqliteDialect {
  override createQueryCompiler(): QueryCompiler {
    return new LiteralLimitCompiler();
  }
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
  const columns = new TableColumns();
  pool.on('connect', (client) => usePreparedStatements(client, columns));
  // An idle connection that PostgreSQL ends (a restart, pg_terminate_backend, a network cut) is an
  // 'error' event of the pool; without a listener Node.js ends the process. The pool drops that
  // connection and the next query opens another.
  pool.on('error', (error) => options.onIdleConnectionError?.(error));
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

/** Statements a connection keeps prepared at most; texts past it run unnamed (parsed each time). */
const PREPARED_PER_CONNECTION = 500;
const statementNames = new Map<string, string>();
/**
 * `SELECT *`, `"table".*` and `RETURNING *` are never prepared as written: their rows change shape
 * when a migration adds a column, and PostgreSQL then refuses a statement prepared before it
 * ("cached plan must not change result type") on every connection that holds it, until the process
 * restarts (another process may migrate while this one runs). The plain `select * from "t" …` of
 * one table is prepared with its columns named instead (TableColumns); the others run unnamed.
 */
const WILDCARD = /\bselect\s+\*|\.\*|\breturning\s+\*/i;
/** Kysely's `selectFrom('t').selectAll()`: the one `*` of a single-table SELECT. */
const SELECT_STAR = /^select \* from "([a-z_][a-z0-9_]*)"(?= |$)/;
/** Statements that may change a table's columns. */
const DDL = /^\s*(create|alter|drop)\b/i;

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `tb_${crypto.createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    if (statementNames.size >= 10_000) statementNames.clear();
    statementNames.set(text, name);
  }
  return name;
}

/**
 * The columns of the tables this pool has read with `select *`, as PostgreSQL's catalog lists them
 * (in table order: the rows have the same keys in the same order as `*` gives). A `select *` of one
 * table is sent as `select "a", "b", … from "t" …`, which can be prepared and stays valid when a
 * column is added. The lists are read when a table is first selected from and forgotten whenever
 * this process changes a table (its migrations at start-up, tests): a column added by another
 * process is seen after a restart, as code that names its columns sees it.
 */
class TableColumns {
  private readonly lists = new Map<string, string | null>();
  private readonly texts = new Map<string, string | null>();

  /** The statement with its `*` named, or undefined when the table is not known yet. Null: leave it as it is. */
  expand(text: string): string | null | undefined {
    const known = this.texts.get(text);
    if (known !== undefined) return known;
    const match = SELECT_STAR.exec(text);
    let expanded: string | null = null;
    if (match && !/\bjoin\b/i.test(text)) {
      const list = this.lists.get(match[1]!);
      if (list === undefined) return undefined;
      if (list !== null) expanded = `select ${list}${text.slice('select *'.length)}`;
      if (expanded !== null && WILDCARD.test(expanded)) expanded = null;
    }
    if (this.texts.size >= 10_000) this.texts.clear();
    this.texts.set(text, expanded);
    return expanded;
  }

  /** Reads the columns of the table `text` selects from, with `run` (the connection's own query). */
  async load(text: string, run: (text: string, values: unknown[]) => Promise<{ rows: Array<{ attname: string }> }>): Promise<void> {
    const table = SELECT_STAR.exec(text)![1]!;
    const { rows } = await run('SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum', [`"${table}"`]);
    this.lists.set(table, rows.length > 0 ? rows.map((r) => `"${r.attname.replaceAll('"', '""')}"`).join(', ') : null);
  }

  forget(): void {
    this.lists.clear();
    this.texts.clear();
  }
}

/**
 * Every query Kysely sends on this connection becomes a named prepared statement: PostgreSQL parses
 * and plans its text once per connection instead of on every run (parsing and binding were a third
 * of PostgreSQL's CPU per text sent, measured with log_statement_stats; naming the columns of the
 * `select *` lookups took PostgreSQL's CPU per missed call from 1.78 to 1.51 ms). Statements are per
 * connection and its search_path; at most PREPARED_PER_CONNECTION of them, the rest run unnamed.
 *
 * PostgreSQL's default plan_cache_mode then applies: after five runs a statement may keep one
 * generic plan, rebuilt whenever the tables' statistics change (autovacuum's ANALYZE). The gain on
 * the webhook path is that planning (PostgreSQL CPU per webhook 0.07 → 0.04 ms; with
 * force_custom_plan it stayed at 0.07). A table that grows from empty to thousands of rows before
 * autovacuum first analyzes it can be read with a plan made for an empty table for that while.
 */
function usePreparedStatements(client: pg.PoolClient, columns: TableColumns): void {
  const prepared = new Set<string>();
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const run = (text: string, values: unknown[]) => query(text, values) as Promise<{ rows: Array<{ attname: string }> }>;
  const wrapped = (config: unknown, values?: unknown, callback?: unknown): unknown => {
    if (typeof config === 'string' && DDL.test(config)) {
      columns.forget();
      const done = query(config, ...(values === undefined ? [] : [values]), ...(callback === undefined ? [] : [callback])) as Promise<unknown> | undefined;
      // Forgotten again once it ran: a list read meanwhile may predate the change.
      done?.then?.(
        () => columns.forget(),
        () => columns.forget(),
      );
      return done;
    }
    if (typeof config === 'string' && Array.isArray(values) && callback === undefined) {
      let text = config;
      if (!prepared.has(text) && WILDCARD.test(text)) {
        const expanded = columns.expand(text);
        if (expanded === undefined) return columns.load(text, run).then(() => wrapped(config, values));
        text = expanded ?? text;
      }
      if (prepared.has(text) || (prepared.size < PREPARED_PER_CONNECTION && !WILDCARD.test(text))) {
        prepared.add(text);
        return query({ name: statementName(text), text, values });
      }
    }
    return callback === undefined ? (values === undefined ? query(config) : query(config, values)) : query(config, values, callback);
  };
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = wrapped;
}
