import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/**
 * Random bytes for ids, drawn from a pooled buffer: ulid's default source asks the kernel for one
 * byte per character (16 calls per id), a few per cent of the CPU of a busy server.
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;
function prng(): number {
  if (offset >= pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  // A byte / 256 is uniform over [0, 1) in steps of 1/256, and 256 is a multiple of ulid's 32 letters.
  return pool[offset++]! / 256;
}

const ulid = monotonicFactory(prng);

/** Sortable, unguessable ids with a readable prefix: `msg_01JD…`. */
export function newId(prefix: string): string {
  return `${prefix}_${ulid()}`;
}
