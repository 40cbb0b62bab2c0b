/**
 * The suppression list on both databases: add, list, remove (admin), CSV import with a report of
 * each rejected line, export; blocked sends; automatic suppression after carrier failures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, type TestApp, type TestOrg } from '../support/test-app.js';
import { freshOrg, inbox, settle } from './helpers.js';

describe.each(DIALECTS)('suppression list (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    org = await freshOrg(app);
  });
  afterAll(async () => app?.close());

  const agentKey = async (o: TestOrg) => {
    const user = await api(app, o, 'POST', '/v1/users', { email: `agent-${Date.now()}-${Math.random()}@example.com`, name: 'Agent', role: 'agent' });
    const key = await api(app, o, 'POST', '/v1/api-keys', { user_id: user.json.id, name: 'agent' });
    return { apiKey: key.json.key as string };
  };

  it.runIf(dialectAvailable(dialect))('add, list, block a send, remove (admin only)', async () => {
    const added = await api(app, org, 'POST', '/v1/suppressions', { phone: '(415) 555-0501', reason: 'asked on the phone' });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ phone: '+14155550501', reason: 'asked on the phone', source: 'api', created_by: org.userId });
    const again = await api(app, org, 'POST', '/v1/suppressions', { phone: '+14155550501' });
    expect(again.status).toBe(200);
    expect(again.json.reason).toBe('asked on the phone');
    expect((await api(app, org, 'POST', '/v1/suppressions', { phone: 'not a number' })).json.code).toBe('invalid_number');

    const list = await api(app, org, 'GET', '/v1/suppressions');
    expect(list.json.data.map((s: { phone: string }) => s.phone)).toContain('+14155550501');
    expect((await api(app, org, 'GET', '/v1/suppressions/+14155550501')).json.phone).toBe('+14155550501');

    const blocked = await api(app, org, 'POST', '/v1/messages', { to: '+14155550501', body: 'Hello' });
    expect(blocked.json).toMatchObject({ status: 'blocked', reason: 'suppressed', rule: 'SUPPRESSION' });

    const agent = await agentKey(org);
    const forbidden = await api(app, agent, 'DELETE', '/v1/suppressions/+14155550501');
    expect(forbidden.status).toBe(403);
    const removed = await api(app, org, 'DELETE', '/v1/suppressions/%2B14155550501');
    expect(removed.status).toBe(204);
    expect((await api(app, org, 'DELETE', '/v1/suppressions/+14155550501')).status).toBe(404);
    const allowed = await api(app, org, 'POST', '/v1/messages', { to: '+14155550501', body: 'Hello' });
    expect(allowed.json.status).toBe('queued');
  });

  it.runIf(dialectAvailable(dialect))('imports a CSV, reporting each rejected line with its number and why', async () => {
    await api(app, org, 'POST', '/v1/suppressions', { phone: '+14155550520' });
    const csv = [
      'phone,reason', //                       1 header
      '+14155550510,dnc list', //              2 ok
      '(415) 555-0511', //                     3 ok, national format, default reason
      '', //                                   4 blank: skipped
      '"+1 415 555 0512","quoted, with comma"', // 5 ok
      '12', //                                 6 invalid (too short)
      'hello', //                              7 invalid
      '+14155550510,again', //                 8 duplicate of line 2
      '"+14155550513,unterminated', //         9 malformed
      ',no number', //                         10 malformed
      '+14155550520,already there', //         11 already on the list (not a rejection)
      '+4915123456789', //                     12 ok (any valid number can be suppressed)
      'x"y,1', //                              13 malformed
    ].join('\r\n');
    const res = await api(app, org, 'POST', '/v1/suppressions/import', csv, { 'content-type': 'text/csv' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      header: true,
      lines: 11,
      imported: 4,
      already_suppressed: 1,
      rejected_count: 6,
      rejected_by_code: { invalid_number: 2, duplicate: 1, malformed: 3 },
      rejected_truncated: false,
    });
    expect(res.json.rejected.map((r: { line: number; code: string }) => [r.line, r.code])).toEqual([
      [6, 'invalid_number'],
      [7, 'invalid_number'],
      [8, 'duplicate'],
      [9, 'malformed'],
      [10, 'malformed'],
      [13, 'malformed'],
    ]);
    expect(res.json.rejected[2].detail).toMatch(/line 2/);

    const one = await api(app, org, 'GET', '/v1/suppressions/+14155550512');
    expect(one.json).toMatchObject({ reason: 'quoted, with comma', source: 'import' });
    expect((await api(app, org, 'GET', '/v1/suppressions/+14155550511')).json.reason).toBe('do_not_contact');

    // Without a header, the first column is the number.
    const plain = await api(app, org, 'POST', '/v1/suppressions/import?reason=imported', '+14155550530\n+14155550531\n', { 'content-type': 'text/csv' });
    expect(plain.json).toMatchObject({ header: false, lines: 2, imported: 2, rejected_count: 0 });
    expect((await api(app, org, 'GET', '/v1/suppressions/+14155550530')).json.reason).toBe('imported');

    // JSON is not a CSV.
    const wrongType = await api(app, org, 'POST', '/v1/suppressions/import', { phone: '+14155550532' });
    expect(wrongType.status).toBe(415);
  });

  it.runIf(dialectAvailable(dialect))('exports the list as CSV, which imports again', async () => {
    const res = await app.http.inject({ method: 'GET', url: '/v1/suppressions/export', headers: { authorization: `Bearer ${org.apiKey}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.body.trim().split('\n');
    expect(lines[0]).toBe('phone,reason,source,created_at,created_by');
    expect(lines).toContain(`+14155550512,"quoted, with comma",import,${new Date(app.clock.now()).toISOString()},${org.userId}`);
    const other = await freshOrg(app);
    const reimported = await api(app, other, 'POST', '/v1/suppressions/import', res.body, { 'content-type': 'text/csv' });
    expect(reimported.json).toMatchObject({ header: true, imported: lines.length - 1, rejected_count: 0 });
  });

  it.runIf(dialectAvailable(dialect))('carrier failures meaning "cannot receive texts" suppress the number after the configured count', async () => {
    const local = await freshOrg(app);
    expect((await api(app, local, 'PATCH', '/v1/compliance/settings', { auto_suppress_after_failures: 2 })).status).toBe(200);
    const handset = '+14155550540';
    expect((await api(app, local, 'PUT', `/v1/sandbox/destinations/${handset}`, { fail_reason: 'unreachable' })).status).toBe(204);

    const first = await api(app, local, 'POST', '/v1/messages', { to: handset, body: 'One' });
    await settle(app);
    expect((await api(app, local, 'GET', `/v1/messages/${first.json.id}`)).json).toMatchObject({ status: 'undelivered', reason: 'landline_or_unreachable' });
    expect((await api(app, local, 'GET', `/v1/suppressions/${handset}`)).status).toBe(404);

    const second = await api(app, local, 'POST', '/v1/messages', { to: handset, body: 'Two' });
    await settle(app);
    expect((await api(app, local, 'GET', `/v1/messages/${second.json.id}`)).json.status).toBe('undelivered');
    const suppressed = await api(app, local, 'GET', `/v1/suppressions/${handset}`);
    expect(suppressed.json).toMatchObject({ phone: handset, reason: 'landline_or_unreachable', source: 'carrier', created_by: null });
    expect((await api(app, local, 'GET', '/v1/suppressions?source=carrier')).json.data).toHaveLength(1);

    const third = await api(app, local, 'POST', '/v1/messages', { to: handset, body: 'Three' });
    expect(third.json).toMatchObject({ status: 'blocked', reason: 'suppressed', rule: 'SUPPRESSION' });

    // An admin can take it off the list.
    expect((await api(app, local, 'DELETE', `/v1/suppressions/${handset}`)).status).toBe(204);
    await api(app, local, 'PUT', `/v1/sandbox/destinations/${handset}`, { fail_reason: null });
    const fourth = await api(app, local, 'POST', '/v1/messages', { to: handset, body: 'Four' });
    expect(fourth.json.status).toBe('queued');
    await settle(app);
    expect((await inbox(app, local, handset)).map((m) => m.body)).toContain('Four');
  });

  it.runIf(dialectAvailable(dialect))('a delivery between failures resets the count; a spam-filtered failure does not count', async () => {
    const local = await freshOrg(app);
    await api(app, local, 'PATCH', '/v1/compliance/settings', { auto_suppress_after_failures: 2 });
    const handset = '+14155550541';
    await api(app, local, 'PUT', `/v1/sandbox/destinations/${handset}`, { fail_reason: 'spam-filtered' });
    for (const body of ['a', 'b', 'c']) {
      await api(app, local, 'POST', '/v1/messages', { to: handset, body });
      await settle(app);
    }
    expect((await api(app, local, 'GET', `/v1/suppressions/${handset}`)).status).toBe(404);

    await api(app, local, 'PUT', `/v1/sandbox/destinations/${handset}`, { fail_reason: 'landline' });
    await api(app, local, 'POST', '/v1/messages', { to: handset, body: 'd' });
    await settle(app);
    await api(app, local, 'PUT', `/v1/sandbox/destinations/${handset}`, { fail_reason: null });
    await api(app, local, 'POST', '/v1/messages', { to: handset, body: 'e' });
    await settle(app);
    await api(app, local, 'PUT', `/v1/sandbox/destinations/${handset}`, { fail_reason: 'landline' });
    await api(app, local, 'POST', '/v1/messages', { to: handset, body: 'f' });
    await settle(app);
    expect((await api(app, local, 'GET', `/v1/suppressions/${handset}`)).status).toBe(404);
    await api(app, local, 'POST', '/v1/messages', { to: handset, body: 'g' });
    await settle(app);
    expect((await api(app, local, 'GET', `/v1/suppressions/${handset}`)).json.source).toBe('carrier');
  });
});
