/**
 * GET /v1/events: the organization's events as server-sent events, ids that are sequence numbers
 * to resume from, and no message text in them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { expectProblem, parseSse, SseReader, streamEnds, type SseEvent } from './helpers.js';

const SECRET_A = 'Your door code is 4471';
const SECRET_INBOUND = 'My card number is 4242';
const SECRET_B = 'Other org private text';

interface EventData {
  seq: number;
  type: string;
  subject_type: string;
  subject_id: string;
  data: Record<string, unknown>;
  created_at: string;
}

const dataOf = (e: SseEvent) => JSON.parse(e.data) as EventData;

describe.each(DIALECTS)('the event stream (%s)', (dialect) => {
  let app: TestApp;
  let a: TestOrg;
  let b: TestOrg;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    a = await createTestOrg(app);
    b = await createTestOrg(app);
  });
  afterAll(async () => app?.close());

  async function stream(org: TestOrg, query: string, headers: Record<string, string> = {}) {
    const res = await app.http.inject({ method: 'GET', url: `/v1/events?${query}`, headers: { authorization: `Bearer ${org.apiKey}`, ...headers } });
    return { res, events: parseSse(res.body) };
  }

  it.runIf(dialectAvailable(dialect))("replays the organization's events in order with sequence ids, without bodies or other organizations' events", async () => {
    const sent = await api(app, a, 'POST', '/v1/messages', { to: '+14155550123', body: SECRET_A });
    const theirs = await api(app, b, 'POST', '/v1/messages', { to: '+14155550123', body: SECRET_B });
    await app.drain(); // sent
    await app.advance(1000); // delivered
    const inbound = await api(app, a, 'POST', '/v1/sandbox/messages', { from: '+15554265646', to: a.number, body: SECRET_INBOUND });
    await api(app, b, 'POST', '/v1/sandbox/messages', { from: '+15554265646', to: b.number, body: SECRET_B });

    const { res, events } = await stream(a, 'after=0&once=true');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.headers['cache-control']).toBe('no-cache');

    // Message events, in the order they happened (automations and the like may add events of their own).
    const messageEvents = events.filter((e) => e.event?.startsWith('message.'));
    expect(messageEvents.map((e) => e.event)).toEqual(['message.created', 'message.status_changed', 'message.status_changed', 'message.received']);
    expect(messageEvents.map(dataOf)).toMatchObject([
      { type: 'message.created', subject_type: 'message', subject_id: sent.json.id, data: { status: 'queued', direction: 'outbound', conversation_id: sent.json.conversation_id } },
      { type: 'message.status_changed', subject_id: sent.json.id, data: { status: 'sent' } },
      { type: 'message.status_changed', subject_id: sent.json.id, data: { status: 'delivered' } },
      { type: 'message.received', subject_id: inbound.json.id, data: { contact_id: inbound.json.contact_id, conversation_id: inbound.json.conversation_id } },
    ]);
    const data = events.map(dataOf);
    // The id is the sequence number, increasing, and the same as the data's seq.
    const seqs = events.map((e) => Number(e.id));
    expect(seqs.every((s) => Number.isInteger(s) && s > 0)).toBe(true);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
    expect(data.map((d) => d.seq)).toEqual(seqs);

    // Ids and states only: no text of any message, and nothing of the other organization.
    for (const secret of [SECRET_A, SECRET_INBOUND, SECRET_B, '4471', '4242']) expect(res.body).not.toContain(secret);
    expect(res.body).not.toContain(theirs.json.id);
    expect(res.body).not.toContain(b.number);

    // The other organization sees its own, and only its own.
    const other = await stream(b, 'after=0&once=true');
    const otherData = other.events.map(dataOf);
    expect(otherData.map((d) => d.subject_id)).toContain(theirs.json.id);
    expect(otherData.map((d) => d.subject_id)).not.toContain(sent.json.id);
    expect(other.res.body).not.toContain(SECRET_B);

    // after= and Last-Event-ID resume after a sequence number.
    const afterSecond = await stream(a, `after=${seqs[1]}&once=true`);
    expect(afterSecond.events.map((e) => Number(e.id))).toEqual(seqs.slice(2));
    const resumed = await stream(a, 'once=true', { 'last-event-id': String(seqs[2]) });
    expect(resumed.events.map((e) => Number(e.id))).toEqual(seqs.slice(3));
    // Without either, the stream starts at now: nothing old is replayed.
    expect((await stream(a, 'once=true')).events).toEqual([]);
  });

  it.runIf(dialectAvailable(dialect))('refuses a bad `after` and a missing key', async () => {
    const bad = await api(app, a, 'GET', '/v1/events?after=-1&once=true');
    expectProblem(bad, 400, 'validation_failed', { fields: ['querystring.after'] });
    expectProblem(await api(app, a, 'GET', '/v1/events?after=yesterday&once=true'), 400, 'validation_failed', { fields: ['querystring.after'] });
    expectProblem(await api(app, null, 'GET', '/v1/events?after=0&once=true'), 401, 'unauthorized');
  });

  it.runIf(dialectAvailable(dialect))('live: an event arrives after a POST, and reconnecting with Last-Event-ID resumes after it', async () => {
    const base = await app.http.listen({ port: 0, host: '127.0.0.1' });
    const controllers: AbortController[] = [];
    const open = async (headers: Record<string, string> = {}) => {
      const controller = new AbortController();
      controllers.push(controller);
      const res = await fetch(`${base}/v1/events`, { headers: { authorization: `Bearer ${a.apiKey}`, ...headers }, signal: controller.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      return { reader: new SseReader(res.body!), close: () => controller.abort() };
    };
    try {
      const first = await open();
      // Other traffic (the other organization's) does not reach this stream.
      await api(app, b, 'POST', '/v1/messages', { to: '+14155550131', body: 'Not for A' });
      const one = await api(app, a, 'POST', '/v1/messages', { to: '+14155550130', body: 'Live one' });
      const e1 = await first.reader.next(5000);
      expect(e1.event).toBe('message.created');
      expect(dataOf(e1).subject_id).toBe(one.json.id);
      first.close();

      // While nobody listens, more happens.
      const two = await api(app, a, 'POST', '/v1/messages', { to: '+14155550132', body: 'While away' });
      const again = await open({ 'last-event-id': e1.id! });
      const e2 = await again.reader.next(5000);
      expect(dataOf(e2).subject_id).toBe(two.json.id);
      expect(Number(e2.id)).toBeGreaterThan(Number(e1.id));

      // ... and it is still live after the catch-up.
      const three = await api(app, a, 'POST', '/v1/messages', { to: '+14155550133', body: 'Live again' });
      const e3 = await again.reader.next(5000);
      expect(dataOf(e3).subject_id).toBe(three.json.id);
      expect(again.reader.raw).not.toContain('Live again');

      // Shutting the server down ends the streams of connected clients (they reconnect elsewhere).
      const closing = app.http.close();
      await streamEnds(again.reader, 2000);
      await closing;
    } finally {
      for (const c of controllers) c.abort();
    }
  });
});
