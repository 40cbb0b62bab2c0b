/**
 * The usual reasons a command cannot start, each as one line saying what failed and what to do,
 * instead of a stack trace: the port is taken, PostgreSQL cannot be reached, its database or role
 * does not exist, the login is refused, the SQLite file cannot be created.
 */
import { isPostgresUrl } from '../db/database.js';

interface SystemError {
  code?: unknown;
  syscall?: unknown;
  address?: unknown;
  port?: unknown;
  path?: unknown;
  message?: unknown;
}

/** Where the database is, without credentials: `PostgreSQL at db.example.com:5432, database "textback"`. */
function describeDatabase(databaseUrl: string): string {
  if (!isPostgresUrl(databaseUrl)) return `the SQLite database at ${databaseUrl}`;
  try {
    const url = new URL(databaseUrl);
    const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default)';
    return `PostgreSQL at ${url.hostname}:${url.port || '5432'}, database "${database}"`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}

/** One line for a start-up failure this module recognises, else undefined (the caller shows the error). */
export function describeStartupError(error: unknown, settings: { databaseUrl: string; port: number; host: string }): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as SystemError;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : '';
  const database = describeDatabase(settings.databaseUrl);
  const postgres = isPostgresUrl(settings.databaseUrl);

  if (e.syscall === 'listen' || code === 'EADDRINUSE') {
    const where = `${typeof e.address === 'string' ? e.address : settings.host}:${typeof e.port === 'number' ? e.port : settings.port}`;
    if (code === 'EADDRINUSE') return `cannot listen on ${where}: the port is already in use (another Textback, or another program). Stop it, or set PORT to a free port`;
    if (code === 'EACCES') return `cannot listen on ${where}: permission denied (ports below 1024 need privileges). Set PORT to 1024 or above`;
    if (code === 'EADDRNOTAVAIL') return `cannot listen on ${where}: this machine has no such address. Set HOST to one of its addresses (127.0.0.1, or 0.0.0.0 for all)`;
  }
  if (postgres) {
    if (code === 'ECONNREFUSED') return `cannot reach ${database}: connection refused. Start PostgreSQL, or fix the host and port in DATABASE_URL`;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot reach ${database}: the host name does not resolve. Fix the host in DATABASE_URL`;
    if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `cannot reach ${database}: no answer (${code}). Check that PostgreSQL is running and reachable from here, or fix DATABASE_URL`;
    if (code === '3D000') return `${database} does not exist: create it (\`createdb <name>\`, or CREATE DATABASE), or fix the database name in DATABASE_URL`;
    if (code === '28P01' || code === '28000') return `${database} refused the login (${message}): check the user and password in DATABASE_URL`;
    if (code === '57P03') return `${database} is starting up or shutting down: try again in a moment`;
    if (code === '53300') return `${database} has too many connections: lower PG_POOL_SIZE or raise PostgreSQL's max_connections`;
  } else if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY') {
    return `cannot open ${database} (${code}): choose a writable path in DATABASE_URL`;
  }
  return undefined;
}
