import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../templates/template.js';
import { formatAutomationError, validateAutomation } from './automation.js';
import type { SendSmsStep, Step } from './automation.js';
import { LAST_MISSED_CALL_SMS_AT, MISSED_CALL_TEXTS, missedCallTextBackPreset, readMissedCallPreset } from './presets.js';

/** GSM 03.38 basic character set (each costs one of the 160 characters). */
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);

/** Every send_sms template in a step tree, with its path. */
function templates(steps: readonly Step[], path = 'steps'): Array<[string, string]> {
  return steps.flatMap((step, i): Array<[string, string]> => {
    const here = `${path}[${i}]`;
    if (step.type === 'condition') return [...templates(step.then, `${here}.then`), ...templates(step.else ?? [], `${here}.else`)];
    if (step.type === 'send_sms') return 'template' in step ? [[here, step.template]] : step.variants.map((v) => [here, v.template]);
    return [];
  });
}

describe('missedCallTextBackPreset', () => {
  const preset = missedCallTextBackPreset({ businessName: 'Bright Smile Family Dentistry', numbers: ['+15551230000'] });

  it('is a valid automation on the given numbers, created as a draft', () => {
    expect(validateAutomation(preset).map(formatAutomationError)).toEqual([]);
    expect(validateAutomation(preset, { knownVariables: ['Name', 'Business'] })).toEqual([]);
    expect(preset).toMatchObject({
      name: 'Missed-call text-back',
      state: 'draft',
      priority: 100,
      scope: { numbers: ['+15551230000'] },
      trigger: { type: 'call.completed' },
    });
  });

  it.each([
    ['voicemail texted after a delay', { voicemail: { delay: '20m' } }],
    ['no follow-up', { followUp: false }],
    ['custom timings', { inboundDelay: '1m', outboundDelay: '5m', capWindow: '12h', followUp: { after: '4h' } }],
    ['all numbers, active', { numbers: 'all', state: 'active' }],
  ] as const)('stays valid with options: %s', (_label, options) => {
    const doc = missedCallTextBackPreset({ businessName: 'Acme', numbers: ['+15551230000'], ...options });
    expect(validateAutomation(doc).map(formatAutomationError)).toEqual([]);
  });

  it('falls back to the business name when the {Business} variable is empty', () => {
    const [, inHours] = templates(preset.steps)[0] ?? [];
    expect(inHours).toContain('{Business|Bright Smile Family Dentistry}');
    expect(renderTemplate(inHours ?? '', {})).toBe(
      "Hi there, sorry we missed your call at Bright Smile Family Dentistry! How can we help? Reply here and we'll get right back to you.",
    );
  });

  it('strips braces from the business name so it cannot break the template', () => {
    const doc = missedCallTextBackPreset({ businessName: 'Curly {Braces} Co', numbers: 'all' });
    expect(validateAutomation(doc)).toEqual([]);
    expect(() => missedCallTextBackPreset({ businessName: ' {} ', numbers: 'all' })).toThrow(RangeError);
  });

  it('uses custom texts', () => {
    const doc = missedCallTextBackPreset({ businessName: 'Acme', numbers: 'all', texts: { inHours: 'Yo {Name|there} from {Business}' } });
    expect(templates(doc.steps).map(([, t]) => t)).toContain('Yo {Name|there} from {Business|Acme}');
  });

  it('caps with the last_missed_call_sms_at attribute and records it after sending', () => {
    const steps = preset.steps;
    expect(steps[2]).toMatchObject({ type: 'condition', if: { field: `contact.attr.${LAST_MISSED_CALL_SMS_AT}`, op: 'within', value: '24h' } });
    expect(steps[4]).toEqual({ type: 'update_contact', attribute: LAST_MISSED_CALL_SMS_AT, value: 'now', note: 'remember for the 24 h cap' });
  });

  const names = ['', 'Ann', 'Maria', 'Christopher', 'Bartholomew'];
  const businesses = ['Acme', 'Bright Dental', 'Bright Smile Family Dentistry', "Joe's Plumbing & Heating"];
  const cases = Object.entries(MISSED_CALL_TEXTS).flatMap(([key, template]) =>
    names.flatMap((Name) => businesses.map((Business) => [key, template, Name, Business] as const)),
  );

  it.each(cases)('%s text fits one GSM-7 segment (Name=%j, Business=%j)', (_key, template, Name, Business) => {
    const body = renderTemplate(template, { Name, Business });
    expect(body.length).toBeLessThan(160);
    expect([...body].filter((c) => !GSM7_BASIC.has(c))).toEqual([]);
  });

  it('every template in the document also fits, rendered with the fallback business name', () => {
    for (const [path, template] of templates(preset.steps)) {
      const body = renderTemplate(template, { Name: 'Christopher' });
      expect(body.length, `${path}: ${body}`).toBeLessThan(160);
    }
  });

  it('sends exactly four texts: in-hours, after-hours, outbound and follow-up', () => {
    const sends = templates(preset.steps).map(([path]) => path);
    expect(sends).toEqual(['steps[3].then[0].then[0]', 'steps[3].then[0].else[0]', 'steps[3].else[0]', 'steps[8]']);
    expect((preset.steps[8] as SendSmsStep).note).toBe('one follow-up, no more');
  });
});

describe('readMissedCallPreset (the form in the web app edits these options)', () => {
  const full = {
    businessName: 'Acme Dental',
    numbers: ['+15551230000'],
    name: 'Text-back',
    state: 'active' as const,
    priority: 100,
    texts: { inHours: 'Hi {Name|there}, {Business} here. Sorry we missed you!', outbound: 'It is {Business}: when can we talk?' },
    inboundDelay: '30s',
    outboundDelay: '5m',
    voicemail: { delay: '10m' },
    capWindow: '12h',
    followUp: { after: '3h' },
    variants: {
      afterHours: [
        { id: 'A', template: 'We are closed, {Name|friend}. Reply and {Business} texts you at 8.', weight: 1 },
        { id: 'B', template: 'Closed now. Reply here!', weight: 2 },
      ],
    },
    variantSelection: 'thompson' as const,
  };

  it('reads back every option the document was made with', () => {
    const doc = missedCallTextBackPreset(full);
    expect(validateAutomation(doc)).toEqual([]);
    const back = readMissedCallPreset(doc)!;
    expect(back).toMatchObject({ ...full, texts: { ...full.texts, followUp: MISSED_CALL_TEXTS.followUp } });
    expect(back.texts!.afterHours).toBeUndefined();
    // And building again from what was read gives the same document.
    expect(missedCallTextBackPreset(back)).toEqual(doc);
  });

  it('reads the defaults (no voicemail, no variants) and no follow-up', () => {
    const doc = missedCallTextBackPreset({ businessName: 'Bo', numbers: 'all', followUp: false });
    const back = readMissedCallPreset(doc)!;
    expect(back).toMatchObject({ businessName: 'Bo', voicemail: 'skip', inboundDelay: '15s', outboundDelay: '3m', capWindow: '24h', followUp: false });
    expect(missedCallTextBackPreset(back)).toEqual(doc);
  });

  it('says null once the document was changed beyond the form (edited step by step instead)', () => {
    const doc = missedCallTextBackPreset({ businessName: 'Bo', numbers: 'all' });
    expect(readMissedCallPreset({ ...doc, steps: doc.steps.slice(1) })).toBeNull();
    expect(readMissedCallPreset({ ...doc, steps: [...doc.steps, { type: 'stop' }] })).toBeNull();
    expect(readMissedCallPreset({ ...doc, steps: [{ type: 'stop' }] })).toBeNull();
  });
});
