import { sql, type Expression, type SqlBool } from 'kysely';
import { AppError } from '../support/errors.js';

/** Keyset pagination, newest first: the cursor is the (created_at, id) of the last row returned. */
export interface Cursor {
  createdAt: number;
  id: string;
}

export function encodeCursor(row: { created_at: number; id: string }): string {
  return Buffer.from(JSON.stringify([row.created_at, row.id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Cursor | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof createdAt === 'number' && typeof id === 'string') return { createdAt, id };
  } catch {
    // fall through
  }
  throw new AppError('invalid_cursor', 'cursor is not one this API returned; pass the next_cursor of the previous page');
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** Given limit+1 rows, returns the page and the cursor of the next one. */
export function toPage<R extends { created_at: number; id: string }, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return { data: page.map(map), next_cursor: more && last ? encodeCursor(last) : null };
}

/** Rows after the cursor in newest-first order: `(created_at, id) < (cursor)`. For single-table lists. */
export function olderThan(cursor: Cursor): Expression<SqlBool> {
  return sql<SqlBool>`(created_at < ${cursor.createdAt} or (created_at = ${cursor.createdAt} and id < ${cursor.id}))`;
}
