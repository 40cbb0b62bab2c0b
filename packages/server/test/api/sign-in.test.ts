/**
 * People sign in with email and password: a session cookie (httpOnly, SameSite=Lax, Secure over
 * HTTPS), a CSRF token on every change made with it, back-off after failures, expiry, sign-out and
 * password change. A session acts exactly as its user's API key would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type ApiCall, type TestApp, type TestOrg } from '../support/test-app.js';
import { countRows, expectProblem, parseSse } from './helpers.js';

const PASSWORD = 'correct horse battery';

interface Browser {
  cookie: string;
  csrf: string;
  userId?: string;
}

/** Parses the Set-Cookie header of a response into the textback_session cookie's value and attributes. */
function sessionCookie(res: ApiCall): { value: string; attributes: string[] } | undefined {
  const raw = res.headers['set-cookie'];
  const all = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const line = all.find((c) => c.startsWith('textback_session='));
  if (!line) return undefined;
  const [pair, ...attributes] = line.split(/;\s*/);
  return { value: pair!.slice('textback_session='.length), attributes: attributes.map((a) => a.toLowerCase()) };
}

async function login(app: TestApp, email: string, password: string, ip = '10.0.0.1'): Promise<ApiCall> {
  const res = await app.http.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password }, remoteAddress: ip });
  return { status: res.statusCode, json: res.body ? JSON.parse(res.body) : undefined, headers: res.headers, raw: res };
}

async function signIn(app: TestApp, email: string, password = PASSWORD): Promise<Browser> {
  const res = await login(app, email, password);
  expect(res.status, res.raw.body).toBe(200);
  return { cookie: `textback_session=${sessionCookie(res)!.value}`, csrf: res.json.csrf_token, userId: res.json.user.id };
}

/** A request from the browser: the cookie, and the CSRF header unless `csrf` is false or another value. */
function as(app: TestApp, browser: Browser, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown, csrf: string | false = browser.csrf) {
  return api(app, null, method, url, body, { cookie: browser.cookie, ...(csrf !== false ? { 'x-csrf-token': csrf } : {}) });
}

describe.each(DIALECTS)('signing in (%s)', (dialect) => {
  let app: TestApp;
  let a: TestOrg;
  let b: TestOrg;
  let emailA: string;
  let n = 0;

  /** A user of `org` with a password, created through the API. */
  async function person(org: TestOrg, role: 'owner' | 'admin' | 'supervisor' | 'agent' = 'admin'): Promise<{ id: string; email: string }> {
    const email = `person${++n}.${role}@example.com`;
    const res = await api(app, org, 'POST', '/v1/users', { email, name: `Person ${n}`, role, password: PASSWORD });
    expect(res.status, res.raw.body).toBe(201);
    expect(res.json.has_password).toBe(true);
    return { id: res.json.id, email };
  }

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    a = await createTestOrg(app);
    b = await createTestOrg(app);
    emailA = (await person(a, 'admin')).email;
  });
  afterAll(async () => app?.close());

  it.runIf(dialectAvailable(dialect))('signs in: the user, organization and CSRF token, and an httpOnly SameSite=Lax cookie whose token is not stored', async () => {
    const res = await login(app, emailA.toUpperCase(), PASSWORD);
    expect(res.status, res.raw.body).toBe(200);
    expect(res.json).toMatchObject({ user: { email: emailA, role: 'admin' }, organization: { id: a.orgId }, auth: 'session' });
    expect(res.json.csrf_token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(res.headers['cache-control']).toBe('no-store');
    const cookie = sessionCookie(res)!;
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(cookie.attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=lax', 'path=/']));
    expect(cookie.attributes).not.toContain('secure');
    expect(cookie.attributes.find((x) => x.startsWith('max-age='))).toBe(`max-age=${30 * 86400}`);
    // Only a hash of the token is in the database.
    const rows = await app.tb.ctx.db.kysely.selectFrom('sessions').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(cookie.value);

    const browser = { cookie: `textback_session=${cookie.value}`, csrf: res.json.csrf_token as string };
    expect((await as(app, browser, 'GET', '/v1/contacts')).status).toBe(200);
    const me = await as(app, browser, 'GET', '/v1/me');
    expect(me.json).toMatchObject({ user: { email: emailA }, organization: { id: a.orgId }, csrf_token: browser.csrf, auth: 'session' });
    const session = await as(app, browser, 'GET', '/v1/auth/session');
    expect(session.json).toMatchObject({ user: { email: emailA }, csrf_token: browser.csrf });
    // With an API key, /v1/me answers too (no CSRF token), /v1/auth/session does not.
    expect((await api(app, a, 'GET', '/v1/me')).json).toMatchObject({ user: { id: a.userId, role: 'owner' }, csrf_token: null, auth: 'api_key' });
    expectProblem(await api(app, a, 'GET', '/v1/auth/session'), 401, 'unauthorized', { detail: ['sign in'] });
    expectProblem(await api(app, null, 'GET', '/v1/auth/session'), 401, 'unauthorized');
  });

  it.runIf(dialectAvailable(dialect))('the cookie is Secure when the public URL is https, or the request came over https through a trusted proxy', async () => {
    const config = app.tb.ctx.config;
    // X-Forwarded-Proto is ignored without TRUST_PROXY.
    const plain = await app.http.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: emailA, password: PASSWORD }, headers: { 'x-forwarded-proto': 'https' } });
    expect(String(plain.headers['set-cookie'])).not.toMatch(/;\s*Secure/i);
    config.publicBaseUrl = 'https://sms.example.com';
    try {
      const res = await login(app, emailA, PASSWORD);
      expect(sessionCookie(res)!.attributes).toContain('secure');
    } finally {
      config.publicBaseUrl = undefined;
    }
    const proxied = await createTestApp(dialect, { config: { trustProxy: true } });
    try {
      const org = await createTestOrg(proxied);
      await api(proxied, org, 'POST', '/v1/users', { email: 'proxied@example.com', name: 'P', role: 'agent', password: PASSWORD });
      const res = await proxied.http.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'proxied@example.com', password: PASSWORD }, headers: { 'x-forwarded-proto': 'https' } });
      expect(res.statusCode).toBe(200);
      expect(String(res.headers['set-cookie'])).toMatch(/;\s*Secure/i);
    } finally {
      await proxied.close();
    }
  });

  it.runIf(dialectAvailable(dialect))('a wrong password and an unknown email get the same 401, and no cookie', async () => {
    const wrong = await login(app, emailA, 'not the password', '10.0.1.1');
    const unknown = await login(app, 'nobody@example.com', PASSWORD, '10.0.1.1');
    for (const res of [wrong, unknown]) {
      expectProblem(res, 401, 'invalid_credentials');
      expect(sessionCookie(res)).toBeUndefined();
    }
    expect(wrong.json.detail).toBe(unknown.json.detail);
    // A user without a password cannot sign in with any.
    const keyOnly = await api(app, a, 'POST', '/v1/users', { email: 'keys.only@example.com', name: 'Keys', role: 'agent' });
    expect(keyOnly.json.has_password).toBe(false);
    expectProblem(await login(app, 'keys.only@example.com', '', '10.0.1.1'), 400, 'validation_failed', { fields: ['body.password'] });
    expectProblem(await login(app, 'keys.only@example.com', PASSWORD, '10.0.1.1'), 401, 'invalid_credentials');
    // Fields are checked.
    expectProblem(await login(app, emailA, undefined as unknown as string), 400, 'validation_failed', { fields: ['body.password'] });
  });

  it.runIf(dialectAvailable(dialect))('after 5 failures for an email, sign-in is refused with 429 and Retry-After, even with the right password, then backs off', async () => {
    const { email } = await person(a, 'agent');
    for (let i = 1; i <= 5; i++) expectProblem(await login(app, email, `wrong ${i}`, `10.0.2.${i}`), 401, 'invalid_credentials');
    // The fifth failure locks the email for 30 seconds (from any address).
    const locked = await login(app, email, PASSWORD, '10.0.2.99');
    expectProblem(locked, 429, 'too_many_attempts', { detail: ['30 seconds'] });
    expect(locked.headers['retry-after']).toBe('30');
    expect(sessionCookie(locked)).toBeUndefined();
    app.clock.advance(10_000);
    expect((await login(app, email, PASSWORD, '10.0.2.99')).headers['retry-after']).toBe('20');
    // Other people are not affected.
    expect((await login(app, emailA, PASSWORD, '10.0.2.99')).status).toBe(200);
    app.clock.advance(20_000);
    // Another failure doubles the lock...
    expectProblem(await login(app, email, 'wrong 6', '10.0.2.6'), 401, 'invalid_credentials');
    expect((await login(app, email, PASSWORD)).headers['retry-after']).toBe('60');
    app.clock.advance(60_000);
    // ...and the right password afterwards signs in and clears the count.
    expect((await login(app, email, PASSWORD)).status).toBe(200);
    expectProblem(await login(app, email, 'wrong again'), 401, 'invalid_credentials');
    expect((await login(app, email, PASSWORD)).status).toBe(200);
  });

  it.runIf(dialectAvailable(dialect))('after 20 failures from one address, that address is refused for every email', async () => {
    for (let i = 0; i < 20; i++) expectProblem(await login(app, `spray${i}@example.com`, 'guess', '10.0.3.1'), 401, 'invalid_credentials');
    const res = await login(app, emailA, PASSWORD, '10.0.3.1');
    expectProblem(res, 429, 'too_many_attempts');
    expect(Number(res.headers['retry-after'])).toBe(30);
    expect((await login(app, emailA, PASSWORD, '10.0.3.2')).status).toBe(200);
    app.clock.advance(30_000);
    expect((await login(app, emailA, PASSWORD, '10.0.3.1')).status).toBe(200);
    // Failures are forgotten after 15 minutes: their rows go at the next failure.
    const sprayed = () => app.tb.ctx.db.kysely.selectFrom('login_throttle').select('key').where('key', 'like', 'email:spray%').execute();
    expect(await sprayed()).toHaveLength(20);
    app.clock.advance(15 * 60_000);
    expectProblem(await login(app, 'someone.else@example.com', 'guess', '10.0.3.9'), 401, 'invalid_credentials');
    expect(await sprayed()).toEqual([]);
  });

  it.runIf(dialectAvailable(dialect))('a change made with the cookie needs the X-CSRF-Token of that session: missing or wrong is 403 and writes nothing', async () => {
    const browser = await signIn(app, emailA);
    const other = await signIn(app, emailA);
    expect(other.csrf).not.toBe(browser.csrf);
    const before = await countRows(app);
    for (const csrf of [false, '', 'x', other.csrf, `${browser.csrf}x`, browser.csrf.slice(1)] as const) {
      const res = await as(app, browser, 'POST', '/v1/messages', { to: '+14155550123', body: 'Hello' }, csrf);
      expectProblem(res, 403, 'csrf_failed', { detail: ['X-CSRF-Token'] });
    }
    expectProblem(await as(app, browser, 'PATCH', '/v1/organization', { name: 'Hijacked' }, false), 403, 'csrf_failed');
    expectProblem(await as(app, browser, 'DELETE', '/v1/api-keys/key_x', undefined, false), 403, 'csrf_failed');
    expectProblem(await as(app, browser, 'POST', '/v1/auth/logout', undefined, false), 403, 'csrf_failed');
    expect(await countRows(app)).toEqual(before);
    expect((await api(app, a, 'GET', '/v1/organization')).json.name).not.toBe('Hijacked');

    const sent = await as(app, browser, 'POST', '/v1/messages', { to: '+14155550123', body: 'Hello' });
    expect(sent.status, sent.raw.body).toBe(201);
    const me = await as(app, browser, 'GET', '/v1/me');
    expect(sent.json.created_by).toEqual({ type: 'user', id: me.json.user.id });
    // An API key needs no CSRF token, even with a cookie beside it.
    const keyed = await api(app, a, 'POST', '/v1/messages', { to: '+14155550123', body: 'Hi' }, { cookie: browser.cookie });
    expect(keyed.status).toBe(201);
    expect(keyed.json.created_by.type).toBe('api_key');
  });

  it.runIf(dialectAvailable(dialect))("a session reaches only its own organization: another organization's ids are 404", async () => {
    const browser = await signIn(app, emailA);
    const theirs = await api(app, b, 'POST', '/v1/messages', { to: '+14155550177', body: 'B only' });
    expect(theirs.status).toBe(201);
    expectProblem(await as(app, browser, 'GET', `/v1/messages/${theirs.json.id}`), 404, 'not_found');
    expectProblem(await as(app, browser, 'GET', `/v1/conversations/${theirs.json.conversation_id}`), 404, 'not_found');
    expectProblem(await as(app, browser, 'GET', `/v1/contacts/${theirs.json.contact_id}`), 404, 'not_found');
    const list = await as(app, browser, 'GET', '/v1/messages?limit=200');
    expect(list.json.data.map((m: { id: string }) => m.id)).not.toContain(theirs.json.id);
    expect((await as(app, browser, 'GET', '/v1/organization')).json.id).toBe(a.orgId);
  });

  it.runIf(dialectAvailable(dialect))('roles: a session user is allowed exactly what their API key would be', async () => {
    const agent = await person(a, 'agent');
    const browser = await signIn(app, agent.email);
    const key = await api(app, a, 'POST', '/v1/api-keys', { user_id: agent.id, name: 'agent key' });
    const keyed = { apiKey: key.json.key as string };
    const checks: [method: 'GET' | 'POST' | 'PATCH', url: string, body: unknown, least: string][] = [
      ['PATCH', '/v1/organization', { name: 'Agent was here' }, 'admin'],
      ['POST', '/v1/users', { email: 'x@example.com', name: 'X', role: 'agent' }, 'admin'],
      ['GET', '/v1/api-keys', undefined, 'admin'],
      ['GET', '/v1/jobs', undefined, 'admin'],
      ['POST', '/v1/api-keys', { user_id: agent.id, name: 'more' }, 'admin'],
      ['GET', '/v1/carrier-accounts', undefined, 'admin'],
      ['PATCH', '/v1/compliance/settings', { quiet_hours: false }, 'admin'],
      ['POST', '/v1/teams', { name: 'Agents only' }, 'supervisor'],
      ['POST', '/v1/automations/presets/missed-call-text-back', {}, 'supervisor'],
      ['GET', '/v1/consent/export', undefined, 'supervisor'],
      ['POST', '/v1/saved-replies', { name: 'R', body: 'Hi' }, 'supervisor'],
    ];
    for (const [method, url, body, least] of checks) {
      const viaKey = await api(app, keyed, method, url, body);
      const viaSession = await as(app, browser, method, url, body);
      expect(viaSession.status, `${method} ${url}`).toBe(viaKey.status);
      expectProblem(viaSession, 403, 'forbidden', { detail: [`${least} role or above`, 'you are agent'] });
    }
    expect((await as(app, browser, 'POST', '/v1/messages', { to: '+14155550124', body: 'From an agent' })).status).toBe(201);
    // A role changed in the database applies to the open session at once.
    await app.tb.ctx.db.kysely.updateTable('users').set({ role: 'admin' }).where('id', '=', agent.id).execute();
    expect((await as(app, browser, 'GET', '/v1/api-keys')).status).toBe(200);
  });

  it.runIf(dialectAvailable(dialect))("PATCH /v1/users/:id: admins rename and change roles, only an owner gives or takes 'owner', the last owner keeps it", async () => {
    const admin = await signIn(app, emailA);
    const target = await person(a, 'agent');
    const browser = await signIn(app, target.email);
    const promoted = await as(app, admin, 'PATCH', `/v1/users/${target.id}`, { role: 'supervisor', name: 'Promoted Person' });
    expect(promoted.status, promoted.raw.body).toBe(200);
    expect(promoted.json).toMatchObject({ id: target.id, role: 'supervisor', name: 'Promoted Person' });
    // At once for their session.
    expect((await as(app, browser, 'GET', '/v1/me')).json.user.role).toBe('supervisor');
    expectProblem(await as(app, admin, 'PATCH', `/v1/users/${target.id}`, { role: 'owner' }), 403, 'forbidden', { detail: ['owner role'] });
    expectProblem(await as(app, browser, 'PATCH', `/v1/users/${target.id}`, { role: 'admin' }), 403, 'forbidden', { detail: ['admin role'] });
    expectProblem(await as(app, admin, 'PATCH', `/v1/users/${target.id}`, { role: 'emperor' }), 400, 'validation_failed', { fields: ['body.role'] });
    expectProblem(await as(app, admin, 'PATCH', `/v1/users/${target.id}`, {}), 400, 'validation_failed');
    // The only owner stays one; another organization's users are not here.
    expectProblem(await api(app, a, 'PATCH', `/v1/users/${a.userId}`, { role: 'admin' }), 409, 'invalid_state', { detail: ['only owner'] });
    expectProblem(await api(app, b, 'PATCH', `/v1/users/${target.id}`, { name: 'Stolen' }), 404, 'not_found');
    expect((await api(app, a, 'PATCH', `/v1/users/${target.id}`, { role: 'owner' })).json.role).toBe('owner');
    expect((await api(app, a, 'PATCH', `/v1/users/${a.userId}`, { role: 'admin' })).json.role).toBe('admin');
    expect((await as(app, browser, 'PATCH', `/v1/users/${a.userId}`, { role: 'owner' })).json.role).toBe('owner');
  });

  it.runIf(dialectAvailable(dialect))('deactivating a user signs them out, stops their keys and sign-in, unassigns their open conversations; reactivating lets them back', async () => {
    const admin = await signIn(app, emailA);
    const target = await person(a, 'agent');
    const browser = await signIn(app, target.email);
    const key = await as(app, admin, 'POST', '/v1/api-keys', { user_id: target.id, name: 'Their script' });
    expect(key.status, key.raw.body).toBe(201);
    const keyed = { ...a, apiKey: key.json.key as string };
    expect((await api(app, keyed, 'GET', '/v1/contacts')).status).toBe(200);
    // An open conversation of theirs.
    const sent = await api(app, a, 'POST', '/v1/messages', { to: '+14155550177', body: 'Hello' });
    expect(sent.status, sent.raw.body).toBe(201);
    const conversationId = sent.json.conversation_id as string;
    expect((await as(app, admin, 'PATCH', `/v1/conversations/${conversationId}`, { assigned_user_id: target.id })).status).toBe(200);

    // Nobody deactivates themselves; an agent deactivates nobody; another organization cannot see them.
    expectProblem(await as(app, admin, 'PATCH', `/v1/users/${admin.userId}`, { active: false }), 409, 'invalid_state', { detail: ['yourself'], fields: ['active'] });
    expectProblem(await as(app, browser, 'PATCH', `/v1/users/${admin.userId}`, { active: false }), 403, 'forbidden');
    expectProblem(await api(app, b, 'PATCH', `/v1/users/${target.id}`, { active: false }), 404, 'not_found');
    expectProblem(await as(app, admin, 'PATCH', `/v1/users/${target.id}`, { active: 'no' }), 400, 'validation_failed', { fields: ['body.active'] });

    const off = await as(app, admin, 'PATCH', `/v1/users/${target.id}`, { active: false });
    expect(off.status, off.raw.body).toBe(200);
    expect(off.json).toMatchObject({ id: target.id, active: false, deactivated_at: expect.any(String) });
    expect((await as(app, admin, 'GET', '/v1/users')).json.data.find((u: { id: string }) => u.id === target.id)).toMatchObject({ active: false });
    expectProblem(await as(app, browser, 'GET', '/v1/me'), 401, 'unauthorized');
    expectProblem(await api(app, keyed, 'GET', '/v1/contacts'), 401, 'unauthorized');
    expectProblem(await login(app, target.email, PASSWORD), 401, 'invalid_credentials');
    expect((await api(app, a, 'GET', `/v1/conversations/${conversationId}`)).json.assigned_user_id).toBeNull();
    expectProblem(await as(app, admin, 'PATCH', `/v1/conversations/${conversationId}`, { assigned_user_id: target.id }), 400, 'validation_failed', { fields: ['assigned_user_id'] });
    expectProblem(await as(app, admin, 'POST', '/v1/api-keys', { user_id: target.id, name: 'Another' }), 409, 'invalid_state', { fields: ['user_id'] });

    const on = await as(app, admin, 'PATCH', `/v1/users/${target.id}`, { active: true });
    expect(on.json).toMatchObject({ active: true, deactivated_at: null });
    expect((await login(app, target.email, PASSWORD)).status).toBe(200);
    expect((await api(app, keyed, 'GET', '/v1/contacts')).status).toBe(200);
  });

  it.runIf(dialectAvailable(dialect))('an API key made without user_id is the caller\'s own', async () => {
    const admin = await signIn(app, emailA);
    const key = await as(app, admin, 'POST', '/v1/api-keys', { name: 'Mine' });
    expect(key.status, key.raw.body).toBe(201);
    expect(key.json.user_id).toBe(admin.userId);
  });

  it.runIf(dialectAvailable(dialect))('a session ends after 72 hours idle, and 30 days after sign-in however active', async () => {
    const browser = await signIn(app, emailA);
    app.clock.advance(71 * 3_600_000);
    expect((await as(app, browser, 'GET', '/v1/me')).status).toBe(200);
    app.clock.advance(71 * 3_600_000);
    expect((await as(app, browser, 'GET', '/v1/me')).status).toBe(200);
    app.clock.advance(72 * 3_600_000);
    const idle = await as(app, browser, 'GET', '/v1/me');
    expectProblem(idle, 401, 'unauthorized', { detail: ['session has ended'] });
    expect(sessionCookie(idle)?.attributes.some((x) => x.startsWith('expires=thu, 01 jan 1970'))).toBe(true);

    const active = await signIn(app, emailA);
    for (let day = 1; day < 30; day++) {
      app.clock.advance(86_400_000);
      expect((await as(app, active, 'GET', '/v1/me')).status, `day ${day}`).toBe(200);
    }
    const other = await signIn(app, emailA); // signed in on day 29: lives on
    app.clock.advance(86_400_000);
    expectProblem(await as(app, active, 'GET', '/v1/me'), 401, 'unauthorized');
    expect((await as(app, other, 'GET', '/v1/me')).status).toBe(200);
    // Ended sessions are deleted, not kept: at the next sign-in for those that ended unseen.
    app.clock.advance(73 * 3_600_000);
    await signIn(app, emailA);
    const left = await app.tb.ctx.db.kysely.selectFrom('sessions').select(['id', 'last_seen_at', 'expires_at']).where('user_id', '=', active.userId!).execute();
    expect(left.length).toBeGreaterThan(0);
    expect(left.filter((s) => s.expires_at <= app.clock.now() || s.last_seen_at <= app.clock.now() - 72 * 3_600_000)).toEqual([]);
  });

  it.runIf(dialectAvailable(dialect))('signing out ends the session and clears the cookie', async () => {
    const browser = await signIn(app, emailA);
    const other = await signIn(app, emailA);
    const out = await as(app, browser, 'POST', '/v1/auth/logout');
    expect(out.status).toBe(204);
    expect(sessionCookie(out)?.value).toBe('');
    expectProblem(await as(app, browser, 'GET', '/v1/me'), 401, 'unauthorized');
    expect((await as(app, other, 'GET', '/v1/me')).status).toBe(200);
  });

  it.runIf(dialectAvailable(dialect))("changing one's password needs the current one, and ends the user's other sessions", async () => {
    const { email } = await person(a, 'supervisor');
    const here = await signIn(app, email);
    const elsewhere = await signIn(app, email);
    const colleague = await signIn(app, emailA);

    expectProblem(await as(app, here, 'POST', '/v1/auth/password', { current_password: 'not it at all', new_password: 'a brand new secret' }), 400, 'validation_failed', {
      fields: ['current_password'],
    });
    expectProblem(await as(app, here, 'POST', '/v1/auth/password', { current_password: PASSWORD, new_password: 'short' }), 400, 'validation_failed', {
      fields: ['new_password'],
      detail: ['10 to 200 characters'],
    });
    expectProblem(await as(app, here, 'POST', '/v1/auth/password', { current_password: PASSWORD }), 400, 'validation_failed', { fields: ['body.new_password'] });
    expect((await as(app, elsewhere, 'GET', '/v1/me')).status).toBe(200);

    const changed = await as(app, here, 'POST', '/v1/auth/password', { current_password: PASSWORD, new_password: 'a brand new secret' });
    expect(changed.status, changed.raw.body).toBe(204);
    expect((await as(app, here, 'GET', '/v1/me')).status).toBe(200);
    expectProblem(await as(app, elsewhere, 'GET', '/v1/me'), 401, 'unauthorized');
    expect((await as(app, colleague, 'GET', '/v1/me')).status).toBe(200);
    expectProblem(await login(app, email, PASSWORD, '10.0.4.1'), 401, 'invalid_credentials');
    expect((await login(app, email, 'a brand new secret', '10.0.4.1')).status).toBe(200);
  });

  it.runIf(dialectAvailable(dialect))('the event stream accepts the session cookie and resumes with Last-Event-ID', async () => {
    const browser = await signIn(app, emailA);
    const first = await as(app, browser, 'POST', '/v1/messages', { to: '+14155550125', body: 'one' });
    const second = await as(app, browser, 'POST', '/v1/messages', { to: '+14155550126', body: 'two' });
    const all = await app.http.inject({ method: 'GET', url: '/v1/events?after=0&once=true', headers: { cookie: browser.cookie } });
    expect(all.statusCode).toBe(200);
    expect(all.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = parseSse(all.body).filter((e) => e.event === 'message.created');
    const ids = events.map((e) => (JSON.parse(e.data) as { subject_id: string }).subject_id);
    expect(ids).toEqual(expect.arrayContaining([first.json.id, second.json.id]));
    const firstEvent = events.find((e) => e.data.includes(first.json.id))!;
    const resumed = await app.http.inject({ method: 'GET', url: '/v1/events?once=true', headers: { cookie: browser.cookie, 'last-event-id': firstEvent.id! } });
    const after = parseSse(resumed.body).filter((e) => e.event === 'message.created').map((e) => (JSON.parse(e.data) as { subject_id: string }).subject_id);
    expect(after).toContain(second.json.id);
    expect(after).not.toContain(first.json.id);
    expectProblem(await api(app, null, 'GET', '/v1/events?after=0&once=true', undefined, { cookie: 'textback_session=forged-token-forged-token-forged' }), 401, 'unauthorized');
  });
});
