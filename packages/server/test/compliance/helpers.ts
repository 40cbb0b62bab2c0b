/** Shared pieces of the compliance tests. */
import { DateTime } from 'luxon';
import type { TestApp, TestOrg } from '../support/test-app.js';
import { api, createTestOrg } from '../support/test-app.js';

/**
 * Runs the scheduler until nothing is due within `horizonMs`, moving the fake clock to each next
 * job's time: texts paced by their sender's rate go out one slot after another. Never sleeps.
 */
export async function settle(app: TestApp, horizonMs = 10_000): Promise<void> {
  for (let i = 0; i < 500; i++) {
    await app.drain();
    const next = await app.tb.ctx.db.kysely
      .selectFrom('jobs')
      .select((eb) => eb.fn.min('run_at').as('at'))
      .where('state', '=', 'pending')
      .executeTakeFirst();
    const at = next?.at == null ? null : Number(next.at);
    if (at === null || at > app.clock.now() + horizonMs) return;
    if (at > app.clock.now()) app.clock.set(at);
  }
  throw new Error('settle: the scheduler never went idle');
}

/** Epoch ms of a local wall-clock time, e.g. at('America/Chicago', '2026-01-18T11:59'). */
export function at(zone: string, local: string): number {
  const dt = DateTime.fromISO(local, { zone });
  if (!dt.isValid) throw new Error(`bad local time ${local} in ${zone}`);
  return dt.toMillis();
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** What a sandbox handset received (newest first). */
export async function inbox(app: TestApp, org: TestOrg, handset: string): Promise<{ body: string; created_at: string; direction: string }[]> {
  const res = await api(app, org, 'GET', `/v1/sandbox/handsets/${encodeURIComponent(handset)}/messages?limit=200`);
  return (res.json.data as { body: string; created_at: string; direction: string }[]).filter((m) => m.direction === 'received');
}

let numberSeq = 0;
/** A fresh organization with its own number (fresh pacing state), numbers +1415555 07xx. */
export async function freshOrg(app: TestApp): Promise<TestOrg> {
  return createTestOrg(app, `+1415555${String(700 + (numberSeq++ % 100)).padStart(4, '0')}`);
}
