/// <reference lib="dom" />
/**
 * Settings in a real browser: the structured automation editor (build, save, reload, server errors
 * on the step they name, dry run, state), business hours as a form, read back through the API.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { apiCall, axe, describeBrowser, launch, signIn, startWebServer, type TestBrowser, type WebServer } from '../support/browser.js';

describeBrowser('settings: automations and business hours', () => {
  let server: WebServer;
  let b: TestBrowser;
  let automationId = '';
  beforeAll(async () => {
    server = await startWebServer();
    b = await launch();
    await signIn(b.page, server.url);
  });
  afterAll(async () => {
    await b?.close();
    await server?.close();
  });

  const step = (page: Page, name: string): Locator => page.getByRole('listitem', { name, exact: true });

  async function addTopLevelStep(page: Page, kind: string) {
    const editor = page.getByRole('form', { name: /Edit “/ });
    await editor.getByLabel('Kind of step to add', { exact: true }).selectOption({ label: kind });
    await editor.getByRole('button', { name: 'Add step', exact: true }).click();
  }

  async function openEditor(page: Page, name: string) {
    await page.goto(`${server.url}/settings/automations`);
    await page.getByRole('button', { name: `Edit ${name}` }).click();
    await page.getByRole('heading', { name: `Edit “${name}”` }).waitFor();
  }

  it('builds a missed call → wait → text → assign automation with the form, saves it, and reads it back after a reload', async () => {
    const { page } = b;
    const teams = (await apiCall(server, 'GET', '/v1/teams')).json.data as { id: string; name: string }[];
    const sales = teams.find((t) => t.name === 'Sales');
    expect(sales).toBeDefined();

    await page.goto(`${server.url}/settings/automations`);
    const create = page.getByRole('form', { name: 'New automation' });
    await create.getByLabel('Name').fill('After-hours missed calls');
    await create.getByLabel('Starts when').selectOption({ label: 'A call is missed' });
    await create.getByRole('button', { name: 'Create draft' }).click();
    await page.getByRole('heading', { name: 'Edit “After-hours missed calls”' }).waitFor();

    // Step 1 is the missed-call guard the trigger starts with; the rest is built here.
    await step(page, 'Step 1: Condition').waitFor();
    await addTopLevelStep(page, 'Wait');
    await step(page, 'Step 2: Wait').getByLabel('How long').fill('2m');
    await addTopLevelStep(page, 'Send a text');
    const text = step(page, 'Step 3: Send a text');
    await text.getByLabel('Text').fill('Hi {Name|there}, sorry we missed you! Reply here and we will call back.');
    // The segment count follows the typing: GSM-7 until a character needs UCS-2.
    await expect.poll(() => text.locator('.seg-count').textContent()).toMatch(/1 segment · GSM-7/);
    await text.getByLabel('Text').pressSequentially(' 😀');
    await expect.poll(() => text.locator('.seg-count').textContent()).toMatch(/UCS-2/);
    await text.getByLabel('Text').fill('Hi {Name|there}, sorry we missed you! Reply here and we will call back.');
    await expect.poll(() => text.locator('.seg-count').textContent()).toMatch(/GSM-7/);
    await addTopLevelStep(page, 'Assign the conversation');
    await step(page, 'Step 4: Assign the conversation').getByLabel('Team').selectOption({ label: 'Sales' });

    // Reorder: the text goes above the wait, then back.
    await page.getByRole('button', { name: 'Move step 3 up' }).click();
    await step(page, 'Step 2: Send a text').waitFor();
    await page.getByRole('button', { name: 'Move step 2 down' }).click();
    await step(page, 'Step 3: Send a text').waitFor();
    // A step added by mistake and removed leaves nothing behind.
    await addTopLevelStep(page, 'Stop');
    await page.getByRole('button', { name: 'Remove step 5' }).click();
    await expect.poll(() => step(page, 'Step 5: Stop').count()).toBe(0);

    await page.getByRole('button', { name: 'Save automation' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();

    const list = (await apiCall(server, 'GET', '/v1/automations')).json.data as { id: string; name: string }[];
    automationId = list.find((a) => a.name === 'After-hours missed calls')!.id;
    const saved = (await apiCall(server, 'GET', `/v1/automations/${automationId}`)).json;
    expect(saved.state).toBe('draft');
    expect(saved.trigger).toEqual({ type: 'call.completed' });
    expect(saved.steps).toEqual([
      { type: 'condition', note: 'only missed calls', if: { field: 'call.outcome', op: '!=', value: 'missed' }, then: [{ type: 'stop', reason: 'not a missed call' }] },
      { type: 'delay', duration: '2m' },
      { type: 'send_sms', template: 'Hi {Name|there}, sorry we missed you! Reply here and we will call back.' },
      { type: 'assign', teamId: sales!.id },
    ]);

    await page.reload();
    await openEditor(page, 'After-hours missed calls');
    expect(await step(page, 'Step 2: Wait').getByLabel('How long').inputValue()).toBe('2m');
    expect(await step(page, 'Step 3: Send a text').getByLabel('Text').inputValue()).toBe('Hi {Name|there}, sorry we missed you! Reply here and we will call back.');
    expect(await step(page, 'Step 4: Assign the conversation').getByLabel('Team').inputValue()).toBe(sales!.id);
    expect(await page.getByRole('radio', { name: /Draft/ }).isChecked()).toBe(true);
  });

  it('shows the server’s validation error on the step and field it names, and saves once fixed', async () => {
    const { page } = b;
    await openEditor(page, 'After-hours missed calls');
    const wait = step(page, 'Step 2: Wait');
    await wait.getByLabel('How long').fill('soon');
    await page.getByRole('button', { name: 'Save automation' }).click();
    await page.getByRole('alert').filter({ hasText: 'Not saved' }).waitFor();
    // The message is in step 2, beside its field, and the field is marked invalid for screen readers.
    await expect.poll(() => wait.locator('.field-error').textContent()).toContain('invalid duration "soon"');
    expect(await wait.getByLabel('How long').getAttribute('aria-invalid')).toBe('true');
    expect(await step(page, 'Step 3: Send a text').locator('.field-error').count()).toBe(0);
    // Nothing was stored.
    expect((await apiCall(server, 'GET', `/v1/automations/${automationId}`)).json.steps[1]).toEqual({ type: 'delay', duration: '2m' });

    await wait.getByLabel('How long').fill('3m');
    await page.getByRole('button', { name: 'Save automation' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await apiCall(server, 'GET', `/v1/automations/${automationId}`)).json.steps[1]).toEqual({ type: 'delay', duration: '3m' });
  });

  it('keeps a step the form does not know (A/B variants) as JSON in place, intact through a save', async () => {
    const { page } = b;
    const doc = (await apiCall(server, 'GET', `/v1/automations/${automationId}`)).json;
    const variants = { type: 'send_sms', variants: [{ id: 'a', template: 'Hi A', weight: 1 }, { id: 'b', template: 'Hi B', weight: 1 }] };
    expect((await apiCall(server, 'PATCH', `/v1/automations/${automationId}`, { steps: [...doc.steps, variants] })).status).toBe(200);
    await openEditor(page, 'After-hours missed calls');
    const json = step(page, 'Step 5: send sms (JSON)');
    expect(JSON.parse(await json.getByLabel('Step 5 as JSON').inputValue())).toEqual(variants);
    await step(page, 'Step 2: Wait').getByLabel('How long').fill('4m');
    await page.getByRole('button', { name: 'Save automation' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const after = (await apiCall(server, 'GET', `/v1/automations/${automationId}`)).json.steps;
    expect(after[1]).toEqual({ type: 'delay', duration: '4m' });
    expect(after[4]).toEqual(variants);
    // Back to four steps for the dry run below.
    await page.getByRole('button', { name: 'Remove step 5' }).click();
    await page.getByRole('button', { name: 'Save automation' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await apiCall(server, 'GET', `/v1/automations/${automationId}`)).json.steps).toHaveLength(4);
  });

  it('dry-runs a sample missed call: the text it would send, to whom and when; a missed call only', async () => {
    const { page } = b;
    await openEditor(page, 'After-hours missed calls');
    const dry = page.getByRole('region', { name: 'Dry run' });
    await dry.getByLabel('Call outcome').selectOption('missed');
    await dry.getByRole('button', { name: 'Dry run' }).click();
    const result = dry.getByRole('status');
    await result.getByText('Would send 1 text').waitFor();
    const row = result.getByRole('list', { name: 'Texts it would send' }).getByRole('listitem').first();
    expect(await row.textContent()).toContain('Hi Alex, sorry we missed you!');
    expect(await row.textContent()).toContain('to (415) 555-0100');
    expect(await row.textContent()).toContain('4 min after the event');
    // An answered call gets nothing, and the page says so.
    await dry.getByLabel('Call outcome').selectOption('answered');
    await dry.getByRole('button', { name: 'Dry run' }).click();
    await result.getByText('Would send no text').waitFor();
  });

  it('changes the state with the editor (draft → paused) and the list shows it; the editor passes axe', async () => {
    const { page } = b;
    await openEditor(page, 'After-hours missed calls');
    expect(await axe(page)).toEqual([]);
    await page.getByRole('form', { name: /Edit “/ }).getByText('Paused', { exact: true }).click();
    await page.getByRole('button', { name: 'Save automation' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await apiCall(server, 'GET', `/v1/automations/${automationId}`)).json.state).toBe('paused');
    await page.getByRole('button', { name: '← All automations' }).click();
    const row = page.getByRole('row').filter({ hasText: 'After-hours missed calls' });
    expect(await row.textContent()).toContain('paused');
  });

  it('edits business hours with the form (zone, a second range, Saturday, a holiday), saves, and the API reads them back', async () => {
    const { page } = b;
    await page.goto(`${server.url}/settings/hours`);
    await page.getByLabel('Time zone of the business').fill('America/Chicago');
    // Monday gets a second range after the first (17:00 close → 18:00–19:00 suggested), changed to 18:30–20:00.
    await page.getByRole('button', { name: 'Add hours on Monday' }).click();
    await page.getByLabel('Monday opens (range 2)').fill('18:30');
    await page.getByLabel('Monday closes (range 2)').fill('20:00');
    const saturday = page.getByRole('group', { name: 'Saturday' });
    await saturday.getByRole('checkbox').check();
    await page.getByLabel('Saturday opens').fill('10:00');
    await page.getByLabel('Saturday closes').fill('14:00');
    await page.getByRole('group', { name: 'Friday' }).getByRole('checkbox').uncheck();
    await page.getByRole('button', { name: 'Add a holiday' }).click();
    await page.getByLabel('Holiday 1').fill('2026-12-25');
    expect(await axe(page)).toEqual([]);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();

    const org = (await apiCall(server, 'GET', '/v1/organization')).json;
    expect(org.time_zone).toBe('America/Chicago');
    expect(org.business_hours.weekly.mon).toEqual([{ open: '09:00', close: '17:00' }, { open: '18:30', close: '20:00' }]);
    expect(org.business_hours.weekly.sat).toEqual([{ open: '10:00', close: '14:00' }]);
    expect(org.business_hours.weekly.fri).toEqual([]);
    expect(org.business_hours.holidays).toEqual(['2026-12-25']);

    // After a reload the form shows what was stored.
    await page.reload();
    expect(await page.getByLabel('Time zone of the business').inputValue()).toBe('America/Chicago');
    expect(await page.getByLabel('Saturday opens').inputValue()).toBe('10:00');
    expect(await page.getByRole('group', { name: 'Friday' }).getByRole('checkbox').isChecked()).toBe(false);
    expect(await page.getByLabel('Holiday 1').inputValue()).toBe('2026-12-25');
  });

  it('shows a business-hours error from the server on the range it names, and stores nothing', async () => {
    const { page } = b;
    await page.goto(`${server.url}/settings/hours`);
    await page.getByLabel('Tuesday opens').fill('18:00');
    await page.getByLabel('Tuesday closes').fill('09:00');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Not saved' }).waitFor();
    const tuesday = page.getByRole('group', { name: 'Tuesday' });
    await expect.poll(() => tuesday.locator('.field-error').textContent()).toContain('must be before close');
    expect(await page.getByLabel('Tuesday opens').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('group', { name: 'Monday' }).locator('.field-error').count()).toBe(0);
    expect((await apiCall(server, 'GET', '/v1/organization')).json.business_hours.weekly.tue).toEqual([{ open: '09:00', close: '17:00' }]);
  });

  it('compliance settings: countries by name, a HELP text the server refuses shows its reason on that field (page passes axe)', async () => {
    const { page } = b;
    await page.goto(`${server.url}/settings/compliance`);
    await page.getByLabel('Answer to HELP').waitFor();
    expect(await axe(page)).toEqual([]);
    await page.getByLabel('Add a country').selectOption('MX');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('list', { name: 'Countries we may text' }).getByText('Mexico').waitFor();
    await page.getByLabel('Answer to HELP').fill('Call us.');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Not saved' }).waitFor();
    expect(await page.getByLabel('Answer to HELP').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field', { has: page.getByLabel('Answer to HELP') }).locator('.field-error').textContent()).toContain('Msg & data rates may apply');
    expect((await apiCall(server, 'GET', '/v1/compliance/settings')).json.allowed_countries).not.toContain('MX');

    await page.getByLabel('Answer to HELP').fill('');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await apiCall(server, 'GET', '/v1/compliance/settings')).json.allowed_countries).toContain('MX');
  });
});
