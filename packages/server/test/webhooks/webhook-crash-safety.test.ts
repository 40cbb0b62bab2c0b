/**
 * `kill -9` between an event and its delivery loses nothing: the delivery commits with the event,
 * and the next process's workers send it, once, with the webhook-id it was given. Real processes
 * (test/fixtures/webhook-process.mjs), real time, no fixed sleeps (the test polls until a deadline).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, dialectAvailable, type TestDatabase } from '../support/databases.js';
import { assertBuilt, killChildren, startFixture, waitFor } from '../scheduler/helpers.js';

describe.each(DIALECTS)('webhook deliveries across a SIGKILL (%s)', (dialect) => {
  let database: TestDatabase;
  let server: http.Server;
  let url = '';
  const received: string[] = [];

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    assertBuilt();
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(String(req.headers['webhook-id']));
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  });
  afterAll(async () => {
    if (server) await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(async () => {
    if (dialectAvailable(dialect)) database = await createTestDatabase(dialect);
  });
  afterEach(async () => {
    await killChildren();
    await database?.destroy();
  });

  it.runIf(dialectAvailable(dialect))('an event recorded by a process killed before its delivery is delivered once by the next process', async () => {
    // The receiver is on 127.0.0.1.
    const env = { DATABASE_URL: database.url, TEXTBACK_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), WEBHOOK_ALLOW_PRIVATE_URLS: 'true' };
    const first = startFixture('webhook-process.mjs', ['event', url], env);
    const [, deliveryId] = await first.line(/^recorded (\S+)$/);
    await first.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(received).toEqual([]);
    const pending = await database.db.kysely.selectFrom('webhook_deliveries').selectAll().where('id', '=', deliveryId!).executeTakeFirstOrThrow();
    expect(pending.state).toBe('pending');

    const second = startFixture('webhook-process.mjs', ['work'], env);
    await second.line(/^ready$/);
    await waitFor('the delivery to arrive', async () => received.length > 0);
    await waitFor('the delivery to be recorded', async () => (await database.db.kysely.selectFrom('webhook_deliveries').select('state').where('id', '=', deliveryId!).executeTakeFirstOrThrow()).state === 'succeeded');
    await second.kill('SIGTERM');
    expect(received).toEqual([deliveryId]);
  });
});
