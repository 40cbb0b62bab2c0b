/// <reference lib="dom" />
/**
 * Settings → Webhooks in a real browser, against a receiver started by the test: a URL the server
 * refuses is shown on its field; an endpoint is added with chosen events and its secret shown once;
 * a text's delivery fails (500), shows in the delivery log with its answer, is resent and delivered;
 * the events are changed to all; the endpoint is paused.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiCall, axe, describeBrowser, launch, signIn, startWebServer, type TestBrowser, type WebServer } from '../support/browser.js';

describeBrowser('settings: webhooks', () => {
  let server: WebServer;
  let b: TestBrowser;
  let receiver: http.Server;
  let receiverUrl = '';
  /** What the receiver answers next (then 200 for ever), and what it got. */
  const answers: number[] = [];
  const received: { type: string; id: string | undefined }[] = [];

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ type: JSON.parse(body).type, id: req.headers['webhook-id'] as string | undefined });
        res.writeHead(answers.shift() ?? 200, { 'content-type': 'text/plain' }).end('thanks');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/textback`;
    server = await startWebServer();
    b = await launch();
    await signIn(b.page, server.url);
  });
  afterAll(async () => {
    await b?.close();
    await server?.close();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  it('adds an endpoint (the secret shown once), logs a failed delivery with its answer, and resends it', async () => {
    const { page } = b;
    await page.goto(`${server.url}/settings/webhooks`);
    await page.getByText('No webhook endpoints').waitFor();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a webhook endpoint' });
    await dialog.getByLabel('URL').fill('http://crm.example.com/hooks');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await dialog.locator('.form-error').filter({ hasText: 'must use https' }).waitFor();

    await dialog.getByLabel('URL').fill(receiverUrl);
    await dialog.getByLabel('Description').fill('Our CRM');
    // Only "a text is sent": the two other events picked by default are unticked.
    await dialog.getByLabel(/A text is delivered, fails or is held/).uncheck();
    await dialog.getByLabel(/A contact texts in/).uncheck();
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    const secretNote = page.getByRole('status').filter({ hasText: 'will not be shown again' });
    const secret = (await secretNote.locator('code').textContent())!;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
    const card = page.getByRole('article', { name: `Webhook endpoint ${receiverUrl}` });
    await card.getByText('A text is sent or scheduled', { exact: true }).waitFor();
    const listed = (await apiCall(server, 'GET', '/v1/webhook-endpoints')).json.data as { id: string; events: string[]; description: string }[];
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ events: ['message.created'], description: 'Our CRM' });
    expect(JSON.stringify(listed)).not.toContain(secret);

    // The receiver fails the first delivery.
    answers.push(500);
    expect((await apiCall(server, 'POST', '/v1/messages', { to: '+14155550142', body: 'Your quote is ready' })).status).toBe(201);
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(1);
    await card.getByRole('button', { name: 'Deliveries' }).click();
    const log = page.getByRole('dialog', { name: `Deliveries to ${receiverUrl}` });
    const row = log.getByRole('row').filter({ hasText: 'message.created' });
    await row.getByText('Retrying').waitFor();
    await row.getByText('500').waitFor();
    await row.getByRole('button', { name: 'Details' }).click();
    await log.getByRole('list', { name: 'Attempts' }).getByText(/500/).waitFor();
    expect(await log.getByLabel('Payload').textContent()).toContain('"type": "message.created"');
    expect(await axe(page)).toEqual([]);

    await row.getByRole('button', { name: 'Resend' }).click();
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(2);
    // The same webhook-id both times: the receiver can deduplicate.
    expect(received[1]!.id).toBe(received[0]!.id);
    await row.getByText('Delivered').waitFor({ timeout: 15_000 });
    await log.getByRole('button', { name: 'Close' }).click();
  });

  it('changes the events to every event, then pauses the endpoint', async () => {
    const { page } = b;
    await page.goto(`${server.url}/settings/webhooks`);
    const card = page.getByRole('article', { name: `Webhook endpoint ${receiverUrl}` });
    await card.getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit webhook endpoint' });
    await dialog.getByLabel(/Every event, including ones added later/).check();
    await dialog.getByRole('button', { name: 'Save endpoint' }).click();
    await card.getByText('Every event').waitFor();
    await card.getByRole('button', { name: 'Pause' }).click();
    await card.getByText('Disabled', { exact: true }).waitFor();
    const [endpoint] = (await apiCall(server, 'GET', '/v1/webhook-endpoints')).json.data as { events: string[]; state: string }[];
    expect(endpoint).toMatchObject({ events: ['*'], state: 'disabled' });
  });
});
