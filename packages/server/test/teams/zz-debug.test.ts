import { it } from 'vitest';
import { api, createTestApp } from '../support/test-app.js';
import { createTeamOrg, textFrom } from './helpers.js';

it('debug', async () => {
  const app = await createTestApp('sqlite');
  const org = await createTeamOrg(app, 2);
  console.log((await api(app, org, 'PATCH', `/v1/numbers/${org.numberId}/routing`, { forward_texts: 'all' })).json);
  await textFrom(app, org, '+15554265646', 'hello');
  await textFrom(app, org, org.agents[0]!.mobile, 'reply');
  await app.drain();
  console.log((await app.tb.ctx.db.kysely.selectFrom('jobs').selectAll().execute()).map((j) => [j.kind, j.state, j.last_error]));
  console.log((await app.tb.ctx.db.kysely.selectFrom('messages').selectAll().execute()).map((m) => [m.direction, m.to_e164, m.status, m.reason, m.rule, m.body]));
  console.log(await app.tb.ctx.db.kysely.selectFrom('team_trace').selectAll().execute());
  console.log(await app.tb.ctx.db.kysely.selectFrom('sandbox_messages').selectAll().execute());
  await app.close();
});
