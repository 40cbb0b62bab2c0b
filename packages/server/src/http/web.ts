/**
 * The web app (packages/web, built by Vite into packages/web/dist) served by the API's own server:
 * `/` and every unknown GET that asks for HTML answer index.html (client-side routing, never
 * cached; a request for JSON at `/` gets where things are), `/assets/*` (names with a content hash) are cached for a year, and the API's own paths
 * (/v1, /webhooks, /docs, /openapi.json, /health) are never taken over. Without a build, `/` says
 * how to make one.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** packages/web/dist, found from this file: the same two levels up from src/http (tests) and dist/http (built). */
export function defaultWebRoot(): string {
  return fileURLToPath(new URL('../../../web/dist', import.meta.url));
}

const API_PATHS = /^\/(v1|webhooks|docs|openapi\.json|health)(\/|$|\?)/;
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** For index.html: the app's code is only what it names, from this origin. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Textback</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<h1>Textback is running</h1>
<p>The web app has not been built, so there is nothing to show here yet. Build it with <code>npm run build</code>
(or <code>npm install</code>) in the Textback directory and reload this page.</p>
<p>The API works meanwhile: <a href="/docs">API documentation</a> · <a href="/openapi.json">OpenAPI document</a> · <a href="/health">health</a>.</p>
</body></html>
`;

export interface WebApp {
  /** For the not-found handler: answers when the request is a page of the app, else returns false. */
  fallback(request: FastifyRequest, reply: FastifyReply): boolean;
}

function wantsHtml(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  if (API_PATHS.test(request.url)) return false;
  return (request.headers.accept ?? '').includes('text/html');
}

export async function registerWebApp(app: FastifyInstance, root: string): Promise<WebApp> {
  const built = fs.existsSync(path.join(root, 'index.html'));
  const sendIndex = (reply: FastifyReply) =>
    built
      ? reply
          .header('cache-control', 'no-cache')
          .header('content-security-policy', CSP)
          .header('x-content-type-options', 'nosniff')
          .header('referrer-policy', 'same-origin')
          .sendFile('index.html', root, { cacheControl: false })
      : reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(NOT_BUILT);

  if (built) {
    await app.register(fastifyStatic, {
      root,
      prefix: '/',
      index: false,
      cacheControl: false,
      // Files are looked up per request under root; unknown ones go to the not-found handler.
      wildcard: true,
      setHeaders: (res, filePath) => {
        const relative = path.relative(root, filePath).split(path.sep).join('/');
        res.setHeader('cache-control', relative.startsWith('assets/') ? IMMUTABLE : 'no-cache');
        res.setHeader('x-content-type-options', 'nosniff');
      },
    });
  }
  // A browser gets the app; a script asking for JSON, where things are.
  app.get('/', { schema: { hide: true } }, async (request, reply) =>
    (request.headers.accept ?? '').includes('text/html') ? sendIndex(reply) : { name: 'Textback', app: '/', docs: '/docs', openapi: '/openapi.json', health: '/health' },
  );
  app.get('/index.html', { schema: { hide: true } }, async (_request, reply) => sendIndex(reply));

  return {
    fallback(request, reply) {
      if (!wantsHtml(request)) return false;
      void sendIndex(reply);
      return true;
    },
  };
}
