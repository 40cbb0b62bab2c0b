/**
 * The web app served by the API's server: index.html for / and for unknown pages (client routing),
 * hashed assets cached for a year, and the API's own paths untouched. Uses a temporary build.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultWebRoot } from '../../src/http/web.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { expectProblem, REPO_ROOT } from './helpers.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-3f2a1b.js"></script></head><body><div id="root"></div></body></html>';
const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe.each(DIALECTS)('the web app (%s)', (dialect) => {
  let app: TestApp;
  let bare: TestApp;
  let org: TestOrg;
  let dist: string;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    dist = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-web-'));
    fs.mkdirSync(path.join(dist, 'assets'));
    fs.writeFileSync(path.join(dist, 'index.html'), INDEX);
    fs.writeFileSync(path.join(dist, 'assets', 'app-3f2a1b.js'), 'console.log("app")');
    fs.writeFileSync(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    app = await createTestApp(dialect, { config: { webRoot: dist } });
    org = await createTestOrg(app);
    bare = await createTestApp(dialect, { config: { webRoot: path.join(dist, 'not-built') } });
  });
  afterAll(async () => {
    await app?.close();
    await bare?.close();
    if (dist) fs.rmSync(dist, { recursive: true, force: true });
  });

  const get = (on: TestApp, url: string, headers: Record<string, string> = {}) => on.http.inject({ method: 'GET', url, headers });

  it.runIf(dialectAvailable(dialect))('/ and unknown pages that accept HTML answer index.html, never cached', async () => {
    for (const url of ['/', '/inbox', '/inbox/cnv_01ABC?tab=notes', '/settings/teams/team_1', '/index.html']) {
      const res = await get(app, url, HTML);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.headers['cache-control'], url).toBe('no-cache');
      expect(res.headers['content-security-policy'], url).toContain("default-src 'self'");
      expect(res.body, url).toBe(INDEX);
    }
    // A HEAD of a page too.
    expect((await app.http.inject({ method: 'HEAD', url: '/inbox', headers: HTML })).statusCode).toBe(200);
  });

  it.runIf(dialectAvailable(dialect))('assets are served with a year of immutable caching; other files revalidate', async () => {
    const asset = await get(app, '/assets/app-3f2a1b.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.body).toBe('console.log("app")');
    const icon = await get(app, '/favicon.svg');
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
    // A missing asset is a 404, not the app (a stale page must not run HTML as a script).
    const missing = await get(app, '/assets/app-old.js');
    expectProblem({ status: missing.statusCode, json: JSON.parse(missing.body), headers: missing.headers, raw: missing }, 404, 'not_found');
    // Nothing outside the build is reachable.
    expect((await get(app, '/../package.json')).statusCode).toBe(404);
    expect((await get(app, '/assets/..%2f..%2fpackage.json')).statusCode).toBe(404);
  });

  it.runIf(dialectAvailable(dialect))("the API's own paths are untouched: unknown /v1 paths stay problem+json 404, docs, OpenAPI, health and webhooks answer as before", async () => {
    expectProblem(await api(app, org, 'GET', '/v1/nothing-here', undefined, HTML), 404, 'not_found', { detail: ['no route GET /v1/nothing-here'] });
    expectProblem(await api(app, null, 'GET', '/v1/nothing-here', undefined, HTML), 404, 'not_found');
    expectProblem(await api(app, null, 'GET', '/webhooks/nowhere', undefined, HTML), 404, 'not_found');
    expectProblem(await api(app, null, 'GET', '/healthz', undefined, { accept: 'application/json' }), 404, 'not_found');
    expectProblem(await api(app, null, 'POST', '/inbox', { a: 1 }, HTML), 404, 'not_found');
    const openapi = await get(app, '/openapi.json', HTML);
    expect(openapi.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(openapi.body).openapi).toBe('3.1.0');
    // (The test app runs no workers: health says so, as JSON.)
    const health = await get(app, '/health', HTML);
    expect(health.headers['content-type']).toMatch(/^application\/json/);
    expect(health.json()).toMatchObject({ database: 'up' });
    const docs = await get(app, '/docs', HTML);
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toMatch(/swagger-ui/i);
    expect(docs.body).not.toBe(INDEX);
  });

  it.runIf(dialectAvailable(dialect))('without a build, / says how to build the web app, and the API works', async () => {
    const res = await get(bare, '/', HTML);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('npm run build');
    expect((await get(bare, '/inbox', HTML)).body).toContain('has not been built');
    expectProblem(await api(bare, null, 'GET', '/v1/nothing-here', undefined, HTML), 404, 'not_found');
    expect((await get(bare, '/health')).json()).toMatchObject({ database: 'up' });
  });

  it.runIf(dialectAvailable(dialect))('the default build directory is packages/web/dist, from the sources and from the compiled server', async () => {
    const expected = path.join(REPO_ROOT, 'packages', 'web', 'dist');
    expect(defaultWebRoot()).toBe(expected);
    const compiled = (await import(path.join(REPO_ROOT, 'packages/server/dist/http/web.js'))) as { defaultWebRoot(): string };
    expect(compiled.defaultWebRoot()).toBe(expected);
  });
});
