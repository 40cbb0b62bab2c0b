/**
 * A local stand-in for Twilio's "create a message" endpoint: answers every
 * `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with 201 and a fresh sid, as fast as it
 * can. `GET /stats` → { requests }. PORT from the environment.
 */
import http from 'node:http';
import { URLSearchParams } from 'node:url';

let count = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ requests: count }));
    return;
  }
  const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.url ?? '');
  if (req.method !== 'POST' || !match) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 20404, message: 'The requested resource was not found', status: 404 }));
    return;
  }
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => (raw += chunk));
  req.on('end', () => {
    const form = new URLSearchParams(raw);
    const n = ++count;
    const sid = `SM${n.toString(16).padStart(32, '0')}`;
    const now = new Date().toUTCString();
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        account_sid: match[1],
        api_version: '2010-04-01',
        body: form.get('Body'),
        date_created: now,
        date_sent: null,
        date_updated: now,
        direction: 'outbound-api',
        error_code: null,
        error_message: null,
        from: form.get('From'),
        num_media: String(form.getAll('MediaUrl').length),
        num_segments: '1',
        price: null,
        price_unit: 'USD',
        messaging_service_sid: null,
        sid,
        status: 'queued',
        to: form.get('To'),
        uri: `/2010-04-01/Accounts/${match[1]}/Messages/${sid}.json`,
      }),
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.({ type: 'ready' }));
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
