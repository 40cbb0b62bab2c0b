/**
 * Two processes on one PostgreSQL database deciding about the same contact at the same moment:
 * two STOPs make one opt-out and one confirmation; two automated texts under a cap of one make one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase } from '../../src/db/database.js';
import { FakeClock } from '../../src/support/clock.js';
import { createLogger } from '../../src/support/logger.js';
import { createTextback, type Textback } from '../../src/textback.js';
import { sendMessage } from '../../src/use-cases/messages.js';
import { updateOrganization } from '../../src/use-cases/organizations.js';
import { receiveInboundMessage } from '../../src/use-cases/receive.js';
import { dialectAvailable, pgUrl } from '../support/databases.js';
import { createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';

describe.runIf(dialectAvailable('postgres'))('one contact, two processes (postgres)', () => {
  let app: TestApp;
  let second: Textback;
  let org: TestOrg;

  beforeAll(async () => {
    app = await createTestApp('postgres');
    org = await createTestOrg(app);
    // A second Textback with its own connection pool on the same schema: another process, in effect.
    const db = openDatabase(pgUrl()!, { schema: app.database.schema! });
    second = await createTextback({ config: loadConfig({}), clock: new FakeClock(app.clock.now()), db, logger: createLogger('silent') });
  });
  afterAll(async () => {
    await second?.close();
    await second?.ctx.db.close();
    await app?.close();
  });

  it('two STOPs at once: one opt-out in the ledger and exactly one confirmation', async () => {
    const from = '+14155550611';
    await Promise.all([
      receiveInboundMessage(app.tb.ctx, { carrier: 'sandbox', carrierMessageId: 'stop-a', from, to: org.number, body: 'STOP' }),
      receiveInboundMessage(second.ctx, { carrier: 'sandbox', carrierMessageId: 'stop-b', from, to: org.number, body: 'stop' }),
    ]);
    const db = app.tb.ctx.db.kysely;
    const contact = await db.selectFrom('contacts').select('id').where('e164', '=', from).executeTakeFirstOrThrow();
    const confirmations = await db.selectFrom('messages').select('id').where('contact_id', '=', contact.id).where('direction', '=', 'outbound').execute();
    expect(confirmations).toHaveLength(1);
    const optOuts = await db.selectFrom('consent_events').select('id').where('contact_id', '=', contact.id).where('state', '=', 'opted_out').execute();
    expect(optOuts).toHaveLength(1);
  });

  it('two automated texts at once under a cap of one per 24 h: one goes, one is blocked', async () => {
    await updateOrganization(app.tb.ctx, org.orgId, { settings: { automated_cap_per_24h: 1, quiet_hours: false } });
    const to = '+14155550612';
    // The contact wrote first: implied consent for automated replies.
    await receiveInboundMessage(app.tb.ctx, { carrier: 'sandbox', carrierMessageId: 'hello-612', from: to, to: org.number, body: 'hello' });
    const input = { orgId: org.orgId, to, body: 'Automated reply', createdBy: { type: 'automation' as const, id: null }, automated: true };
    const results = await Promise.all([sendMessage(app.tb.ctx, input), sendMessage(second.ctx, input)]);
    expect(results.map((r) => r.message.status).sort()).toEqual(['blocked', 'queued']);
    expect(results.find((r) => r.message.status === 'blocked')!.message.reason).toBe('cap_reached');
  });
});
