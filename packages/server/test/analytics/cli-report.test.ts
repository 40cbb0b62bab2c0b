/** `textback report`: the same numbers as the API, as a table or CSV. Needs `npx tsc -b` first. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { generateHistory, insertHistory } from '../support/analytics-history.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { requireBuiltCli, runCli } from '../api/helpers.js';

const RANGE = ['--from', '2026-10-19', '--to', '2026-11-15'];
const QUERY = 'from=2026-10-19&to=2026-11-15';

describe.each(DIALECTS)('textback report (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;
  let env: Record<string, string>;
  beforeAll(async () => {
    requireBuiltCli();
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    org = await createTestOrg(app);
    const options = { seed: 5, orgId: org.orgId, numberId: org.numberId, numberE164: org.number, automationId: 'aut_cli', variants: { a: 0.2, b: 0.3 }, start: Date.parse('2026-10-19T04:00:00Z'), days: 28, contacts: 150 };
    await insertHistory(app.tb.ctx.db, generateHistory(options), options);
    env = { DATABASE_URL: app.database.url, TEXTBACK_SECRET_KEY: 'a'.repeat(64) };
  }, 60_000);
  afterAll(async () => app?.close());

  it.skipIf(!dialectAvailable(dialect))('prints the summary, and per variant as CSV with the numbers of the API', async () => {
    const summary = await runCli(['report', '--org', org.orgId, ...RANGE], env);
    expect(summary.code, summary.stderr).toBe(0);
    const fromApi = await api(app, org, 'GET', `/v1/analytics/summary?${QUERY}`);
    expect(summary.stdout).toMatch(new RegExp(`missed calls\\s+${fromApi.json.missed_calls}\\n`));
    expect(summary.stdout).toContain(`replied                  ${fromApi.json.replied} (`);

    const csv = await runCli(['report', '--org', org.orgId, ...RANGE, '--by', 'variant', '--csv'], env);
    expect(csv.code, csv.stderr).toBe(0);
    const apiCsv = await api(app, org, 'GET', `/v1/analytics/breakdown?${QUERY}&by=variant&format=csv`);
    expect(csv.stdout).toBe(apiCsv.raw.body);
    expect(csv.stdout.split('\r\n')[0]).toMatch(/^variant,missed_calls,/);

    const table = await runCli(['report', '--org', org.orgId, ...RANGE, '--by', 'week'], env);
    expect(table.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['week', '2026-10-19', '2026-10-26', '2026-11-02', '2026-11-09']);

    const experiment = await runCli(['report', '--org', org.orgId, ...RANGE, '--experiment', 'aut_cli'], env);
    expect(experiment.code, experiment.stderr).toBe(0);
    expect(experiment.stdout).toMatch(/^a\s+delivered/m);
    expect(experiment.stdout).toMatch(/winner: |too early to tell: /);
  });

  it.skipIf(!dialectAvailable(dialect))('refuses a bad range or grouping with the reason', async () => {
    const reversed = await runCli(['report', '--org', org.orgId, '--from', '2026-11-02', '--to', '2026-11-01'], env);
    expect(reversed.code).toBe(1);
    expect(reversed.stderr).toContain('from (2026-11-02) is after to (2026-11-01)');
    const by = await runCli(['report', '--org', org.orgId, '--by', 'planet'], env);
    expect(by.code).not.toBe(0);
    expect(by.stderr).toMatch(/--by.*planet.*Allowed choices are day, week, month, automation/s);
  });
});
