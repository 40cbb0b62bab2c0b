/**
 * An automation's scope names only the organization's own numbers: another organization's number or
 * one never registered is refused with the 404 `unknown_number` every other route answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../api/helpers.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';

const document = (numbers: unknown) => ({
  name: 'scoped',
  state: 'active',
  priority: 1,
  scope: { numbers },
  trigger: { type: 'call.completed' },
  steps: [{ type: 'send_sms', template: 'Sorry we missed you' }],
});

describe.each(DIALECTS)("an automation's scope (%s)", (dialect) => {
  let app: TestApp;
  let org: TestOrg;
  let other: TestOrg;
  const run = it.runIf(dialectAvailable(dialect));

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect, { config: { runWorkers: false } });
    org = await createTestOrg(app, '+14155550171');
    other = await createTestOrg(app, '+14155550172');
  });
  afterAll(async () => app?.close());

  const automations = async () => (await api(app, org, 'GET', '/v1/automations')).json.data as unknown[];

  run("refuses another organization's number and an unregistered one on create, naming each", async () => {
    const foreign = await api(app, org, 'POST', '/v1/automations', document([org.number, other.number]));
    expectProblem(foreign, 404, 'unknown_number', { fields: ['scope.numbers[1]'], detail: [other.number, "not one of this organization's numbers", 'GET /v1/numbers'] });

    const unregistered = await api(app, org, 'POST', '/v1/automations', document(['+14155550999', '+14155550998']));
    expectProblem(unregistered, 404, 'unknown_number', { fields: ['scope.numbers[0]', 'scope.numbers[1]'], detail: ['+14155550999, +14155550998 are not'] });

    const preset = await api(app, org, 'POST', '/v1/automations/presets/missed-call-text-back', { numbers: [other.number] });
    expectProblem(preset, 404, 'unknown_number', { fields: ['scope.numbers[0]'] });
    expect(await automations()).toHaveLength(0);

    // Its own numbers, or all of them, are fine.
    expect((await api(app, org, 'POST', '/v1/automations', document([org.number]))).status).toBe(201);
    expect((await api(app, org, 'POST', '/v1/automations', document('all'))).status).toBe(201);
  });

  run('refuses them on update too, and keeps the scope it had', async () => {
    const created = await api(app, org, 'POST', '/v1/automations', document([org.number]));
    const patched = await api(app, org, 'PATCH', `/v1/automations/${created.json.id}`, { scope: { numbers: [other.number] } });
    expectProblem(patched, 404, 'unknown_number', { fields: ['scope.numbers[0]'] });
    expect((await api(app, org, 'GET', `/v1/automations/${created.json.id}`)).json.scope).toEqual({ numbers: [org.number] });
    // A change that leaves the scope alone is not re-checked against it, and works.
    expect((await api(app, org, 'PATCH', `/v1/automations/${created.json.id}`, { state: 'paused' })).status).toBe(200);
  });
});
