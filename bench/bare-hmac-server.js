/**
 * The baseline of scenario 5: a bare Fastify route that checks a Twilio-style X-Twilio-Signature
 * (HMAC-SHA1 over the URL and the sorted form parameters) and answers empty TwiML: no database, no
 * de-duplication, no logging. `node bench/bare-hmac-server.js` with PORT, AUTH_TOKEN and PUBLIC_BASE.
 */
import { Buffer } from 'node:buffer';
import crypto from 'node:crypto';
import { URLSearchParams } from 'node:url';
import Fastify from 'fastify';

const port = Number(process.env.PORT);
const token = process.env.AUTH_TOKEN ?? 'bench-auth-token';
// The URL the sender signed (a public URL in front of the process, as for Textback's accounts).
const base = process.env.PUBLIC_BASE ?? `http://127.0.0.1:${port}`;

const app = Fastify({ logger: false });
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
app.get('/health', async () => ({ ok: true }));
app.post('/twilio/messages', async (request, reply) => {
  const params = new URLSearchParams(request.body);
  let data = `${base}${request.url}`;
  for (const name of [...new Set(params.keys())].sort()) for (const value of params.getAll(name).sort()) data += name + value;
  const expected = crypto.createHmac('sha1', token).update(Buffer.from(data, 'utf8')).digest('base64');
  const given = Buffer.from(String(request.headers['x-twilio-signature'] ?? ''));
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, Buffer.from(expected))) return reply.status(403).send();
  return reply.status(200).type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response/>');
});
await app.listen({ port, host: '127.0.0.1' });
process.send?.({ type: 'ready' });

const shutdown = async () => {
  await app.close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
