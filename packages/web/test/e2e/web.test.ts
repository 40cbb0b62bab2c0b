/// <reference lib="dom" />
/**
 * The web app in a real browser (the system's Chromium), against a real server on a fresh database:
 * what an office manager or agent does, found by role and label, checked with axe-core.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiCall, axe, DEMO_NUMBER, describeBrowser, launch, OWNER_EMAIL, signIn, startWebServer, type TestBrowser, type WebServer } from '../support/browser.js';

describeBrowser('web app', () => {
  let server: WebServer;
  let b: TestBrowser;
  beforeAll(async () => {
    server = await startWebServer();
    b = await launch();
    await signIn(b.page, server.url);
  });
  afterAll(async () => {
    await b?.close();
    await server?.close();
  });

  /** A handset texts the demo number; returns the conversation's id. */
  async function inbound(from: string, body: string): Promise<string> {
    const res = await apiCall(server, 'POST', '/v1/sandbox/messages', { from, to: DEMO_NUMBER, body });
    expect(res.status).toBe(201);
    return res.json.conversation_id as string;
  }

  it('refuses a wrong password, signs in, and signs out (sign-in page has no serious accessibility violations)', async () => {
    const fresh = await launch();
    const { page } = fresh;
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await axe(page)).toEqual([]);
    await page.getByLabel('Email').fill(OWNER_EMAIL);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('do not match');
    // Repeated failures for one email back off: the page says so instead of trying forever.
    for (let i = 0; i < 6; i++) {
      await page.getByLabel('Email').fill('nobody@demo.textback.local');
      await page.getByLabel('Password').fill(`wrong password ${i}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').waitFor();
      if ((await page.getByRole('alert').textContent())?.includes('Too many attempts')) break;
    }
    expect(await page.getByRole('alert').textContent()).toContain('Too many attempts');
    await signIn(page, server.url);
    // Owners start on everything open.
    await page.getByRole('heading', { name: 'All open' }).waitFor();
    await page.getByRole('button', { name: /Dana Owner/ }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    // The session is gone on the server too: the inbox sends back to sign-in.
    await page.goto(`${server.url}/inbox/all`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await fresh.close();
  });

  it('shows an inbound text live in the list and the thread, as text (an HTML body stays inert)', async () => {
    const { page } = b;
    await page.goto(`${server.url}/inbox/all`);
    await page.getByRole('heading', { name: 'All open' }).waitFor();
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    const xss = '<img src=x onerror=alert(1)>';
    await inbound('+15550101001', xss);
    // Live: no reload.
    const row = page.getByRole('button', { name: /\(555\) 010-1001/ });
    await row.waitFor({ timeout: 10_000 });
    await row.click();
    const timeline = page.getByRole('list', { name: 'Timeline' });
    await timeline.getByText(xss, { exact: true }).waitFor();
    expect(await timeline.locator('img').count()).toBe(0);
    // A second text arrives in the open thread without a reload.
    await inbound('+15550101001', 'Are you open on Saturday?');
    await timeline.getByText('Are you open on Saturday?').waitFor({ timeout: 10_000 });
    // The consent the first text implied is in the thread (from the contact's consent ledger).
    await timeline.getByText(/Consent: implied/).first().waitFor();
    expect(dialogs).toBe(0);
    expect(await axe(page)).toEqual([]);
  });

  it('sends a reply that reaches Delivered, once however often Send is clicked', async () => {
    const { page } = b;
    const conversationId = await inbound('+15550101002', 'Do you fix water heaters?');
    await page.goto(`${server.url}/inbox/all?c=${conversationId}`);
    const composer = page.getByLabel('Message');
    await composer.fill('We do! When suits you?');
    await expect.poll(() => page.locator('#composer-count').textContent()).toContain('1 segment');
    const send = page.getByRole('button', { name: 'Send', exact: true });
    await send.dblclick();
    const sent = page.locator('.msg.out', { hasText: 'We do! When suits you?' });
    await sent.getByText('Delivered').waitFor({ timeout: 15_000 });
    expect(await sent.count()).toBe(1);
    const messages = await apiCall(server, 'GET', `/v1/conversations/${conversationId}/messages`);
    expect(messages.json.data.filter((m: { body: string }) => m.body === 'We do! When suits you?')).toHaveLength(1);
  });

  it('composer: a saved reply inserted with "/" has its variables filled, names what forces UCS-2, and can be sent later', async () => {
    const { page } = b;
    expect((await apiCall(server, 'POST', '/v1/saved-replies', { name: 'Opening hours', body: 'Hi {Name|there}, {Business} is open 8–6.' })).status).toBe(201);
    const conversationId = await inbound('+15550101006', 'When are you open?');
    await page.goto(`${server.url}/inbox/all?c=${conversationId}`);
    await page.getByRole('list', { name: 'Timeline' }).getByText('When are you open?').waitFor();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('/');
    const picker = page.getByRole('dialog', { name: 'Saved replies' });
    await picker.getByRole('button', { name: /Opening hours/ }).click();
    const composer = page.getByLabel('Message');
    await expect.poll(() => composer.inputValue()).toBe('Hi there, Demo Plumbing Co. is open 8–6.');
    await expect.poll(() => page.locator('#composer-count').textContent()).toMatch(/UCS-2 because of –/);
    await page.getByRole('button', { name: 'Send later' }).click();
    const tomorrow = new Date(Date.now() + 86_400_000);
    const local = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await page.getByLabel(/Send at/).fill(local);
    await page.getByRole('button', { name: 'Schedule' }).click();
    await page.locator('.msg.out').getByText(/Will be sent/).waitFor();
    const messages = await apiCall(server, 'GET', `/v1/conversations/${conversationId}/messages`);
    expect(messages.json.data[0]).toMatchObject({ status: 'scheduled', body: 'Hi there, Demo Plumbing Co. is open 8–6.' });
  });

  it('shows why a text failed, in plain words with the carrier error code, in red', async () => {
    const { page } = b;
    const handset = '+15550101003';
    const conversationId = await inbound(handset, 'Call me back');
    expect((await apiCall(server, 'PUT', `/v1/sandbox/destinations/${encodeURIComponent(handset)}`, { fail_reason: 'landline' })).status).toBeLessThan(300);
    await page.goto(`${server.url}/inbox/all?c=${conversationId}`);
    await page.getByLabel('Message').fill('Sure, what time?');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const note = page.locator('.msg.out.bad .msg-note.bad');
    await note.waitFor({ timeout: 15_000 });
    expect(await note.textContent()).toMatch(/landline/i);
    expect(await note.textContent()).toMatch(/carrier error \S+/);
  });

  it('marks a conversation done with the keyboard and finds it under Done', async () => {
    const { page } = b;
    const conversationId = await inbound('+15550101004', 'Thanks, all sorted');
    await page.goto(`${server.url}/inbox/all?c=${conversationId}`);
    await page.getByRole('button', { name: /Done/ }).waitFor();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('e');
    await expect.poll(async () => (await apiCall(server, 'GET', `/v1/conversations/${conversationId}`)).json.status).toBe('done');
    await page.getByRole('link', { name: 'Done' }).click();
    await page.getByRole('button', { name: /\(555\) 010-1004/ }).waitFor();
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    await page.keyboard.press('Escape');
  });

  it('search: the box finds by a word, suggests fields, shows a wrong field under it; a saved view opens from the rail', async () => {
    const { page } = b;
    await inbound('+15550101011', 'Is the zanzibar valve in stock?');
    await inbound('+15550101012', 'Something else entirely');
    await page.goto(`${server.url}/inbox/all`);
    await page.getByRole('button', { name: /\(555\) 010-1012/ }).waitFor();
    const box = page.getByRole('combobox', { name: 'Search conversations' });
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+k');
    expect(await box.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type('statsu:open');
    await page.keyboard.press('Enter');
    const error = page.locator('.search-box').getByRole('alert');
    await expect.poll(() => error.textContent()).toBe('at 0: unknown field "statsu" (did you mean "status"?)');
    expect(await box.getAttribute('aria-invalid')).toBe('true');
    // Suggestions for the word being typed, the rest of the query kept.
    await box.fill('zanzibar stat');
    await expect.poll(() => page.locator('#search-suggestions option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toContain('zanzibar status:');
    await box.fill('zanzibar');
    await box.press('Enter');
    await page.getByRole('heading', { name: 'Search results' }).waitFor();
    const list = page.getByRole('list', { name: 'Conversations' });
    await list.getByRole('button', { name: /\(555\) 010-1011/ }).waitFor();
    expect(await list.getByRole('button').count()).toBe(1);
    expect(await error.count()).toBe(0);
    expect(await axe(page)).toEqual([]);
    // Save as view: it appears under Views in the rail and opens the list its query finds.
    await page.getByRole('button', { name: 'Save as view' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save as view' });
    await dialog.getByLabel('Name').fill('Zanzibar valves');
    await dialog.getByRole('checkbox', { name: /Shared/ }).check();
    await dialog.getByRole('button', { name: 'Save view' }).click();
    await page.getByRole('heading', { name: 'Zanzibar valves' }).waitFor();
    const views = await apiCall(server, 'GET', '/v1/views');
    expect(views.json.data).toEqual([expect.objectContaining({ name: 'Zanzibar valves', query: 'zanzibar', shared: true })]);
    await page.getByRole('link', { name: 'All open' }).click();
    await page.getByRole('heading', { name: 'All open' }).waitFor();
    await page.getByRole('button', { name: /\(555\) 010-1012/ }).waitFor();
    const rail = page.getByRole('group', { name: 'Views' });
    await rail.getByRole('link', { name: 'Zanzibar valves' }).click();
    await page.getByRole('heading', { name: 'Zanzibar valves' }).waitFor();
    await list.getByRole('button', { name: /\(555\) 010-1011/ }).waitFor();
    expect(await list.getByRole('button').count()).toBe(1);
    // Its owner renames it; a wrong query in the edit form is shown on the field and saves nothing.
    await rail.getByRole('button', { name: 'Edit view Zanzibar valves' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit view' });
    await edit.getByLabel('Search').fill('zanzibar statsu:open');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => edit.locator('.form-error').textContent()).toContain('unknown field "statsu"');
    await edit.getByLabel('Search').fill('zanzibar');
    await edit.getByLabel('Name').fill('Valve questions');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'Valve questions' }).waitFor();
    await rail.getByRole('link', { name: 'Valve questions' }).waitFor();
    expect((await apiCall(server, 'GET', '/v1/views')).json.data).toEqual([expect.objectContaining({ name: 'Valve questions', query: 'zanzibar', shared: true })]);
    // ... and deletes it.
    await rail.getByRole('button', { name: 'Delete view Valve questions' }).click();
    await page.getByRole('dialog', { name: 'Delete view' }).getByRole('button', { name: 'Delete view' }).click();
    await page.getByRole('heading', { name: 'All open' }).waitFor();
    // The rail drops the view once the list is fetched again.
    await expect.poll(() => rail.count()).toBe(0);
    expect((await apiCall(server, 'GET', '/v1/views')).json.data).toEqual([]);
  });

  it('saves the team toggle "Send SMS If Team Unavailable" with its message (settings pass axe)', async () => {
    const { page } = b;
    await page.goto(`${server.url}/settings/teams`);
    const team = page.getByRole('form', { name: 'Team Sales' });
    await team.waitFor();
    expect(await axe(page)).toEqual([]);
    await team.getByRole('switch', { name: 'Send SMS If Team Unavailable' }).check({ force: true });
    await team.getByLabel('Message').fill('Thanks for calling Demo Plumbing! We will text you back in a few minutes.');
    await team.getByRole('button', { name: 'Save' }).click();
    await team.getByText('Saved').waitFor();
    const teams = await apiCall(server, 'GET', '/v1/teams');
    const sales = await apiCall(server, 'GET', `/v1/teams/${teams.json.data[0].id}`);
    expect(sales.json.settings).toMatchObject({ sms_if_unavailable: true, unavailable_text: 'Thanks for calling Demo Plumbing! We will text you back in a few minutes.' });
    // Used: a lead while every agent of the team is offline gets that text (sent, or held by quiet hours).
    expect((await apiCall(server, 'POST', '/v1/leads', { phone: '+14155550188', name: 'Lena Lead', number: DEMO_NUMBER })).status).toBeLessThan(300);
    await expect
      .poll(async () => {
        const list = await apiCall(server, 'GET', '/v1/conversations?limit=100');
        const conv = list.json.data.find((c: { contact: { phone: string } }) => c.contact.phone === '+14155550188');
        if (!conv) return [];
        // The first automated text carries the organization's opt-out language after it.
        return (await apiCall(server, 'GET', `/v1/conversations/${conv.id}/messages`)).json.data.map((m: { body: string }) => m.body.split('\n')[0]);
      }, { timeout: 15_000 })
      .toContain('Thanks for calling Demo Plumbing! We will text you back in a few minutes.');
  });

  it('uploads a suppression CSV and shows the report with each rejected line', async () => {
    const { page } = b;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'textback-csv-')), 'dnc.csv');
    fs.writeFileSync(file, 'phone,reason\n+14155550199,asked\nnot a number,\n+14155550198,\n');
    await page.goto(`${server.url}/settings/suppressions`);
    await page.getByLabel(/CSV file/).setInputFiles(file);
    await page.getByRole('button', { name: 'Upload' }).click();
    const report = page.getByRole('status', { name: 'Import report' });
    await report.waitFor();
    expect(await report.textContent()).toMatch(/2\s*added/);
    await report.getByRole('cell', { name: 'not a number', exact: true }).waitFor();
  });

  it('keeps an agent out of owner settings, on the page and in the API', async () => {
    const created = await apiCall(server, 'POST', '/v1/users', { email: 'alex@demo.textback.local', name: 'Alex Agent', role: 'agent', password: 'agent-password-1' });
    expect(created.status).toBe(201);
    const agent = await launch();
    try {
      const { page } = agent;
      await signIn(page, server.url, 'alex@demo.textback.local', 'agent-password-1');
      await page.getByRole('heading', { name: 'Mine' }).waitFor();
      expect(await page.getByRole('link', { name: 'Settings' }).count()).toBe(0);
      await page.goto(`${server.url}/settings/teams`);
      await page.getByText('Settings are for owners and admins').waitFor();
      // The API refuses it too, with the agent's own session.
      const status = await page.evaluate(async () => {
        const session = (await (await fetch('/v1/auth/session')).json()) as { csrf_token: string };
        const teams = (await (await fetch('/v1/teams')).json()) as { data: { id: string }[] };
        const res = await fetch(`/v1/teams/${teams.data[0]!.id}`, {
          method: 'PATCH',
          headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrf_token },
          body: JSON.stringify({ settings: { sms_if_unavailable: true } }),
        });
        return res.status;
      });
      expect(status).toBe(403);
    } finally {
      await agent.close();
    }
  });

  it('agent console: a queue invite arrives live, Accept takes it, End closes it', async () => {
    const { page } = b;
    const me = await apiCall(server, 'GET', '/v1/me');
    const ownerId = (me.json.user ?? me.json).id as string;
    const queue = await apiCall(server, 'POST', '/v1/queues', { name: 'Support chat', initiation_keyword: 'CHAT', termination_keyword: 'BYE', numbers: [DEMO_NUMBER] });
    expect(queue.status).toBe(201);
    expect((await apiCall(server, 'PUT', `/v1/queues/${queue.json.id}/agents/${ownerId}`, { sms_enabled: true, max_sessions: 2 })).status).toBeLessThan(300);
    await page.goto(`${server.url}/agent`);
    await page.getByRole('radio', { name: /Online/ }).click();
    await expect.poll(async () => (await apiCall(server, 'GET', `/v1/users/${ownerId}/agent`)).json.status).toBe('online');
    await inbound('+15550101009', 'chat');
    const invites = page.getByRole('region', { name: 'Queue invites' });
    await invites.getByText('(555) 010-1009').waitFor({ timeout: 15_000 });
    await invites.getByRole('button', { name: 'Accept' }).click();
    const sessions = page.getByRole('region', { name: 'Active sessions' });
    await sessions.getByText('(555) 010-1009', { exact: true }).waitFor();
    await sessions.getByRole('button', { name: 'End', exact: true }).click();
    await sessions.getByText('No active sessions.').waitFor();
  });

  it('is usable at 390 px: list, then thread with a way back, no sideways scrolling', async () => {
    const phone = await launch({ width: 390, height: 844 });
    try {
      const { page } = phone;
      await signIn(page, server.url);
      const conversationId = await inbound('+15550101005', 'Hi from my phone');
      await page.goto(`${server.url}/inbox/all`);
      await page.getByRole('button', { name: /\(555\) 010-1005/ }).click();
      await page.getByRole('list', { name: 'Timeline' }).getByText('Hi from my phone').waitFor();
      await page.getByLabel('Message').waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.getByRole('button', { name: 'All open' }).click();
      await page.getByRole('heading', { name: 'All open' }).waitFor();
      await page.getByRole('button', { name: 'Open menu' }).click();
      await page.getByRole('link', { name: 'Sandbox phone' }).click();
      await page.getByRole('heading', { name: 'Sandbox phone' }).waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      expect(conversationId).toBeTruthy();
    } finally {
      await phone.close();
    }
  });

  it('changes the password from the user menu (the old one stops working)', async () => {
    const { page } = b;
    await page.goto(`${server.url}/inbox/all`);
    await page.getByRole('button', { name: /Dana Owner/ }).click();
    await page.getByRole('menuitem', { name: 'Change password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change password' });
    await dialog.getByLabel('Current password').fill('correct horse battery staple');
    await dialog.getByLabel('New password').fill('a brand new passphrase');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByText('Your password is changed').waitFor();
    const old = await fetch(`${server.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: OWNER_EMAIL, password: 'correct horse battery staple' }) });
    expect(old.status).toBe(401);
    const next = await fetch(`${server.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: OWNER_EMAIL, password: 'a brand new passphrase' }) });
    expect(next.status).toBe(200);
  });

  it('sandbox phone: a missed call gets the text-back on the handset', async () => {
    const { page } = b;
    await page.goto(`${server.url}/sandbox`);
    await page.getByLabel('Handset number').fill('+1 555 777 0199');
    await page.getByRole('button', { name: 'Use this phone' }).click();
    await page.getByRole('radio', { name: /Ring out/ }).check();
    await page.getByRole('button', { name: /^Call / }).click();
    await page.getByRole('status').getByText(/Missed call placed/).waitFor();
    // The demo's missed-call text-back waits 15 seconds, then texts the caller.
    await page.getByRole('region', { name: /Handset/ }).locator('.pmsg.theirs').first().waitFor({ timeout: 40_000 });
  }, 60_000);

  it('analytics: a missed call and its text-back show in the summary, the funnel and the chart; an agent has no Analytics', async () => {
    const { page } = b;
    const before = (await apiCall(server, 'GET', '/v1/analytics/summary')).json;
    const call = await apiCall(server, 'POST', '/v1/sandbox/calls', { from: '+15557770288', to: DEMO_NUMBER, outcome: 'no-answer' });
    expect(call.status).toBe(201);
    // The demo's text-back waits 15 seconds; the report counts it once it reached the carrier.
    await expect
      .poll(async () => (await apiCall(server, 'GET', '/v1/analytics/summary')).json.text_backs_sent, { timeout: 40_000 })
      .toBe(before.text_backs_sent + 1);
    const now = (await apiCall(server, 'GET', '/v1/analytics/summary')).json;
    expect(now.missed_calls).toBe(before.missed_calls + 1);
    await page.goto(`${server.url}/inbox/all`);
    await page.getByRole('link', { name: 'Analytics' }).click();
    await page.getByRole('heading', { name: 'Analytics' }).waitFor();
    const summary = page.getByRole('region', { name: 'Summary' });
    const card = (name: string) => summary.getByRole('group', { name });
    await expect.poll(() => card('Missed calls').textContent()).toContain(`Missed calls${now.missed_calls}`);
    expect(await card('Texts sent').textContent()).toContain(`Texts sent${now.texts_sent}`);
    // No contact replied to a text-back: the median time to first reply has nothing to measure.
    expect(now.median_time_to_first_reply_seconds).toBeNull();
    expect(await card('Median time to first reply').textContent()).toContain('—');
    const funnel = page.getByRole('list', { name: 'Funnel' });
    expect(await funnel.getByRole('listitem').first().textContent()).toContain(`Missed calls${now.missed_calls}`);
    await page.getByRole('img', { name: new RegExp(`texts sent ${now.texts_sent}`) }).waitFor();
    await page.getByRole('table').getByRole('rowheader', { name: 'No variant' }).waitFor();
    // A preset asks for another range.
    await page.getByRole('button', { name: 'Last 7 days' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Last 7 days' }).getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => card('Missed calls').textContent()).toContain(`Missed calls${now.missed_calls}`);
    expect(await axe(page)).toEqual([]);

    const created = await apiCall(server, 'POST', '/v1/users', { email: 'rosa.agent@demo.textback.local', name: 'Rosa Agent', role: 'agent', password: 'agent-password-2' });
    expect(created.status).toBe(201);
    const agent = await launch();
    try {
      await signIn(agent.page, server.url, 'rosa.agent@demo.textback.local', 'agent-password-2');
      await agent.page.getByRole('heading', { name: 'Mine' }).waitFor();
      expect(await agent.page.getByRole('link', { name: 'Analytics' }).count()).toBe(0);
      await agent.page.goto(`${server.url}/analytics`);
      await agent.page.getByText('Analytics are for supervisors, admins and owners').waitFor();
    } finally {
      await agent.close();
    }
  }, 90_000);
});
