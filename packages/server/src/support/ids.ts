import { monotonicFactory } from 'ulid';

const ulid = monotonicFactory();

/** Sortable, unguessable ids with a readable prefix: `msg_01JD…`. */
export function newId(prefix: string): string {
  return `${prefix}_${ulid()}`;
}
