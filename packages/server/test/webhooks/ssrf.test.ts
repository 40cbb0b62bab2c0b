/**
 * Webhook endpoints cannot make the server call its own machine or a private network unless the
 * operator sets WEBHOOK_ALLOW_PRIVATE_URLS=true: an IP literal or localhost is refused when saved
 * (400 naming `url` and the setting), and a host name that resolves to a private address is refused
 * when connecting (the attempt is logged as blocked, nothing reaches the receiver). Both databases.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../src/webhooks/outbound.js';
import { expectProblem } from '../api/helpers.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';

describe('which addresses are public', () => {
  it.each([
    ['8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['10.0.0.1', false],
    ['172.16.5.4', false],
    ['192.168.1.1', false],
    ['127.0.0.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['203.0.113.5', false],
    ['::1', false],
    ['fe80::1', false],
    ['fc00::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:8.8.8.8', true],
    ['not an address', false],
  ])('%s: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe.each(DIALECTS)('webhook endpoints and private addresses (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  let app: TestApp;
  let org: TestOrg;
  let receiver: http.Server;
  let hits = 0;
  let port = 0;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    receiver = http.createServer((_req, res) => {
      hits++;
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    port = (receiver.address() as AddressInfo).port;
    app = await createTestApp(dialect, { config: { webhookAllowPrivateUrls: false } });
    org = await createTestOrg(app);
  });
  afterAll(async () => {
    await app?.close();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  });

  run('an IP literal of a private network, or localhost, is refused when saved, naming the setting that allows it', async () => {
    for (const url of [`http://127.0.0.1:${port}/hooks`, 'https://169.254.169.254/latest/meta-data', 'https://10.1.2.3/hooks', 'https://[::1]/hooks', 'http://localhost:8080/hooks', 'https://[::ffff:192.168.0.1]/x']) {
      const res = await api(app, org, 'POST', '/v1/webhook-endpoints', { url, events: ['message.created'] });
      const problem = expectProblem(res, 400, 'validation_failed', { fields: ['url'] });
      expect(problem.detail, url).toContain('WEBHOOK_ALLOW_PRIVATE_URLS');
    }
    // A public address is fine; so is changing an endpoint to one, but not to a private one.
    const ok = await api(app, org, 'POST', '/v1/webhook-endpoints', { url: 'https://93.184.215.14/hooks', events: ['message.created'] });
    expect(ok.status, ok.raw.body).toBe(201);
    expectProblem(await api(app, org, 'PATCH', `/v1/webhook-endpoints/${ok.json.id}`, { url: 'https://192.168.1.10/hooks' }), 400, 'validation_failed', { fields: ['url'] });
    expect((await api(app, org, 'DELETE', `/v1/webhook-endpoints/${ok.json.id}`)).status).toBe(204);
  });

  run('a host name that resolves to a private address is refused when connecting: the attempt says so, the receiver gets nothing', async () => {
    // This machine's own name resolves to one of its addresses (127.0.0.1 or a private one).
    const url = `https://${os.hostname()}:${port}/hooks`;
    const created = await api(app, org, 'POST', '/v1/webhook-endpoints', { url, events: ['message.created'] });
    expect(created.status, created.raw.body).toBe(201);
    expect((await api(app, org, 'POST', '/v1/messages', { to: '+14155550123', body: 'Hello' })).status).toBe(201);
    await app.drain();
    const log = await api(app, org, 'GET', `/v1/webhook-endpoints/${created.json.id}/deliveries`);
    const delivery = log.json.data.find((d: { event_type: string }) => d.event_type === 'message.created');
    expect(delivery.state).toBe('pending'); // retried later, as any failure
    expect(delivery.attempts[0].error).toMatch(new RegExp(`^blocked: ${os.hostname()} resolves to a private address \\(.+\\); set WEBHOOK_ALLOW_PRIVATE_URLS=true`));
    expect(hits).toBe(0);
  });
});
