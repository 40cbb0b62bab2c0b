/**
 * Business numbers through the API: POST, GET, PATCH and DELETE /v1/numbers, with the CLI's checks
 * (one use case), precise problems, the admin role, and history kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { expectProblem } from './helpers.js';

describe.each(DIALECTS)('business numbers through the API (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;
  let other: TestOrg;
  let agentKey: { apiKey: string };
  const run = it.runIf(dialectAvailable(dialect));

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect, { config: { runWorkers: false } });
    org = await createTestOrg(app, '+14155550181');
    other = await createTestOrg(app, '+14155550182');
    const agent = await api(app, org, 'POST', '/v1/users', { email: 'agent@example.com', name: 'Agent', role: 'agent' });
    agentKey = { apiKey: (await api(app, org, 'POST', '/v1/api-keys', { user_id: agent.json.id, name: 'agent' })).json.key };
  });
  afterAll(async () => app?.close());

  const listed = async (who: TestOrg) => ((await api(app, who, 'GET', '/v1/numbers')).json.data as { phone: string }[]).map((n) => n.phone);

  run('POST registers a number on the sandbox carrier, and it can text at once', async () => {
    const res = await api(app, org, 'POST', '/v1/numbers', { phone: '+14155550183' });
    expect(res.status, res.raw.body).toBe(201);
    expect(res.json).toMatchObject({ object: 'number', phone: '+14155550183', name: '+14155550183', carrier: 'sandbox', team_id: null, carrier_account_id: null });
    expect(await listed(org)).toContain('+14155550183');
    expect((await api(app, org, 'GET', `/v1/numbers/${res.json.id}`)).json.phone).toBe('+14155550183');
    const sent = await api(app, org, 'POST', '/v1/messages', { to: '+14155550123', body: 'From the new line', from: '+14155550183' });
    expect(sent.status, sent.raw.body).toBe(201);

    // A national number is read in the organization's default country (US); name, team and account are kept.
    const team = await api(app, org, 'POST', '/v1/teams', { name: 'Sales' });
    const account = await api(app, org, 'POST', '/v1/carrier-accounts', { kind: 'sandbox', name: 'Test account' });
    expect(account.status, account.raw.body).toBe(201);
    const full = await api(app, org, 'POST', '/v1/numbers', { phone: '(415) 555-0184', name: '  Sales line ', team_id: team.json.id, carrier_account_id: account.json.id });
    expect(full.status, full.raw.body).toBe(201);
    expect(full.json).toMatchObject({ phone: '+14155550184', name: 'Sales line', team_id: team.json.id, carrier_account_id: account.json.id, carrier: 'sandbox' });
  });

  run('POST refuses an invalid phone, a duplicate, and a team or account that is not this organization\'s', async () => {
    const before = await listed(org);
    expectProblem(await api(app, org, 'POST', '/v1/numbers', { phone: 'main line' }), 400, 'invalid_number', { fields: ['phone'], detail: ['phone:', 'E.164'] });
    expectProblem(await api(app, org, 'POST', '/v1/numbers', { phone: '12' }), 400, 'invalid_number', { fields: ['phone'] });

    // Already this organization's, or another's: 409 either way.
    expectProblem(await api(app, org, 'POST', '/v1/numbers', { phone: org.number }), 409, 'conflict', { fields: ['phone'], detail: [org.number, 'already registered'] });
    expectProblem(await api(app, org, 'POST', '/v1/numbers', { phone: other.number }), 409, 'conflict', { fields: ['phone'] });

    const theirTeam = await api(app, other, 'POST', '/v1/teams', { name: 'Theirs' });
    const theirAccount = await api(app, other, 'POST', '/v1/carrier-accounts', { kind: 'sandbox', name: 'Theirs' });
    for (const team of ['team_nope', theirTeam.json.id]) {
      expectProblem(await api(app, org, 'POST', '/v1/numbers', { phone: '+14155550185', team_id: team }), 404, 'not_found', { fields: ['team_id'], detail: [`team ${team} does not exist`] });
    }
    for (const account of ['cac_nope', theirAccount.json.id]) {
      expectProblem(await api(app, org, 'POST', '/v1/numbers', { phone: '+14155550185', carrier_account_id: account }), 404, 'not_found', {
        fields: ['carrier_account_id'],
        detail: [`carrier account ${account} does not exist`],
      });
    }

    // Fields: an empty or multi-line name, an unknown field, a missing phone.
    expectProblem(await api(app, org, 'POST', '/v1/numbers', { phone: '+14155550185', name: '' }), 400, 'validation_failed', { fields: ['body.name'], detail: ['body.name must not be empty'] });
    expectProblem(await api(app, org, 'POST', '/v1/numbers', { phone: '+14155550185', name: 'two\nlines' }), 400, 'validation_failed', { fields: ['name'] });
    expectProblem(await api(app, org, 'POST', '/v1/numbers', { phone: '+14155550185', carrier: 'twilio' }), 400, 'validation_failed', {
      fields: ['body.carrier'],
      detail: ['body.carrier is not a known field (accepted: phone, name, team_id, carrier_account_id)'],
    });
    expectProblem(await api(app, org, 'POST', '/v1/numbers', {}), 400, 'validation_failed', { fields: ['body.phone'], detail: ['body.phone is required'] });

    // An agent may not.
    expectProblem(await api(app, agentKey, 'POST', '/v1/numbers', { phone: '+14155550185' }), 403, 'forbidden', { detail: ['admin'] });
    expect(await listed(org)).toEqual(before);
  });

  run('PATCH changes name, team and carrier account; null detaches; another organization\'s number is 404', async () => {
    const created = (await api(app, org, 'POST', '/v1/numbers', { phone: '+14155550186' })).json;
    const team = await api(app, org, 'POST', '/v1/teams', { name: 'Support' });
    const account = await api(app, org, 'POST', '/v1/carrier-accounts', { kind: 'sandbox', name: 'Second' });

    const patched = await api(app, org, 'PATCH', `/v1/numbers/${created.id}`, { name: 'Support line', team_id: team.json.id, carrier_account_id: account.json.id });
    expect(patched.status, patched.raw.body).toBe(200);
    expect(patched.json).toMatchObject({ name: 'Support line', team_id: team.json.id, carrier_account_id: account.json.id });
    expect((await api(app, org, 'GET', `/v1/numbers/${created.id}/routing`)).json.team_id).toBe(team.json.id);

    const cleared = await api(app, org, 'PATCH', `/v1/numbers/${created.id}`, { team_id: null, carrier_account_id: null });
    expect(cleared.json).toMatchObject({ name: 'Support line', team_id: null, carrier_account_id: null, carrier: 'sandbox' });

    expectProblem(await api(app, org, 'PATCH', `/v1/numbers/${created.id}`, { team_id: 'team_nope' }), 404, 'not_found', { fields: ['team_id'] });
    expectProblem(await api(app, org, 'PATCH', `/v1/numbers/${created.id}`, { phone: '+14155550187' }), 400, 'validation_failed', { fields: ['body.phone'] });
    expectProblem(await api(app, other, 'PATCH', `/v1/numbers/${created.id}`, { name: 'Mine now' }), 404, 'not_found');
    expectProblem(await api(app, other, 'GET', `/v1/numbers/${created.id}`), 404, 'not_found');
    expectProblem(await api(app, agentKey, 'PATCH', `/v1/numbers/${created.id}`, { name: 'x' }), 403, 'forbidden');
    expect((await api(app, org, 'GET', `/v1/numbers/${created.id}`)).json.name).toBe('Support line');
  });

  run('DELETE removes a number never used; one with history, a queue or an automation is kept with 409', async () => {
    const unused = (await api(app, org, 'POST', '/v1/numbers', { phone: '+14155550188' })).json;
    expectProblem(await api(app, agentKey, 'DELETE', `/v1/numbers/${unused.id}`), 403, 'forbidden');
    expectProblem(await api(app, other, 'DELETE', `/v1/numbers/${unused.id}`), 404, 'not_found');
    const deleted = await api(app, org, 'DELETE', `/v1/numbers/${unused.id}`);
    expect(deleted.status, deleted.raw.body).toBe(204);
    expect(await listed(org)).not.toContain('+14155550188');
    expectProblem(await api(app, org, 'GET', `/v1/numbers/${unused.id}`), 404, 'not_found');
    // Gone means gone: it can be registered again, and texts from it are refused meanwhile.
    expectProblem(await api(app, org, 'POST', '/v1/messages', { to: '+14155550123', body: 'hi', from: '+14155550188' }), 404, 'unknown_number');
    expect((await api(app, org, 'POST', '/v1/numbers', { phone: '+14155550188' })).status).toBe(201);

    // The organization's main number has texted: its history is kept, so it is too.
    const sent = await api(app, org, 'POST', '/v1/messages', { to: '+14155550123', body: 'History', from: org.number });
    expect(sent.status).toBe(201);
    const kept = await api(app, org, 'DELETE', `/v1/numbers/${org.numberId}`);
    expectProblem(kept, 409, 'invalid_state', { detail: [org.number, 'has history', 'message'] });
    expect(await listed(org)).toContain(org.number);
    expect((await api(app, org, 'GET', `/v1/messages/${sent.json.id}`)).status).toBe(200);

    // Named by an automation's scope: change the automation first.
    const scoped = (await api(app, org, 'POST', '/v1/numbers', { phone: '+14155550189' })).json;
    const automation = await api(app, org, 'POST', '/v1/automations/presets/missed-call-text-back', { numbers: ['+14155550189'] });
    expect(automation.status, automation.raw.body).toBe(201);
    expectProblem(await api(app, org, 'DELETE', `/v1/numbers/${scoped.id}`), 409, 'invalid_state', { detail: [automation.json.id, 'scope'] });
    await api(app, org, 'DELETE', `/v1/automations/${automation.json.id}`);
    expect((await api(app, org, 'DELETE', `/v1/numbers/${scoped.id}`)).status).toBe(204);

    // Serving a queue: take it out of the queue first.
    const queued = (await api(app, org, 'POST', '/v1/numbers', { phone: '+14155550190' })).json;
    const queue = await api(app, org, 'POST', '/v1/queues', { name: 'Help', initiation_keyword: 'HELPME', termination_keyword: 'DONE', numbers: ['+14155550190'] });
    expect(queue.status, queue.raw.body).toBe(201);
    expectProblem(await api(app, org, 'DELETE', `/v1/numbers/${queued.id}`), 409, 'invalid_state', { detail: [`queue ${queue.json.id}`] });
    expect(await listed(org)).toContain('+14155550190');
  });
});
