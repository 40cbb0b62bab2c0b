/// <reference lib="dom" />
/**
 * Settings in a real browser: buying a sandbox number onto a team and releasing it, adding a carrier
 * account and reading its webhook URLs, adding, re-roling and deactivating a user (who then cannot sign
 * in), and an API key shown once, working, then revoked. Read back through the API.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiCall, axe, describeBrowser, launch, signIn, startWebServer, type TestBrowser, type WebServer } from '../support/browser.js';

describeBrowser('settings: numbers, carrier accounts, users and API keys', () => {
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

  it('buys a sandbox number onto a team in one step, then releases it after typing the number', async () => {
    const { page } = b;
    await page.goto(`${server.url}/settings/numbers`);
    await page.getByRole('button', { name: 'Buy a number' }).click();
    const dialog = page.getByRole('dialog', { name: 'Buy a number' });
    await dialog.getByRole('combobox', { name: 'Account', exact: true }).selectOption({ label: 'Sandbox' });
    await dialog.getByLabel('Area code').fill('212');
    await dialog.getByRole('button', { name: 'Search' }).click();
    const first = dialog.getByRole('list', { name: 'Available numbers' }).getByRole('listitem').first();
    await first.waitFor();
    const phone = (await first.locator('.avail-phone').textContent())!;
    expect(phone).toMatch(/^\(212\) \d{3}-\d{4}$/);
    await dialog.getByLabel('Team that answers it').selectOption({ label: 'Sales' });
    await first.getByRole('button', { name: `Buy ${phone}` }).click();
    await page.getByRole('dialog', { name: 'Number bought' }).getByText(`${phone} is yours, on Sales`).waitFor();
    await page.getByRole('button', { name: 'Done' }).click();

    const teams = (await apiCall(server, 'GET', '/v1/teams')).json.data as { id: string; name: string }[];
    const bought = ((await apiCall(server, 'GET', '/v1/numbers')).json.data as { id: string; phone: string; team_id: string | null; carrier_account_id: string | null }[]).find(
      (n) => n.phone === `+1${phone.replace(/\D/g, '')}`,
    );
    expect(bought?.team_id).toBe(teams.find((t) => t.name === 'Sales')?.id);
    expect(bought?.carrier_account_id).toBeTruthy();
    await page.getByRole('textbox', { name: `Name of ${phone}` }).waitFor();
    expect(await axe(page)).toEqual([]);

    // Release: the button stays off until the number is typed.
    await page.getByRole('row').filter({ hasText: phone }).getByRole('button', { name: 'Release' }).click();
    const release = page.getByRole('dialog', { name: `Release ${phone}?` });
    const confirm = release.getByRole('button', { name: `Release ${phone}` });
    expect(await confirm.isDisabled()).toBe(true);
    await release.getByLabel('Type the number to confirm').fill('212');
    expect(await confirm.isDisabled()).toBe(true);
    await release.getByLabel('Type the number to confirm').fill(phone);
    await confirm.click();
    await expect.poll(async () => page.getByRole('row').filter({ hasText: phone }).count()).toBe(0);
    const after = (await apiCall(server, 'GET', '/v1/numbers')).json.data as { phone: string }[];
    expect(after.some((n) => n.phone === bought!.phone)).toBe(false);
  });

  it("sets a number's own sending rules: kind, pace and daily cap; a HELP answer missing what carriers require is refused on its field", async () => {
    const { page } = b;
    await page.goto(`${server.url}/settings/numbers`);
    await page.getByRole('button', { name: 'Sending rules of (415) 943-4591' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sending rules of (415) 943-4591' });
    await dialog.getByLabel('Kind of number').selectOption({ label: 'Toll-free' });
    await dialog.getByText('Carriers let it send 3 texts a second').waitFor();
    await dialog.getByLabel('Texts per second').fill('2');
    await dialog.getByLabel('Most texts a day').fill('500');
    await dialog.getByLabel('Answer to HELP').fill('Call us.');
    await dialog.getByRole('button', { name: 'Save rules' }).click();
    await dialog.locator('.form-error').filter({ hasText: 'must contain' }).first().waitFor();
    await dialog.getByLabel('Answer to HELP').fill('');
    await dialog.getByRole('button', { name: 'Save rules' }).click();
    await dialog.waitFor({ state: 'detached' });
    const numbers = (await apiCall(server, 'GET', '/v1/numbers')).json.data as { id: string; phone: string }[];
    const demo = numbers.find((n) => n.phone === '+14159434591')!;
    const rules = (await apiCall(server, 'GET', `/v1/numbers/${demo.id}/compliance`)).json;
    expect(rules).toMatchObject({ sender_type: 'toll_free', rate_per_second: 2, daily_cap: 500 });
    expect(rules.texts.help_text ?? null).toBeNull();
  });

  it('adds a Twilio account with its credentials never shown again, and shows the webhook URLs to paste', async () => {
    const { page } = b;
    await page.goto(`${server.url}/settings/carriers`);
    await page.getByRole('button', { name: 'Add carrier account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a carrier account' });
    await dialog.getByLabel('Carrier').selectOption({ label: 'Twilio' });
    await dialog.getByLabel('Name').fill('Twilio main');
    const token = 'f'.repeat(32);
    await dialog.getByLabel('Account SID').fill(`AC${'0'.repeat(32)}`);
    await dialog.getByLabel('Auth token').fill(token);
    // Without a public address the server says which field is missing.
    await dialog.getByRole('button', { name: 'Add account' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'public_base_url' }).waitFor();
    await dialog.getByLabel('This server’s public address').fill('https://sms.example.com');
    await dialog.getByRole('button', { name: 'Add account' }).click();
    const card = page.getByRole('article', { name: 'Twilio account Twilio main' });
    await card.getByText('credentials set: account_sid, auth_token').waitFor();
    expect(await page.content()).not.toContain(token);

    await card.getByRole('button', { name: 'Webhook URLs' }).click();
    const hooks = page.getByRole('dialog', { name: 'Webhooks of Twilio main' });
    await hooks.getByText(/^https:\/\/sms\.example\.com\/webhooks\/twilio\/.+\/messages$/).waitFor();
    expect(await axe(page)).toEqual([]);
    await hooks.getByRole('button', { name: 'Close' }).click();
    const accounts = (await apiCall(server, 'GET', '/v1/carrier-accounts')).json.data as { name: string; carrier: string }[];
    expect(accounts.map((a) => a.carrier).sort()).toEqual(['sandbox', 'twilio']);
  });

  it('adds a user, changes their role, deactivates them (they cannot sign in) and reactivates them', async () => {
    const { page } = b;
    await page.goto(`${server.url}/settings/users`);
    await page.getByRole('button', { name: 'Add user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a user' });
    await dialog.getByLabel('Name', { exact: true }).fill('Rita Reyes');
    await dialog.getByLabel('Email').fill('rita@example.com');
    await dialog.getByLabel('Role').selectOption('agent');
    await dialog.getByLabel('First password').fill('rita-first-password');
    await dialog.getByRole('button', { name: 'Add user' }).click();
    const row = page.getByRole('row').filter({ hasText: 'rita@example.com' });
    await row.getByText('Active').waitFor();
    await row.getByLabel('Role of Rita Reyes').selectOption('supervisor');
    await expect.poll(async () => ((await apiCall(server, 'GET', '/v1/users')).json.data as { email: string; role: string }[]).find((u) => u.email === 'rita@example.com')?.role).toBe('supervisor');

    await row.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('dialog', { name: 'Deactivate Rita Reyes?' }).getByRole('button', { name: 'Deactivate' }).click();
    await row.getByText('Deactivated').waitFor();
    expect(await axe(page)).toEqual([]);

    // In another browser, Rita cannot sign in.
    const other = await launch();
    try {
      await other.page.goto(`${server.url}/signin`);
      await other.page.getByLabel('Email').fill('rita@example.com');
      await other.page.getByLabel('Password').fill('rita-first-password');
      await other.page.getByRole('button', { name: 'Sign in' }).click();
      await other.page.getByRole('alert').waitFor();
      expect(other.page.url()).toContain('/signin');
      await row.getByRole('button', { name: 'Reactivate' }).click();
      await row.getByText('Active').waitFor();
      await signIn(other.page, server.url, 'rita@example.com', 'rita-first-password');
    } finally {
      await other.close();
    }
  });

  it('creates an API key shown once that works with the API, then revokes it', async () => {
    const { page } = b;
    await page.goto(`${server.url}/settings/api-keys`);
    await page.getByLabel('New key name').fill('CRM sync');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('status').filter({ hasText: 'will not be shown again' });
    const key = (await shown.locator('code').textContent())!.trim();
    expect(key.length).toBeGreaterThan(20);
    const works = await fetch(`${server.url}/v1/contacts`, { headers: { authorization: `Bearer ${key}` } });
    expect(works.status).toBe(200);
    // After a reload the key is gone from the page: only its first characters are listed.
    await page.reload();
    const row = page.getByRole('row').filter({ hasText: 'CRM sync' });
    await row.waitFor();
    expect(await page.content()).not.toContain(key);
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog', { name: 'Revoke “CRM sync”?' }).getByRole('button', { name: 'Revoke key' }).click();
    await row.getByText('Revoked').waitFor();
    const refused = await fetch(`${server.url}/v1/contacts`, { headers: { authorization: `Bearer ${key}` } });
    expect(refused.status).toBe(401);
  });

  it('email notifications from the user menu: texts of my teams on one number only, and failures; read back through the API', async () => {
    const { page } = b;
    await page.goto(`${server.url}/inbox/all`);
    await page.getByRole('button', { name: /Dana Owner/ }).click();
    await page.getByRole('menuitem', { name: 'Email notifications' }).click();
    const dialog = page.getByRole('dialog', { name: 'Email notifications' });
    await dialog.getByLabel('of my teams').check();
    await dialog.getByLabel('only these:').check();
    // Nothing picked yet: Save waits for a number.
    expect(await dialog.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await dialog.getByLabel(/\(415\) 943-4591/).check();
    await dialog.getByLabel(/Email me when something fails/).check();
    expect(await axe(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const me = (await apiCall(server, 'GET', '/v1/me')).json.user as { id: string };
    const numbers = (await apiCall(server, 'GET', '/v1/numbers')).json.data as { id: string; phone: string }[];
    const prefs = (await apiCall(server, 'GET', `/v1/users/${me.id}/notifications`)).json;
    expect(prefs).toMatchObject({
      email_new_texts: { assigned_to_me: false, my_teams: true, unassigned: false, numbers: [numbers.find((n) => n.phone === '+14159434591')!.id] },
      email_failures: true,
      include_body_in_subject: false,
    });
  });

  it('at phone width the numbers and users pages are one card per row, nothing wider than the screen', async () => {
    const phone = await launch({ width: 390, height: 844 });
    try {
      await signIn(phone.page, server.url);
      for (const section of ['numbers', 'users', 'api-keys', 'carriers']) {
        await phone.page.goto(`${server.url}/settings/${section}`);
        await phone.page.getByRole('heading', { level: 2 }).first().waitFor();
        await phone.page.waitForLoadState('networkidle');
        const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, section).toBeLessThanOrEqual(0);
      }
    } finally {
      await phone.close();
    }
  });
});
