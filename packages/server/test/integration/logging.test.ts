/** Message bodies are personal data and API keys are secrets: neither ever reaches the logs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { FakeClock } from '../../src/support/clock.js';
import { createTextback, type Textback } from '../../src/textback.js';
import { addNumber } from '../../src/use-cases/numbers.js';
import { createOrganization } from '../../src/use-cases/organizations.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { capturingLogger } from '../support/test-app.js';

describe('logs', () => {
  const { logger, lines } = capturingLogger('trace');
  let tb: Textback;
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    tb = await createTextback({ config: loadConfig({}), clock: new FakeClock(), db: database.db, logger });
  });
  afterAll(async () => {
    await tb.close();
    await database.destroy();
  });

  it('carry ids, never message bodies, API keys or full phone numbers in request paths', async () => {
    const { org, apiKey } = await createOrganization(tb.ctx, { name: 'Logs Inc', ownerEmail: 'logs@example.com' });
    const number = await addNumber(tb.ctx, org.id, { e164: '+14155550142' });
    const http = await tb.http();
    const secretBody = 'my card number is 4111 1111 1111 1111';
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
    const sent = await http.inject({ method: 'POST', url: '/v1/messages', headers, payload: JSON.stringify({ to: '+14155550199', body: secretBody }) });
    expect(sent.statusCode).toBe(201);
    await http.inject({ method: 'POST', url: '/v1/sandbox/messages', headers, payload: JSON.stringify({ from: '+14155550199', to: number.e164, body: secretBody }) });
    await http.inject({ method: 'GET', url: '/v1/sandbox/handsets/+14155550199/messages', headers });
    await tb.worker.drain();
    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(5);
    expect(log).toContain(sent.json().id); // ids are there...
    expect(log).not.toContain('4111'); // ...bodies are not
    expect(log).not.toContain(apiKey);
    expect(log).not.toContain('+14155550199');
  });
});
