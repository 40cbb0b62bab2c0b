/**
 * Bad input: every mistake a client can make answers a precise application/problem+json that names
 * the field and says what to fix, and writes nothing (no message, contact, job or event).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { countRows, expectProblem } from './helpers.js';

const HANDSET = '+14155550123';

describe.each(DIALECTS)('bad input is refused with a problem and writes nothing (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    org = await createTestOrg(app);
  });
  afterAll(async () => app?.close());

  /** Runs the request and checks that no table changed. */
  async function refused(...args: Parameters<typeof api> extends [unknown, unknown, ...infer R] ? R : never) {
    const before = await countRows(app);
    const res = await api(app, org, ...args);
    expect(await countRows(app), `rows changed after ${args[0]} ${args[1]} → ${res.status}`).toEqual(before);
    return res;
  }

  it.runIf(dialectAvailable(dialect))('a recipient that is not a phone number: 400 invalid_number naming `to` and how to write it', async () => {
    for (const to of ['not a number', '12', '+1 555 0000']) {
      const res = await refused('POST', '/v1/messages', { to, body: 'Hello' });
      const problem = expectProblem(res, 400, 'invalid_number', { detail: ['to:', `"${to}"`, /E\.164/, '+14155550123'], fields: ['to'] });
      expect(problem.errors?.[0]?.message).toContain(to);
    }
    // The same rule for a contact's phone.
    const contact = await refused('POST', '/v1/contacts', { phone: 'call me maybe' });
    expectProblem(contact, 400, 'invalid_number', { detail: ['phone:', '"call me maybe"'], fields: ['phone'] });
  });

  it.runIf(dialectAvailable(dialect))('an empty or whitespace-only body: 400 empty_body', async () => {
    for (const body of ['', '   \n\t ']) {
      const res = await refused('POST', '/v1/messages', { to: HANDSET, body });
      expectProblem(res, 400, 'empty_body', { detail: ['body is empty', 'write the text'], fields: ['body'] });
    }
  });

  it.runIf(dialectAvailable(dialect))("a body over the organization's limit: 1,000 by default, then the limit the organization sets", async () => {
    const tooLong = await refused('POST', '/v1/messages', { to: HANDSET, body: 'x'.repeat(1001) });
    expectProblem(tooLong, 400, 'body_too_long', { detail: ['1001 characters', 'limit is 1000', 'max_body_length'], fields: ['body'] });
    // Characters, not UTF-16 units: 1,000 emoji are 1,000 characters and fit.
    const emoji = await api(app, org, 'POST', '/v1/messages/preview', { body: '😊'.repeat(1000) });
    expect(emoji.json.characters).toBe(1000);

    const patched = await api(app, org, 'PATCH', '/v1/organization', { settings: { max_body_length: 50 } });
    expect(patched.status).toBe(200);
    expect(patched.json.settings.max_body_length).toBe(50);
    const over = await refused('POST', '/v1/messages', { to: HANDSET, body: 'y'.repeat(51) });
    expectProblem(over, 400, 'body_too_long', { detail: ['51 characters', 'limit is 50'], fields: ['body'] });

    // The limit itself is accepted: the check is exact.
    const atLimit = await api(app, org, 'POST', '/v1/messages', { to: HANDSET, body: 'z'.repeat(50) });
    expect(atLimit.status).toBe(201);

    // A limit the carrier cannot carry is refused, and the setting stays.
    const silly = await refused('PATCH', '/v1/organization', { settings: { max_body_length: 5000 } });
    expectProblem(silly, 400, 'validation_failed', { fields: ['body.settings.max_body_length'], detail: ['max_body_length', '1600'] });
    expect((await api(app, org, 'GET', '/v1/organization')).json.settings.max_body_length).toBe(50);
    await api(app, org, 'PATCH', '/v1/organization', { settings: { max_body_length: 1000 } });
  });

  it.runIf(dialectAvailable(dialect))('malformed JSON and a JSON array: 400 without touching anything', async () => {
    const malformed = await refused('POST', '/v1/messages', '{"to":', { 'content-type': 'application/json' });
    expectProblem(malformed, 400, 'malformed_json', { detail: ['not valid JSON', 'JSON object'] });

    const empty = await refused('POST', '/v1/messages', '', { 'content-type': 'application/json' });
    expectProblem(empty, 400, 'malformed_json');

    const array = await refused('POST', '/v1/messages', [{ to: HANDSET, body: 'Hello' }]);
    expectProblem(array, 400, 'validation_failed', { detail: ['body must be object'], fields: ['body'] });
  });

  it.runIf(dialectAvailable(dialect))('a missing field, an unknown field and a wrong type each name the field', async () => {
    const missing = await refused('POST', '/v1/messages', { to: HANDSET });
    expectProblem(missing, 400, 'validation_failed', { detail: ['body.body is required'], fields: ['body.body'] });

    const missingBoth = await refused('POST', '/v1/messages', {});
    expectProblem(missingBoth, 400, 'validation_failed', { fields: ['body.to', 'body.body'] });

    const unknown = await refused('POST', '/v1/messages', { to: HANDSET, body: 'Hello', colour: 'red' });
    expectProblem(unknown, 400, 'validation_failed', { detail: ['body.colour is not a known field'], fields: ['body.colour'] });

    // A wrong type is refused, not converted: 42 is not the text "42", and true is not "true".
    for (const body of [42, true, ['Hello']]) {
      const res = await refused('POST', '/v1/messages', { to: HANDSET, body });
      expectProblem(res, 400, 'validation_failed', { detail: ['body.body must be string'], fields: ['body.body'] });
    }
    const numericTo = await refused('POST', '/v1/messages', { to: 14155550123, body: 'Hello' });
    expectProblem(numericTo, 400, 'validation_failed', { detail: ['body.to must be string'], fields: ['body.to'] });
    const nullBody = await refused('POST', '/v1/messages', { to: HANDSET, body: null });
    expectProblem(nullBody, 400, 'validation_failed', { fields: ['body.body'] });
  });

  it.runIf(dialectAvailable(dialect))('send_at that is not a date: 400 naming send_at with an example', async () => {
    for (const sendAt of ['tomorrow', '2026-13-45T25:00:00Z', '17:00']) {
      const res = await refused('POST', '/v1/messages', { to: HANDSET, body: 'Later', send_at: sendAt });
      expectProblem(res, 400, 'validation_failed', { detail: ['body.send_at', 'ISO 8601'], fields: ['body.send_at'] });
    }
  });

  it.runIf(dialectAvailable(dialect))('a `from` that is not one of the organization\'s numbers: 404 unknown_number (and your own number works)', async () => {
    const res = await refused('POST', '/v1/messages', { to: HANDSET, body: 'Hello', from: '+14155550999' });
    expectProblem(res, 404, 'unknown_number', { detail: ['from', '+14155550999', 'GET /v1/numbers'], fields: ['from'] });

    const bad = await refused('POST', '/v1/messages', { to: HANDSET, body: 'Hello', from: 'main line' });
    expectProblem(bad, 400, 'invalid_number', { fields: ['from'] });

    const ok = await api(app, org, 'POST', '/v1/messages', { to: HANDSET, body: 'From our main line', from: org.number });
    expect(ok.status).toBe(201);
    expect(ok.json.from).toBe(org.number);
  });

  it.runIf(dialectAvailable(dialect))('an unsupported content type: 415', async () => {
    const res = await refused('POST', '/v1/messages', 'to=+14155550123&body=Hello', { 'content-type': 'text/plain' });
    expectProblem(res, 415, 'unsupported_media_type', { detail: ['text/plain', 'application/json'] });
    const form = await refused('POST', '/v1/messages', 'to=%2B14155550123&body=Hello', { 'content-type': 'application/x-www-form-urlencoded' });
    expectProblem(form, 415, 'unsupported_media_type', { detail: ['application/x-www-form-urlencoded'] });
  });

  it.runIf(dialectAvailable(dialect))('a bad query string or id: 400 naming the parameter, 404 for an unknown id', async () => {
    const limit = await api(app, org, 'GET', '/v1/messages?limit=0');
    expectProblem(limit, 400, 'validation_failed', { fields: ['querystring.limit'], detail: ['querystring.limit'] });
    const direction = await api(app, org, 'GET', '/v1/messages?direction=sideways');
    expectProblem(direction, 400, 'validation_failed', { detail: ['querystring.direction'] });
    const missing = await api(app, org, 'GET', '/v1/messages/msg_nope');
    expectProblem(missing, 404, 'not_found', { detail: ['message msg_nope does not exist'] });
    const noRoute = await api(app, org, 'GET', '/v1/nothing-here');
    expectProblem(noRoute, 404, 'not_found', { detail: ['GET /v1/nothing-here', '/openapi.json'] });
  });
});

describe.each(DIALECTS)('a request larger than the server accepts (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect, { config: { bodyLimitBytes: 1024 } });
    org = await createTestOrg(app);
  });
  afterAll(async () => app?.close());

  it.runIf(dialectAvailable(dialect))('is 413 payload_too_large naming the limit, and writes nothing', async () => {
    const before = await countRows(app);
    const res = await api(app, org, 'POST', '/v1/messages', { to: HANDSET, body: 'x'.repeat(2000) });
    expectProblem(res, 413, 'payload_too_large', { detail: ['1024 bytes'] });
    expect(await countRows(app)).toEqual(before);
    // Just under the limit still goes through.
    const small = await api(app, org, 'POST', '/v1/messages', { to: HANDSET, body: 'x'.repeat(900) });
    expect(small.status).toBe(201);
  });
});
