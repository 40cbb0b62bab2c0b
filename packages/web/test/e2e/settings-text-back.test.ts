/// <reference lib="dom" />
/**
 * Settings → Missed-call text-back in a real browser: the demo's text-back read into the form, a
 * delay and a text changed with the live preview and segment count, A/B versions with weights and
 * Thompson sampling, saved, read back through the API and after a reload; a bad duration refused.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiCall, axe, describeBrowser, launch, signIn, startWebServer, type TestBrowser, type WebServer } from '../support/browser.js';

describeBrowser('settings: missed-call text-back as a form', () => {
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

  type Step = { type: string; duration?: string; template?: string; note?: string; variants?: { id: string; template: string; weight: number }[]; variant_selection?: string; then?: Step[]; else?: Step[] };
  const flatten = (steps: Step[]): Step[] => steps.flatMap((s) => [s, ...flatten(s.then ?? []), ...flatten(s.else ?? [])]);
  async function textBack() {
    const list = (await apiCall(server, 'GET', '/v1/automations')).json.data as { id: string; preset: string | null; steps: Step[]; state: string }[];
    return list.find((a) => a.preset === 'missed-call-text-back')!;
  }

  it('edits the demo text-back: delay, text with preview and segments, A/B versions with weights and Thompson sampling', async () => {
    const { page } = b;
    await page.goto(`${server.url}/settings/text-back`);
    const form = page.getByRole('form', { name: 'Missed-call text-back' });
    await form.getByText('On', { exact: true }).waitFor();
    expect(await form.getByLabel('After a missed call from them, wait').inputValue()).toBe('15s');

    await form.getByLabel('After a missed call from them, wait').fill('30s');
    const inHours = form.getByRole('textbox', { name: /Text during business hours/ });
    await inHours.fill('Hi {Name|there}, {Business} here: sorry we missed you!');
    const preview = form.getByLabel('Preview of Text during business hours');
    await expect.poll(() => preview.textContent()).toMatch(/^“Hi Maria, .+ here: sorry we missed you!”$/);
    await inHours.pressSequentially(' 😊');
    await form.getByText(/segment · UCS-2/).first().waitFor();
    await inHours.fill('Hi {Name|there}, {Business} here: sorry we missed you!');

    // Two versions of the after-hours text, B sent three times as often to start with, then more of whichever gets replies.
    const afterHours = form.locator('.text-field').filter({ hasText: 'Text after hours' });
    await afterHours.getByRole('button', { name: 'Try two versions (A/B)' }).click();
    await form.getByRole('textbox', { name: 'Version B of Text after hours' }).fill("We're closed, {Name|there}. Reply and we text you at 8.");
    await form.getByLabel('Weight of version B of Text after hours').fill('3');
    await afterHours.getByText('75% of contacts').waitFor();
    await form.getByLabel(/Send more of the variant that gets more replies/).check();
    expect(await axe(page)).toEqual([]);
    await form.getByRole('button', { name: 'Save text-back' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved' }).waitFor();

    const saved = flatten((await textBack()).steps);
    expect(saved.find((s) => s.type === 'delay' && s.duration === '30s')).toBeDefined();
    expect(saved.find((s) => s.note === 'in-hours text')?.template).toMatch(/^Hi \{Name\|there\}, \{Business\|.+\} here: sorry we missed you!$/);
    const ab = saved.find((s) => s.note === 'after-hours text')!;
    expect(ab.variant_selection).toBe('thompson');
    expect(ab.variants!.map((v) => [v.id, v.weight])).toEqual([
      ['A', 1],
      ['B', 3],
    ]);

    // After a reload the form shows what was saved.
    await page.reload();
    await form.getByLabel('Weight of version B of Text after hours').waitFor();
    expect(await form.getByLabel('After a missed call from them, wait').inputValue()).toBe('30s');
    expect(await form.getByLabel(/Send more of the variant that gets more replies/).isChecked()).toBe(true);
  });

  it('a duration the server cannot read is refused with its message, and nothing changes', async () => {
    const { page } = b;
    const before = await textBack();
    await page.goto(`${server.url}/settings/text-back`);
    const form = page.getByRole('form', { name: 'Missed-call text-back' });
    await form.getByLabel('After your own unanswered call, wait').fill('soon');
    await form.getByRole('button', { name: 'Save text-back' }).click();
    await form.getByRole('alert').filter({ hasText: /soon/ }).waitFor();
    expect((await textBack()).steps).toEqual(before.steps);
  });
});
