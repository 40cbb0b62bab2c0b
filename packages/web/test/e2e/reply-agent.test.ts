/// <reference lib="dom" />
/**
 * The reply agent in a real browser: switched on with its facts from Settings; a contact's question
 * answered with its decision in the thread; take over and hand back from the thread; a callback
 * request booked and shown under Callbacks, then marked done. Read back through the API.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiCall, axe, DEMO_NUMBER, describeBrowser, launch, signIn, startWebServer, type TestBrowser, type WebServer } from '../support/browser.js';

describeBrowser('the reply agent in the web app', () => {
  let server: WebServer;
  let b: TestBrowser;
  const contact = '+14155550177';
  beforeAll(async () => {
    server = await startWebServer();
    b = await launch();
    await signIn(b.page, server.url);
  });
  afterAll(async () => {
    await b?.close();
    await server?.close();
  });

  async function conversationOf(phone: string): Promise<string> {
    let id: string | undefined;
    await expect
      .poll(async () => {
        const list = (await apiCall(server, 'GET', '/v1/conversations?limit=50')).json.data as { id: string; contact?: { phone: string } }[];
        id = list.find((c) => c.contact?.phone === phone)?.id;
        return id;
      })
      .toBeTruthy();
    return id!;
  }

  it('is switched on with its facts from Settings, and a bad booking link is refused on its field', async () => {
    const { page } = b;
    await page.goto(`${server.url}/settings/reply-agent`);
    const form = page.getByRole('form', { name: /Reply agent of/ });
    await form.getByRole('switch', { name: /Answer texts to .* automatically/ }).check();
    await form.getByLabel('Hours').fill('Monday to Friday 8 AM to 6 PM');
    await form.getByLabel('Booking link').fill('ftp://book.example.com');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.locator('.form-error').filter({ hasText: 'http' }).waitFor();
    await form.getByLabel('Booking link').fill('https://book.example.com/plumbing');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect(await axe(page)).toEqual([]);
    const numbers = (await apiCall(server, 'GET', '/v1/numbers')).json.data as { id: string; phone: string }[];
    const demo = numbers.find((n) => n.phone === DEMO_NUMBER)!;
    const settings = (await apiCall(server, 'GET', `/v1/numbers/${demo.id}/reply-agent`)).json;
    expect(settings).toMatchObject({ enabled: true, facts: { hours: 'Monday to Friday 8 AM to 6 PM', booking_link: 'https://book.example.com/plumbing' } });
  });

  it("answers a question about hours, shows its decision in the thread, and a person takes over and hands back", async () => {
    const { page } = b;
    expect((await apiCall(server, 'POST', '/v1/sandbox/messages', { from: contact, to: DEMO_NUMBER, body: 'What are your hours?' })).status).toBeLessThan(300);
    const conversationId = await conversationOf(contact);
    await page.goto(`${server.url}/inbox/all?c=${conversationId}`);
    const timeline = page.getByRole('list', { name: 'Timeline' });
    await timeline.getByText(/reply agent: .*hours/i).first().waitFor({ timeout: 15_000 });
    const bar = page.getByRole('status', { name: 'Reply agent' });
    await bar.getByText(/The reply agent answers this conversation \(1 reply so far\)/).waitFor({ timeout: 15_000 });

    await bar.getByRole('button', { name: 'Take over' }).click();
    await bar.getByText('A person has this conversation; the reply agent stays quiet.').waitFor();
    expect((await apiCall(server, 'GET', `/v1/conversations/${conversationId}/reply-agent`)).json.state).toBe('taken_over');
    await timeline.getByText(/a person took the conversation over/).waitFor();
    expect(await axe(page)).toEqual([]);

    await bar.getByRole('button', { name: 'Hand back to the agent' }).click();
    await bar.getByText(/The reply agent answers this conversation/).waitFor();
    expect((await apiCall(server, 'GET', `/v1/conversations/${conversationId}/reply-agent`)).json).toMatchObject({ state: 'active', exchanges: 0 });
  });

  it('books a callback the contact asks for; Callbacks lists it, and marking it done moves it to Done', async () => {
    const { page } = b;
    // Another contact: the first one's next text, within a minute of the agent's reply, is left alone (loop prevention).
    const caller = '+14155550178';
    expect((await apiCall(server, 'POST', '/v1/sandbox/messages', { from: caller, to: DEMO_NUMBER, body: 'Can you call me tomorrow at 3pm?' })).status).toBeLessThan(300);
    let due = '';
    await expect
      .poll(
        async () => {
          const list = (await apiCall(server, 'GET', '/v1/callbacks?state=open')).json.data as { phone: string; due_at: string }[];
          due = list.find((c) => c.phone === caller)?.due_at ?? '';
          return due;
        },
        { timeout: 15_000 },
      )
      .not.toBe('');
    // 15:00 in the contact's time zone (415: Los Angeles).
    expect(new Intl.DateTimeFormat('en-US', { timeZone: 'America/Los_Angeles', hour: 'numeric', minute: '2-digit', hour12: false }).format(new Date(due))).toBe('15:00');

    await page.getByRole('link', { name: 'Callbacks' }).click();
    const item = page.getByRole('listitem', { name: 'Callback to (415) 555-0178' });
    await item.waitFor();
    expect(await axe(page)).toEqual([]);
    await item.getByRole('button', { name: 'Called: done' }).click();
    await item.waitFor({ state: 'detached' });
    await page.getByRole('tab', { name: 'Done' }).click();
    await page.getByRole('listitem', { name: 'Callback to (415) 555-0178' }).waitFor();
    const done = (await apiCall(server, 'GET', '/v1/callbacks?state=done')).json.data as { phone: string }[];
    expect(done.map((c) => c.phone)).toContain(caller);
  });
});
