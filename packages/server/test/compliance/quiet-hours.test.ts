/**
 * Quiet hours in the recipient's local time, on both databases, with the fake clock: the edges of
 * the federal window, state rules (Texas Sundays from noon, Connecticut from 9:00), both DST
 * changes, held texts sent at the next allowed minute, and the live-conversation exemption.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { at, freshOrg, inbox, iso, settle } from './helpers.js';

const PT = 'America/Los_Angeles';
const CT = 'America/Chicago';
const ET = 'America/New_York';
const TO = 'America/Toronto';
const LON = 'Europe/London';

interface Case {
  name: string;
  to: string;
  now: number;
  /** Expected hold end, or null when the text may go at once. */
  heldUntil: number | null;
  rule?: string;
  /** Also check that the held text goes out exactly at `heldUntil`, not a minute before. */
  release?: boolean;
}

// In chronological order (each case has its own organization, number and recipient anyway).
const CASES: Case[] = [
  { name: 'California 20:59 local: inside the federal window', to: '+14155550401', now: at(PT, '2026-01-15T20:59'), heldUntil: null },
  {
    name: 'California 21:00 local: held until 08:00 the next morning',
    to: '+14155550402',
    now: at(PT, '2026-01-15T21:00'),
    heldUntil: at(PT, '2026-01-16T08:00'),
    rule: 'US-FEDERAL',
    release: true,
  },
  { name: 'California 07:59 local: held one minute', to: '+14155550403', now: at(PT, '2026-01-16T07:59'), heldUntil: at(PT, '2026-01-16T08:00'), rule: 'US-FEDERAL' },
  { name: 'Connecticut 08:59 local: held until 09:00 (state rule)', to: '+18605550101', now: at(ET, '2026-01-16T08:59'), heldUntil: at(ET, '2026-01-16T09:00'), rule: 'US-CT', release: true },
  { name: 'Connecticut 09:00 local: allowed', to: '+18605550102', now: at(ET, '2026-01-16T09:00'), heldUntil: null },
  { name: 'Connecticut 20:00 local: held until 09:00 the next day', to: '+18605550103', now: at(ET, '2026-01-16T20:00'), heldUntil: at(ET, '2026-01-17T09:00'), rule: 'US-CT' },
  { name: 'Texas Saturday 08:59: held until 09:00', to: '+15125550101', now: at(CT, '2026-01-17T08:59'), heldUntil: at(CT, '2026-01-17T09:00'), rule: 'US-TX' },
  { name: 'Texas Saturday 20:59: allowed', to: '+15125550102', now: at(CT, '2026-01-17T20:59'), heldUntil: null },
  { name: 'Texas Saturday 21:00: held until Sunday noon', to: '+15125550103', now: at(CT, '2026-01-17T21:00'), heldUntil: at(CT, '2026-01-18T12:00'), rule: 'US-TX' },
  { name: 'Texas Sunday 11:59: held until noon', to: '+15125550104', now: at(CT, '2026-01-18T11:59'), heldUntil: at(CT, '2026-01-18T12:00'), rule: 'US-TX', release: true },
  { name: 'Texas Sunday 12:00: allowed', to: '+15125550105', now: at(CT, '2026-01-18T12:00'), heldUntil: null },
  {
    name: 'spring forward: Saturday 21:30 PST held until Sunday 08:00 PDT',
    to: '+14155550404',
    now: at(PT, '2026-03-07T21:30'),
    heldUntil: Date.parse('2026-03-08T15:00:00Z'),
    rule: 'US-FEDERAL',
    release: true,
  },
  { name: 'spring forward: Sunday 07:59 PDT held one minute', to: '+14155550405', now: Date.parse('2026-03-08T14:59:00Z'), heldUntil: Date.parse('2026-03-08T15:00:00Z'), rule: 'US-FEDERAL' },
  {
    name: 'fall back: Saturday 21:30 PDT held until Sunday 08:00 PST',
    to: '+14155550406',
    now: at(PT, '2026-10-31T21:30'),
    heldUntil: Date.parse('2026-11-01T16:00:00Z'),
    rule: 'US-FEDERAL',
    release: true,
  },
  // Canada: the CRTC's window (09:00–21:30 weekdays, 10:00–18:00 weekends), labelled CA-CRTC, not US-FEDERAL.
  { name: 'Toronto 08:30 local: held until 09:00 (CRTC)', to: '+14165550101', now: at(TO, '2026-01-16T08:30'), heldUntil: at(TO, '2026-01-16T09:00'), rule: 'CA-CRTC', release: true },
  { name: 'Toronto 21:15 local on a weekday: allowed (CRTC)', to: '+14165550102', now: at(TO, '2026-01-15T21:15'), heldUntil: null },
  { name: 'Toronto Saturday 18:00: held until Sunday 10:00 (CRTC)', to: '+14165550103', now: at(TO, '2026-01-17T18:00'), heldUntil: at(TO, '2026-01-18T10:00'), rule: 'CA-CRTC' },
  // Where no law is applied: the default quiet hours, labelled DEFAULT.
  { name: 'London 22:00: held until 08:00 (default quiet hours)', to: '+447911123456', now: at(LON, '2026-01-15T22:00'), heldUntil: at(LON, '2026-01-16T08:00'), rule: 'DEFAULT' },
  { name: 'fall back: Sunday 07:30 PST (after the repeated hour) held until 08:00 PST', to: '+14155550407', now: Date.parse('2026-11-01T15:30:00Z'), heldUntil: Date.parse('2026-11-01T16:00:00Z'), rule: 'US-FEDERAL' },
];

describe.each(DIALECTS)('quiet hours (%s)', (dialect) => {
  let app: TestApp;

  beforeAll(async () => {
    if (dialectAvailable(dialect)) app = await createTestApp(dialect);
  });
  afterAll(async () => app?.close());

  it.runIf(dialectAvailable(dialect)).each(CASES)('$name', async (c) => {
    app.clock.set(c.now);
    const org = await freshOrg(app);
    const res = await api(app, org, 'POST', '/v1/messages', { to: c.to, body: 'Your estimate is ready' });
    expect(res.status).toBe(201);
    if (c.heldUntil === null) {
      expect(res.json).toMatchObject({ status: 'queued', held_until: null, rule: null });
      await app.drain();
      expect((await api(app, org, 'GET', `/v1/messages/${res.json.id}`)).json.status).toBe('sent');
      return;
    }
    expect(res.json).toMatchObject({ status: 'held', reason: 'quiet_hours', rule: c.rule, held_until: iso(c.heldUntil) });
    expect(res.json.status_detail).toBe(`held for quiet hours until ${iso(c.heldUntil)} (rule ${c.rule})`);
    const job = await app.tb.ctx.db.kysely.selectFrom('jobs').selectAll().where('unique_key', '=', `message.send:${res.json.id}`).executeTakeFirstOrThrow();
    expect(job.run_at).toBe(c.heldUntil);
    const decision = await app.tb.ctx.db.kysely.selectFrom('events').selectAll().where('subject_id', '=', res.json.id).where('type', '=', 'compliance.decision').executeTakeFirstOrThrow();
    expect(JSON.parse(decision.data)).toMatchObject({ decision: 'held', reason: 'quiet_hours', rule: c.rule, held_until: c.heldUntil, stage: 'create' });

    if (c.release) {
      // Not a minute early...
      app.clock.set(c.heldUntil - 60_000);
      await app.drain();
      expect((await api(app, org, 'GET', `/v1/messages/${res.json.id}`)).json.status).toBe('held');
      expect(await inbox(app, org, c.to)).toHaveLength(0);
      // ...but at the next allowed minute.
      app.clock.set(c.heldUntil);
      await app.drain();
      const sent = await api(app, org, 'GET', `/v1/messages/${res.json.id}`);
      expect(sent.json).toMatchObject({ status: 'sent', reason: null, rule: c.rule, held_until: iso(c.heldUntil) });
      const received = await inbox(app, org, c.to);
      expect(received.map((m) => m.created_at)).toEqual([iso(c.heldUntil)]);
    }
  });

  it.runIf(dialectAvailable(dialect))("the contact's own time zone wins over the area code's", async () => {
    app.clock.set(at(ET, '2026-01-20T21:30')); // 18:30 in California
    const org = await freshOrg(app);
    const contact = await api(app, org, 'POST', '/v1/contacts', { phone: '+14155550410', time_zone: ET });
    expect(contact.status).toBe(201);
    const res = await api(app, org, 'POST', '/v1/messages', { to: '+14155550410', body: 'Hi' });
    expect(res.json).toMatchObject({ status: 'held', held_until: iso(at(ET, '2026-01-21T08:00')) });
    const plain = await api(app, org, 'POST', '/v1/messages', { to: '+14155550411', body: 'Hi' });
    expect(plain.json.status).toBe('queued');
  });

  it.runIf(dialectAvailable(dialect))('a reply in a live conversation (the contact wrote within 24 h) is not held; configurable', async () => {
    app.clock.set(at(PT, '2026-01-21T22:00'));
    const org = await freshOrg(app);
    await api(app, org, 'POST', '/v1/sandbox/messages', { from: '+14155550420', to: org.number, body: 'Is the plumber coming tomorrow?' });
    app.clock.advance(5 * 60_000);
    const reply = await api(app, org, 'POST', '/v1/messages', { to: '+14155550420', body: 'Yes, at 9' });
    expect(reply.json).toMatchObject({ status: 'queued', held_until: null });
    await settle(app);
    expect((await inbox(app, org, '+14155550420')).map((m) => m.body)).toEqual(['Yes, at 9']);

    // A contact who wrote more than 24 hours ago is not in a live conversation.
    app.clock.set(at(PT, '2026-01-22T22:01'));
    const stale = await api(app, org, 'POST', '/v1/messages', { to: '+14155550420', body: 'Following up' });
    expect(stale.json).toMatchObject({ status: 'held', rule: 'US-FEDERAL' });

    // The exemption can be turned off.
    await api(app, org, 'POST', '/v1/sandbox/messages', { from: '+14155550421', to: org.number, body: 'Hello?' });
    expect((await api(app, org, 'PATCH', '/v1/compliance/settings', { quiet_hours_exempt_live_conversation: false })).json.quiet_hours_exempt_live_conversation).toBe(false);
    const off = await api(app, org, 'POST', '/v1/messages', { to: '+14155550421', body: 'Hi!' });
    expect(off.json).toMatchObject({ status: 'held', reason: 'quiet_hours' });

    // And quiet hours as a whole.
    await api(app, org, 'PATCH', '/v1/compliance/settings', { quiet_hours: false });
    const none = await api(app, org, 'POST', '/v1/messages', { to: '+14155550422', body: 'Hi!' });
    expect(none.json.status).toBe('queued');
  });

  it.runIf(dialectAvailable(dialect))('a missed call counts as the contact reaching out: the text-back is not held', async () => {
    app.clock.set(at(PT, '2026-01-23T22:30'));
    const org = await freshOrg(app);
    await api(app, org, 'POST', '/v1/sandbox/calls', { from: '+14155550430', to: org.number, outcome: 'no-answer' });
    const res = await api(app, org, 'POST', '/v1/messages', { to: '+14155550430', body: 'Sorry we missed your call!' });
    expect(res.json.status).toBe('queued');
  });

  it.runIf(dialectAvailable(dialect))('a held text can be cancelled', async () => {
    app.clock.set(at(PT, '2026-01-24T23:00'));
    const org = await freshOrg(app);
    const res = await api(app, org, 'POST', '/v1/messages', { to: '+14155550440', body: 'Hi' });
    expect(res.json.status).toBe('held');
    const cancelled = await api(app, org, 'POST', `/v1/messages/${res.json.id}/cancel`);
    expect(cancelled.json.status).toBe('cancelled');
    app.clock.set(at(PT, '2026-01-25T08:00'));
    await app.drain();
    expect(await inbox(app, org, '+14155550440')).toHaveLength(0);
  });
});
