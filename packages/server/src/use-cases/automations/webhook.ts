/**
 * The webhook step's delivery: POST the run's event as JSON to the URL (a CRM, an integration),
 * signed when the step has a secret, retried with backoff by the scheduler until it answers 2xx.
 *
 * Signature: `X-Textback-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">` with
 * `X-Textback-Timestamp: <unix seconds>`; receivers recompute it with the shared secret and reject
 * stale timestamps.
 */
import crypto from 'node:crypto';
import type { AppContext } from '../../app-context.js';

export interface WebhookJobPayload {
  url: string;
  secret: string | null;
  body: unknown;
  runId: string;
  step: string;
}

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export async function runWebhookJob(ctx: AppContext, p: WebhookJobPayload): Promise<void> {
  const body = JSON.stringify(p.body);
  const timestamp = Math.floor(ctx.clock.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'Textback-Webhook/1',
    'x-textback-timestamp': String(timestamp),
    'x-textback-delivery': `${p.runId}:${p.step}`,
  };
  if (p.secret) headers['x-textback-signature'] = signWebhook(p.secret, timestamp, body);
  const response = await fetch(p.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new Error(`webhook ${new URL(p.url).host} answered ${response.status}`);
  ctx.log.info({ runId: p.runId, step: p.step, status: response.status }, 'automation webhook delivered');
}
