/** Lists are newest first and paged with next_cursor: following it visits every row once. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { expectProblem } from './helpers.js';

describe.each(DIALECTS)('cursor pagination (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;
  let other: TestOrg;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    org = await createTestOrg(app);
    other = await createTestOrg(app);
  });
  afterAll(async () => app?.close());

  /** Follows next_cursor from the first page to the last; returns the pages' ids. */
  async function allPages(url: string, limit: number, between?: (page: number) => Promise<void>): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const res = await api(app, org, 'GET', `${url}${url.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, res.raw.body).toBe(200);
      pages.push(res.json.data.map((r: { id: string }) => r.id));
      cursor = res.json.next_cursor;
      if (pages.length > 50) throw new Error('next_cursor never ran out');
      if (between) await between(pages.length);
    } while (cursor);
    return pages;
  }

  it.runIf(dialectAvailable(dialect))('7 contacts in pages of 3: newest first, no duplicates, no gaps, and the last page says so', async () => {
    const created: string[] = [];
    for (let i = 0; i < 7; i++) {
      // Some share a millisecond (a bulk import), some do not: the order holds either way.
      if (i % 3 === 0) app.clock.advance(1000);
      const res = await api(app, org, 'POST', '/v1/contacts', { phone: `+1415555${String(1200 + i)}`, name: `Contact ${i}` });
      expect(res.status).toBe(201);
      created.push(res.json.id);
    }
    // The other organization's contacts never appear in these pages.
    await api(app, other, 'POST', '/v1/contacts', { phone: '+14155551299', name: 'Not yours' });

    const pages = await allPages('/v1/contacts', 3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual([...created].reverse());

    // An exact multiple ends without an empty extra page.
    const exact = await allPages('/v1/contacts', 7);
    expect(exact).toEqual([[...created].reverse()]);
  });

  it.runIf(dialectAvailable(dialect))('rows created while paging do not shift the pages: no duplicates, nothing skipped', async () => {
    const before = (await api(app, org, 'GET', '/v1/contacts?limit=200')).json.data.map((c: { id: string }) => c.id);
    let added = 0;
    const pages = await allPages('/v1/contacts', 2, async () => {
      // A new contact arrives between two page requests, at the same millisecond as the newest ones.
      const res = await api(app, org, 'POST', '/v1/contacts', { phone: `+1415555${1300 + added++}` });
      expect(res.status).toBe(201);
    });
    const seen = pages.flat();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(before);
  });

  it.runIf(dialectAvailable(dialect))('messages page the same way, filters included', async () => {
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api(app, org, 'POST', '/v1/messages', { to: '+14155550144', body: `Update ${i}` });
      sent.push(res.json.id);
    }
    const contact = (await api(app, org, 'GET', `/v1/messages/${sent[0]}`)).json.contact_id;
    const pages = await allPages(`/v1/messages?contact=${contact}`, 2);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual([...sent].reverse());
  });

  it.runIf(dialectAvailable(dialect))('a cursor the API did not give: 400 invalid_cursor saying to pass next_cursor', async () => {
    const forged = Buffer.from(JSON.stringify({ created_at: 1, id: 'x' })).toString('base64url');
    for (const cursor of ['garbage', forged, Buffer.from('[1]').toString('base64url'), '%%%']) {
      for (const url of ['/v1/contacts', '/v1/messages', '/v1/conversations', '/v1/calls', '/v1/jobs']) {
        const res = await api(app, org, 'GET', `${url}?cursor=${encodeURIComponent(cursor)}`);
        expectProblem(res, 400, 'invalid_cursor', { detail: ['next_cursor'] });
      }
    }
    // An empty cursor is the first page, as if none were given.
    expect((await api(app, org, 'GET', '/v1/contacts?cursor=')).status).toBe(200);
  });

  it.runIf(dialectAvailable(dialect))('a limit outside 1..200 is refused naming the parameter', async () => {
    for (const limit of ['0', '201', 'ten', '-1']) {
      expectProblem(await api(app, org, 'GET', `/v1/contacts?limit=${limit}`), 400, 'validation_failed', { fields: ['querystring.limit'] });
    }
  });
});
