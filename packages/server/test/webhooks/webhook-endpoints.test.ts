/**
 * Webhook subscriptions (docs/integrations.md), on both databases, with a fake clock and a real
 * receiver on 127.0.0.1: endpoints and their validation, signed deliveries checked with the
 * `standardwebhooks` library (an independent implementation of the scheme), retries of a receiver
 * that fails, hangs or is down (same webhook-id, once per success), order per subject, disabling,
 * the delivery log, resend, and tenancy.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { transaction } from '../../src/app-context.js';
import { createApiKey, createUser } from '../../src/use-cases/organizations.js';
import { expectProblem } from '../api/helpers.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, capturingLogger, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';

type Mode = 'ok' | '500' | 'hang' | '410';
interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, unknown> };
  answered: Mode;
}

/** A receiver on 127.0.0.1 that answers as `mode` says and keeps every request. */
class Receiver {
  mode: Mode = 'ok';
  /** Answers for the next requests, before falling back to `mode`. */
  script: Mode[] = [];
  received: Received[] = [];
  private server: http.Server | undefined;
  private hanging: http.ServerResponse[] = [];
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const mode = this.script.shift() ?? this.mode;
        this.received.push({ headers: req.headers, body, json: JSON.parse(body), answered: mode });
        if (mode === 'hang') return void this.hanging.push(res);
        res.statusCode = mode === 'ok' ? 200 : Number(mode);
        res.end(mode === 'ok' ? 'thanks' : `failure ${'x'.repeat(5000)}`);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging.splice(0)) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  succeeded(): Received[] {
    return this.received.filter((r) => r.answered === 'ok');
  }
}

describe.each(DIALECTS)('webhook subscriptions (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  let app: TestApp;
  let org: TestOrg;
  let other: TestOrg;
  const receiver = new Receiver();
  const { logger, lines } = capturingLogger('trace');
  let to = 0;
  const nextTo = () => `+1212555${String(1000 + to++).slice(-4)}`;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    await receiver.start();
    app = await createTestApp(dialect, { config: { webhookTimeoutMs: 300 }, logger });
    org = await createTestOrg(app, '+14155550191');
    other = await createTestOrg(app, '+14155550192');
  });
  afterAll(async () => {
    await app?.close();
    await receiver.stop();
  });
  afterEach(async () => {
    // A failed test leaves no endpoint behind to receive the next test's events.
    if (app) await app.tb.ctx.db.kysely.deleteFrom('webhook_endpoints').execute();
  });
  beforeEach(() => {
    receiver.mode = 'ok';
    receiver.script = [];
    receiver.received = [];
  });

  const subscribe = async (events: string[], extra: Record<string, unknown> = {}, as: TestOrg = org) => {
    const res = await api(app, as, 'POST', '/v1/webhook-endpoints', { url: receiver.url, events, ...extra });
    expect(res.status, res.raw.body).toBe(201);
    return res.json as { id: string; secret: string };
  };
  const remove = (id: string) => api(app, org, 'DELETE', `/v1/webhook-endpoints/${id}`);
  const send = async (body = 'Hello from the shop') => {
    const res = await api(app, org, 'POST', '/v1/messages', { from: org.number, to: nextTo(), body });
    expect(res.status, res.raw.body).toBe(201);
    return res.json as { id: string };
  };

  run('delivers a signed event that the standardwebhooks library verifies, with the text by default', async () => {
    const ep = await subscribe(['message.created']);
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    const m = await send('Your table is ready');
    await app.drain();
    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0]!;
    // The library checks the timestamp against Date.now() (5 minutes' tolerance): Date reads the fake clock here.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(app.clock.now());
    let verified: Received['json'];
    try {
      verified = new Webhook(ep.secret).verify(got.body, got.headers as Record<string, string>) as Received['json'];
      expect(() => new Webhook(`whsec_${Buffer.alloc(24, 1).toString('base64')}`).verify(got.body, got.headers as Record<string, string>)).toThrow();
    } finally {
      vi.useRealTimers();
    }
    expect(verified).toMatchObject({ type: 'message.created', data: { object: 'message', id: m.id, body: 'Your table is ready', direction: 'outbound' } });
    expect(got.headers['webhook-id']).toMatch(/^msg_/);
    // The secret is not shown again, and never logged.
    const shown = await api(app, org, 'GET', `/v1/webhook-endpoints/${ep.id}`);
    expect(shown.json.secret).toBeUndefined();
    expect(lines.join('')).not.toContain(ep.secret.slice(6));
    await remove(ep.id);
  });

  run('include_bodies: false leaves the text out', async () => {
    const ep = await subscribe(['message.created'], { include_bodies: false });
    await send('private words');
    await app.drain();
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.body).not.toContain('private words');
    await remove(ep.id);
  });

  run('an organization without endpoints gets no deliveries; another org’s endpoint is not fed', async () => {
    const theirs = await subscribe(['*'], {}, other);
    await send();
    await app.drain();
    expect(receiver.received).toHaveLength(0);
    await api(app, other, 'DELETE', `/v1/webhook-endpoints/${theirs.id}`);
  });

  run('a receiver that answers 500, hangs, or is down gets the same event later, once it succeeds', async () => {
    const ep = await subscribe(['message.created']);
    receiver.script = ['500', 'hang'];
    await send();
    await app.drain(); // 500
    await app.advance(6_000); // hangs past the timeout
    // Down: nothing listens on the port at the next attempt.
    const port = receiver.port;
    await receiver.stop();
    await app.advance(6 * 60_000);
    await receiver.start(port);
    await app.advance(35 * 60_000);
    const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    expect(receiver.received.map((r) => r.answered)).toEqual(['500', 'hang', 'ok']);
    // The signature of the late attempt is valid for its own timestamp (same scheme, library's signer).
    const last = receiver.received[2]!;
    const wh = new Webhook(ep.secret);
    expect(last.headers['webhook-signature']).toBe(wh.sign(String(last.headers['webhook-id']), new Date(Number(last.headers['webhook-timestamp']) * 1000), last.body));
    // Nothing more once it succeeded.
    await app.advance(24 * 3600_000);
    expect(receiver.received).toHaveLength(3);

    const log = await api(app, org, 'GET', `/v1/webhook-endpoints/${ep.id}/deliveries`);
    expect(log.status).toBe(200);
    const [d] = log.json.data;
    expect(d).toMatchObject({ state: 'succeeded', attempt_count: 4, event_type: 'message.created' });
    expect(d.attempts.map((a: { status: string; response_code: number | null }) => [a.status, a.response_code])).toEqual([
      ['failed', 500],
      ['failed', null],
      ['failed', null],
      ['succeeded', 200],
    ]);
    expect(d.attempts[0].response_body.length).toBeLessThanOrEqual(1000);
    expect(d.attempts[1].error).toMatch(/no answer within 300 ms/);
    expect(d.attempts[2].error).toMatch(/ECONNREFUSED/);
    expect(JSON.stringify(log.json)).not.toContain(ep.secret.slice(6));

    // Resend: the same webhook-id, again.
    const resent = await api(app, org, 'POST', `/v1/webhook-endpoints/${ep.id}/deliveries/${d.id}/resend`);
    expect(resent.status).toBe(202);
    await app.drain();
    expect(receiver.received).toHaveLength(4);
    expect(receiver.received[3]!.headers['webhook-id']).toBe(d.id);
    await remove(ep.id);
  });

  run('events of one text go out in order: a later one waits for the earlier delivery', async () => {
    const ep = await subscribe(['message.created', 'message.status_changed']);
    receiver.script = ['500'];
    const m = await send();
    await app.drain();
    await app.advance(1_500);
    // Only the first event was tried; the status change (sent) waits behind it.
    expect(receiver.received.map((r) => r.json.type)).toEqual(['message.created']);
    // The retry at 5 s succeeds, and the waiting deliveries follow at once (no more clock needed), in order.
    await app.advance(6_000);
    await expect
      .poll(async () => {
        await app.drain();
        return receiver.succeeded().length;
      })
      .toBe(3);
    const types = receiver.succeeded().map((r) => [r.json.type, r.json.data.status]);
    expect(types).toEqual([
      ['message.created', 'queued'],
      ['message.status_changed', 'sent'],
      ['message.status_changed', 'delivered'],
    ]);
    const stored = await app.tb.ctx.db.kysely.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', ep.id).orderBy('id').execute();
    expect(receiver.succeeded().map((r) => r.headers['webhook-id'])).toEqual(stored.map((s) => s.id));
    expect(receiver.succeeded().every((r) => r.json.data.id === m.id)).toBe(true);
    await remove(ep.id);
  });

  run('410 Gone disables the endpoint, with an event, a log line, and no more attempts', async () => {
    const ep = await subscribe(['message.created']);
    const watcher = await subscribe(['webhook_endpoint.disabled']);
    // The watcher is the same receiver: 410 only for the first request.
    receiver.script = ['410'];
    await send();
    await app.drain();
    await app.drain();
    const shown = await api(app, org, 'GET', `/v1/webhook-endpoints/${ep.id}`);
    expect(shown.json).toMatchObject({ state: 'disabled', disabled_reason: 'the endpoint answered 410 Gone' });
    const notice = receiver.received.find((r) => r.json.type === 'webhook_endpoint.disabled');
    expect(notice?.json.data).toMatchObject({ object: 'webhook_endpoint', id: ep.id });
    expect(lines.some((l) => l.includes('webhook endpoint disabled') && l.includes(ep.id))).toBe(true);
    await send();
    await app.advance(3600_000);
    expect(receiver.received.filter((r) => r.json.type === 'message.created')).toHaveLength(1);
    // Resending to a disabled endpoint says how to enable it.
    const log = await api(app, org, 'GET', `/v1/webhook-endpoints/${ep.id}/deliveries`);
    expectProblem(await api(app, org, 'POST', `/v1/webhook-endpoints/${ep.id}/deliveries/${log.json.data[0].id}/resend`), 409, 'invalid_state', { detail: [/enabled": true/] });
    // Re-enabled, it gets events again.
    expect((await api(app, org, 'PATCH', `/v1/webhook-endpoints/${ep.id}`, { enabled: true })).json.state).toBe('enabled');
    await send();
    await app.drain();
    expect(receiver.received.filter((r) => r.json.type === 'message.created')).toHaveLength(2);
    await remove(ep.id);
    await remove(watcher.id);
  });

  run('an endpoint failing for three days is disabled, and its deliveries are given up', async () => {
    const ep = await subscribe(['message.created']);
    receiver.mode = '500';
    await send();
    await app.drain();
    for (let h = 0; h < 80; h++) await app.advance(3600_000);
    const shown = await api(app, org, 'GET', `/v1/webhook-endpoints/${ep.id}`);
    expect(shown.json).toMatchObject({ state: 'disabled', disabled_reason: 'no successful delivery for 3 days' });
    const log = await api(app, org, 'GET', `/v1/webhook-endpoints/${ep.id}/deliveries`);
    expect(log.json.data[0].state).toBe('failed');
    const count = receiver.received.length;
    expect(count).toBeGreaterThanOrEqual(8);
    await app.advance(24 * 3600_000);
    expect(receiver.received).toHaveLength(count);
    await remove(ep.id);
  });

  run('rotating the secret: later deliveries are signed with the new one', async () => {
    const ep = await subscribe(['message.created']);
    const rotated = await api(app, org, 'POST', `/v1/webhook-endpoints/${ep.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).not.toBe(ep.secret);
    await send();
    await app.drain();
    const got = receiver.received[0]!;
    const sign = (secret: string) => new Webhook(secret).sign(String(got.headers['webhook-id']), new Date(Number(got.headers['webhook-timestamp']) * 1000), got.body);
    expect(got.headers['webhook-signature']).toBe(sign(rotated.json.secret));
    expect(got.headers['webhook-signature']).not.toBe(sign(ep.secret));
    await remove(ep.id);
  });

  run('validation errors name the field and the accepted values', async () => {
    const post = (body: unknown) => api(app, org, 'POST', '/v1/webhook-endpoints', body);
    expectProblem(await post({ url: 'http://crm.example.com/hook', events: ['*'] }), 400, 'validation_failed', { fields: ['url'], detail: [/https/] });
    expectProblem(await post({ url: 'https://user:pw@crm.example.com/hook', events: ['*'] }), 400, 'validation_failed', { fields: ['url'], detail: [/credentials/] });
    expectProblem(await post({ url: 'not a url', events: ['*'] }), 400, 'validation_failed', { fields: ['url'] });
    expectProblem(await post({ url: `https://crm.example.com/${'a'.repeat(2100)}`, events: ['*'] }), 400, 'validation_failed', { fields: ['body.url'] });
    expectProblem(await post({ url: 'https://crm.example.com/hook', events: ['message.created', 'message.sent'] }), 400, 'validation_failed', {
      fields: ['events/1'],
      detail: [/message\.sent/, /message\.status_changed/],
    });
    expectProblem(await post({ url: 'https://crm.example.com/hook', events: ['*', 'message.created'] }), 400, 'validation_failed', { fields: ['events'] });
    expectProblem(await post({ url: 'https://crm.example.com/hook', events: [] }), 400, 'validation_failed');
    expectProblem(await post({ url: 'https://crm.example.com/hook', events: ['*'], secret: 'x' }), 400, 'validation_failed');
    const ok = await post({ url: 'https://crm.example.com/hook', events: ['*'], description: 'HubSpot' });
    expect(ok.status).toBe(201);
    expectProblem(await api(app, org, 'PATCH', `/v1/webhook-endpoints/${ok.json.id}`, { url: 'ftp://crm.example.com' }), 400, 'validation_failed', { fields: ['url'] });
    expectProblem(await api(app, org, 'GET', `/v1/webhook-endpoints/${ok.json.id}/deliveries?state=done`), 400, 'validation_failed');
    expectProblem(await api(app, org, 'GET', `/v1/webhook-endpoints/${ok.json.id}/deliveries?page=2`), 400, 'validation_failed');
    await remove(ok.json.id);
  });

  run('another organization’s endpoint is 404 on every route; agents are refused', async () => {
    const ep = await subscribe(['*']);
    for (const [method, url] of [
      ['GET', `/v1/webhook-endpoints/${ep.id}`],
      ['PATCH', `/v1/webhook-endpoints/${ep.id}`],
      ['DELETE', `/v1/webhook-endpoints/${ep.id}`],
      ['POST', `/v1/webhook-endpoints/${ep.id}/rotate-secret`],
      ['GET', `/v1/webhook-endpoints/${ep.id}/deliveries`],
      ['POST', `/v1/webhook-endpoints/${ep.id}/deliveries/msg_x/resend`],
    ] as const) {
      expectProblem(await api(app, other, method, url, method === 'PATCH' ? { description: 'x' } : undefined), 404, 'not_found');
    }
    expect((await api(app, other, 'GET', '/v1/webhook-endpoints')).json.data).toEqual([]);
    const agentKey = await transaction(app.tb.ctx, async (tx) => {
      const user = await createUser(app.tb.ctx, tx, { orgId: org.orgId, email: `agent-wh-${dialect}@example.com`, name: 'Agent', role: 'agent' });
      return (await createApiKey(app.tb.ctx, tx, { orgId: org.orgId, userId: user.id, name: 'agent' })).key;
    });
    expectProblem(await api(app, { apiKey: agentKey }, 'GET', '/v1/webhook-endpoints'), 403, 'forbidden');
    await remove(ep.id);
  });
});
