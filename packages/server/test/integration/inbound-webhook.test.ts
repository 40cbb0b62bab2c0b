/** The webhook fast path: accepted at once, stored by the scheduler, retries processed once. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';

describe.each(DIALECTS)('inbound webhooks (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;
  let other: TestOrg;
  const run = it.runIf(dialectAvailable(dialect));

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    org = await createTestOrg(app);
    other = await createTestOrg(app);
  });
  afterAll(async () => app?.close());

  run('answers 202 at once; the scheduler stores the message with its contact and conversation', async () => {
    const res = await api(app, org, 'POST', '/v1/sandbox/webhooks/messages', { id: 'SM-1', from: '+14155550301', to: org.number, body: 'Do you work Saturdays?' });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ id: 'SM-1', status: 'accepted' });
    expect((await api(app, org, 'GET', '/v1/messages?direction=inbound')).json.data).toHaveLength(0);
    await app.drain();
    const inbound = (await api(app, org, 'GET', '/v1/messages?direction=inbound')).json.data;
    expect(inbound).toHaveLength(1);
    expect(inbound[0]).toMatchObject({ from: '+14155550301', to: org.number, body: 'Do you work Saturdays?', carrier_message_id: 'SM-1', status: 'received' });
    // The body does not stay in the scheduler's table once processed.
    const job = await app.tb.ctx.db.kysely.selectFrom('jobs').select('payload').where('kind', '=', 'inbound.message').executeTakeFirstOrThrow();
    expect(job.payload).toBe('{}');
  });

  run('a retried webhook (same id) is processed once, whether the first is still pending or done', async () => {
    const body = { id: 'SM-2', from: '+14155550302', to: org.number, body: 'hello' };
    await api(app, org, 'POST', '/v1/sandbox/webhooks/messages', body);
    await api(app, org, 'POST', '/v1/sandbox/webhooks/messages', body);
    await app.drain();
    await api(app, org, 'POST', '/v1/sandbox/webhooks/messages', body);
    await app.drain();
    const rows = await app.tb.ctx.db.kysely.selectFrom('messages').select('id').where('carrier_message_id', '=', 'SM-2').execute();
    expect(rows).toHaveLength(1);
  });

  run("refuses a number that is not the organization's, and stores nothing", async () => {
    const jobsBefore = await app.tb.ctx.db.kysely.selectFrom('jobs').select('id').execute();
    const unknown = await api(app, org, 'POST', '/v1/sandbox/webhooks/messages', { from: '+14155550303', to: '+14155550999', body: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('unknown_number');
    const foreign = await api(app, org, 'POST', '/v1/sandbox/webhooks/messages', { from: '+14155550303', to: other.number, body: 'x' });
    expect(foreign.status).toBe(404);
    expect(await app.tb.ctx.db.kysely.selectFrom('jobs').select('id').execute()).toHaveLength(jobsBefore.length);
  });

  run('webhooks arriving together are committed together, duplicates within the batch included, and each is answered', async () => {
    const posts = Array.from({ length: 60 }, (_, i) =>
      api(app, org, 'POST', '/v1/sandbox/webhooks/messages', { id: `SM-burst-${i % 40}`, from: `+1415555${String(1000 + i).padStart(4, '0')}`, to: org.number, body: `burst ${i}` }),
    );
    const answers = await Promise.all(posts);
    expect(answers.every((a) => a.status === 202)).toBe(true);
    await app.drain();
    const rows = await app.tb.ctx.db.kysely.selectFrom('messages').select('carrier_message_id').where('carrier_message_id', 'like', 'SM-burst-%').execute();
    expect(rows).toHaveLength(40);
    expect(new Set(rows.map((r) => r.carrier_message_id)).size).toBe(40);
  });
});
