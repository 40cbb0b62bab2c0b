import { describe, expect, it } from 'vitest';
import { WEBHOOK_EVENT_TYPES } from '../../../server/src/use-cases/webhook-endpoints.js';
import { WEBHOOK_EVENTS } from './webhook-events';

describe('the webhook events the settings page offers', () => {
  it('are exactly the ones the server accepts, each once, in the same order', () => {
    expect(WEBHOOK_EVENTS.map((e) => e.type)).toEqual([...WEBHOOK_EVENT_TYPES]);
    for (const e of WEBHOOK_EVENTS) expect(e.label.length, e.type).toBeGreaterThan(5);
  });
});
