/** The self-description of the API (/openapi.json, /docs) and its health check. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';

/** The routes the documentation promises, with their methods. */
const DOCUMENTED: Record<string, string[]> = {
  '/v1/messages': ['get', 'post'],
  '/v1/messages/{id}': ['get'],
  '/v1/messages/{id}/cancel': ['post'],
  '/v1/messages/preview': ['post'],
  '/v1/contacts': ['get', 'post'],
  '/v1/contacts/{id}': ['get', 'patch'],
  '/v1/conversations': ['get'],
  '/v1/conversations/{id}': ['get', 'patch'],
  '/v1/conversations/{id}/messages': ['get'],
  '/v1/numbers': ['get', 'post'],
  '/v1/numbers/{id}': ['get', 'patch', 'delete'],
  '/v1/conversations/{id}/read': ['post'],
  '/v1/conversations/{id}/unread': ['post'],
  '/v1/conversations/{id}/notes': ['get', 'post'],
  '/v1/saved-replies': ['get', 'post'],
  '/v1/saved-replies/{id}': ['get', 'patch', 'delete'],
  '/v1/auth/login': ['post'],
  '/v1/auth/session': ['get'],
  '/v1/auth/logout': ['post'],
  '/v1/auth/password': ['post'],
  '/v1/me': ['get'],
  '/v1/sandbox/handsets': ['get'],
  '/v1/jobs': ['get'],
  '/v1/jobs/{id}/retry': ['post'],
  '/v1/sandbox/messages': ['post'],
  '/v1/sandbox/calls': ['post'],
  '/v1/sandbox/handsets/{number}/messages': ['get'],
  '/v1/events': ['get'],
  '/v1/calls': ['get', 'post'],
  '/v1/calls/{id}': ['get'],
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every `$ref` in the document, with where it is. */
function refs(node: Json, at = '#'): [string, string][] {
  if (Array.isArray(node)) return node.flatMap((n, i) => refs(n, `${at}/${i}`));
  if (node && typeof node === 'object') {
    return Object.entries(node).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [[at, v] as [string, string]] : refs(v, `${at}/${k}`)));
  }
  return [];
}

function resolvePointer(doc: Json, ref: string): Json | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: Json | undefined = doc;
  for (const part of ref.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))) {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = node[part];
  }
  return node;
}

describe.each(DIALECTS)('OpenAPI, docs and health (%s)', (dialect) => {
  let app: TestApp;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect, { config: { runWorkers: false } });
  });
  afterAll(async () => app?.close());

  it.runIf(dialectAvailable(dialect))('/openapi.json is an OpenAPI 3.1 document listing the documented /v1 routes', async () => {
    const res = await api(app, null, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const doc = res.json;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Textback API', version: expect.any(String) });
    expect(doc.components.securitySchemes.apiKey).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.session).toEqual({ type: 'apiKey', in: 'cookie', name: 'textback_session' });
    expect(doc.security).toEqual([{ apiKey: [] }, { session: [] }]);
    // Signing in needs no credentials.
    expect(doc.paths['/v1/auth/login'].post.security).toEqual([]);

    for (const [path, methods] of Object.entries(DOCUMENTED)) {
      expect(doc.paths, `missing ${path}`).toHaveProperty([path]);
      for (const method of methods) {
        const op = doc.paths[path][method];
        expect(op, `missing ${method.toUpperCase()} ${path}`).toBeDefined();
        expect(Object.keys(op.responses ?? {}).length, `${method} ${path} documents no response`).toBeGreaterThan(0);
      }
    }
    // Path parameters are declared where the path has them.
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(item)) {
        for (const name of names) expect(op.parameters?.some((p) => p.in === 'path' && p.name === name), `${path} declares {${name}}`).toBe(true);
      }
    }
    // Only the versioned API is in it: no internal routes.
    for (const path of Object.keys(doc.paths)) expect(path).toMatch(/^\/v1\//);

    // Bodies and errors are described: sending needs `body`, and `to` unless it replies in a conversation; a 400 is a Problem.
    const send = doc.paths['/v1/messages'].post;
    const sendSchema = send.requestBody.content['application/json'].schema;
    expect(sendSchema.required).toEqual(['body']);
    expect(sendSchema.if).toEqual({ not: { required: ['conversation_id'] } });
    expect(sendSchema.then).toEqual({ required: ['to'] });
    expect(sendSchema.additionalProperties).toBe(false);
    const problem = send.responses['400'].content['application/json'].schema;
    const resolved = problem.$ref ? resolvePointer(doc, problem.$ref) : problem;
    expect(resolved).toMatchObject({ type: 'object', properties: { code: { type: 'string' }, detail: { type: 'string' } } });

    // Every $ref points at something in the document.
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(0);
    for (const [at, ref] of all) expect(resolvePointer(doc, ref), `${at}: $ref ${ref} resolves`).toBeDefined();
  });

  it.runIf(dialectAvailable(dialect))('every operation has a summary, a description and a tag the document describes', async () => {
    const doc = (await api(app, null, 'GET', '/openapi.json')).json as {
      tags?: { name: string; description?: string }[];
      paths: Record<string, Record<string, { summary?: string; description?: string; tags?: string[] }>>;
    };
    const declared = new Map((doc.tags ?? []).map((t) => [t.name, t.description]));
    for (const [name, description] of declared) expect(description?.length, `tag ${name} has a description`).toBeGreaterThan(10);
    const lacking: string[] = [];
    let operations = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        operations++;
        const where = `${method.toUpperCase()} ${path}`;
        if (!op.summary?.trim()) lacking.push(`${where}: no summary`);
        if (!op.description?.trim()) lacking.push(`${where}: no description`);
        if (!op.tags?.length) lacking.push(`${where}: no tag`);
        for (const tag of op.tags ?? []) if (!declared.has(tag)) lacking.push(`${where}: tag "${tag}" is not described in the document's tags`);
      }
    }
    expect(lacking).toEqual([]);
    expect(operations).toBeGreaterThan(90);
  });

  it.runIf(dialectAvailable(dialect))('/docs serves the API reference as HTML, titled Textback API, with its own logo', async () => {
    let res = await app.http.inject({ method: 'GET', url: '/docs' });
    if (res.statusCode >= 300 && res.statusCode < 400) res = await app.http.inject({ method: 'GET', url: String(res.headers.location) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toMatch(/<html/i);
    expect(res.body).toContain('<title>Textback API</title>');
    expect(res.body).toMatch(/href="[^"]*\/theme\/favicon\.svg"/);
    expect((await app.http.inject({ method: 'GET', url: '/docs/static/theme/favicon.svg' })).statusCode).toBe(200);
    expect(res.body).not.toContain('favicon-32x32.png');
    // The top bar's Swagger logo is replaced by Textback's.
    const init = await app.http.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(init.statusCode).toBe(200);
    const logo = /img\.src = 'data:image\/svg\+xml;base64,([^']+)'/.exec(init.body);
    expect(logo, 'the initializer replaces the logo').not.toBeNull();
    const svg = Buffer.from(logo![1]!, 'base64').toString('utf8');
    expect(svg).toContain('Textback API');
    expect(svg).not.toMatch(/swagger/i);
  });

  it.runIf(dialectAvailable(dialect))('GET /health: 200 with the database up, without a key', async () => {
    const res = await api(app, null, 'GET', '/health');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok', database: 'up', workers: 'external' });
  });

  it.runIf(dialectAvailable(dialect))('GET /health: 503 when this process should run workers and they are not running', async () => {
    const withWorkers = await createTestApp(dialect, { config: { runWorkers: true } });
    try {
      const res = await api(withWorkers, null, 'GET', '/health');
      expect(res.status).toBe(503);
      expect(res.json).toEqual({ status: 'unavailable', database: 'up', workers: 'down' });
    } finally {
      await withWorkers.close();
    }
  });

  it.runIf(dialectAvailable(dialect))('GET /health: 503 while serve is still setting up (listening, first organization not made yet)', async () => {
    app.tb.setStarting(true);
    try {
      const res = await api(app, null, 'GET', '/health');
      expect(res.status).toBe(503);
      expect(res.json).toEqual({ status: 'unavailable', startup: 'in progress', database: 'up', workers: 'external' });
    } finally {
      app.tb.setStarting(false);
    }
    expect((await api(app, null, 'GET', '/health')).status).toBe(200);
  });

  it.runIf(dialectAvailable(dialect))('GET / points at the docs, the document and the health check', async () => {
    const res = await api(app, null, 'GET', '/');
    expect(res.json).toMatchObject({ docs: '/docs', openapi: '/openapi.json', health: '/health' });
  });
});
