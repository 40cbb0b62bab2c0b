import { missedCallTextBackPreset, validateAutomation } from '@textback/core';
import { describe, expect, it } from 'vitest';
import {
  describeStep,
  formKnows,
  fromDrafts,
  moveStep,
  newAutomationDocument,
  newStep,
  pathSegments,
  removeStep,
  replaceStep,
  stepProblems,
  textToValue,
  toDrafts,
  TRIGGER_CHOICES,
  withConditionField,
  type StepDraft,
} from './automation-form';

const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

describe('automation steps: API JSON <-> form drafts', () => {
  it('round-trips the missed-call preset (nested conditions, lists, booleans, notes) unchanged', () => {
    const preset = missedCallTextBackPreset({ businessName: 'Acme', numbers: 'all', voicemail: { delay: '20m' } });
    const steps = plain(preset.steps);
    const problems: unknown[] = [];
    expect(fromDrafts(toDrafts(steps), 'steps', problems as never)).toEqual(steps);
    expect(problems).toEqual([]);
  });

  it('keeps a step the form does not know as JSON, and sends it back exactly as it was', () => {
    const variants = { type: 'send_sms', variants: [{ id: 'a', template: 'Hi A', weight: 1 }, { id: 'b', template: 'Hi B', weight: 1 }], note: 'A/B' };
    const future = { type: 'send_email', to: 'x@example.com', extra: { deep: [1, 2] } };
    const drafts = toDrafts([variants, future, { type: 'stop' }]);
    expect(drafts.map((d) => d.json !== undefined)).toEqual([true, true, false]);
    expect(fromDrafts(drafts)).toEqual([variants, future, { type: 'stop' }]);
  });

  it('keeps keys the form has no field for on a known step', () => {
    const step = { type: 'delay', duration: '15s', note: 'n', x_custom: 'kept' };
    expect(fromDrafts(toDrafts([step]))).toEqual([step]);
  });

  it('shows a condition with all/any/not as JSON for its if, while its branches stay steps', () => {
    const step = { type: 'condition', if: { all: [{ field: 'call.outcome', op: '==', value: 'missed' }, { field: 'run.replied', op: '==', value: false }] }, then: [{ type: 'delay', duration: '1m' }] };
    const [d] = toDrafts([step]);
    expect(d?.ifJson).toContain('"all"');
    expect(d?.then?.[0]?.raw).toEqual({ type: 'delay', duration: '1m' });
    expect(fromDrafts(toDrafts([step]))).toEqual([step]);
  });

  it('reports a JSON box that does not parse with the path of its step, and leaves it out', () => {
    const drafts = toDrafts([{ type: 'stop' }, { type: 'mystery' }]);
    drafts[1] = { ...drafts[1]!, json: '{ "type": "mystery", ' };
    const problems: { path: string; message: string }[] = [];
    expect(fromDrafts(drafts, 'steps', problems)).toEqual([{ type: 'stop' }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('steps[1]');
  });

  it('types condition values by field and operator: numbers, booleans, lists; no value for exists', () => {
    expect(textToValue('call.duration', '>', ' 30 ')).toBe(30);
    expect(textToValue('call.duration', '>', 'abc')).toBe('abc'); // the server says why
    expect(textToValue('business_hours.open', '==', 'false')).toBe(false);
    expect(textToValue('call.outcome', 'in', 'missed, voicemail,')).toEqual(['missed', 'voicemail']);
    expect(textToValue('contact.attr.vip', 'exists', 'x')).toBeUndefined();
    expect(textToValue('contact.attr.plan', '==', 'Gold ')).toBe('Gold ');
    const [d] = toDrafts([{ type: 'condition', if: { field: 'contact.attr.vip', op: 'exists' }, then: [{ type: 'stop' }] }]);
    expect(fromDrafts([d!])).toEqual([{ type: 'condition', if: { field: 'contact.attr.vip', op: 'exists' }, then: [{ type: 'stop' }] }]);
  });

  it('changing a condition field picks an operator and value that field accepts', () => {
    let d = newStep('condition');
    d = withConditionField(d, 'call.outcome');
    expect(fromDrafts([{ ...d, then: [newStep('stop')] }])[0]).toMatchObject({ if: { field: 'call.outcome', op: '==', value: 'answered' } });
    d = withConditionField(d, 'contact.last_text_at');
    expect((d.raw.if as { op: string }).op).toBe('within');
  });

  it('drops empty optional texts (a webhook secret of "" would be refused)', () => {
    const d = newStep('webhook');
    const filled: StepDraft = { ...d, raw: { ...d.raw, url: 'https://example.com/h', secret: '', note: '' } };
    expect(fromDrafts([filled])).toEqual([{ type: 'webhook', url: 'https://example.com/h' }]);
  });

  it('knows exactly the shapes it has fields for', () => {
    expect(formKnows({ type: 'delay', duration: '1m', until: 'business_hours' })).toBe(false);
    expect(formKnows({ type: 'assign', teamId: 't', userId: 'u' })).toBe(false);
    expect(formKnows({ type: 'assign', userId: 'u' })).toBe(true);
    expect(formKnows({ type: 'send_sms', template: 'x' })).toBe(true);
    expect(formKnows({ type: 'stop', reason: 3 })).toBe(false);
  });
});

describe('moving steps', () => {
  const drafts = () => toDrafts([{ type: 'delay', duration: '1m' }, { type: 'condition', if: { field: 'run.replied', op: '==', value: true }, then: [{ type: 'stop', reason: 'a' }, { type: 'stop', reason: 'b' }] }, { type: 'stop' }]);

  it('moves, removes and replaces a step at the top level and inside a branch', () => {
    const list = drafts();
    expect(fromDrafts(moveStep(list, list[0]!.key, 1)).map((s) => s.type)).toEqual(['condition', 'delay', 'stop']);
    expect(fromDrafts(moveStep(list, list[0]!.key, -1)).map((s) => s.type)).toEqual(['delay', 'condition', 'stop']); // already first
    const nested = list[1]!.then!;
    const moved = fromDrafts(moveStep(list, nested[1]!.key, -1));
    expect((moved[1]!.then as { reason: string }[]).map((s) => s.reason)).toEqual(['b', 'a']);
    expect((fromDrafts(removeStep(list, nested[0]!.key))[1]!.then as unknown[]).length).toBe(1);
    const replaced = replaceStep(list, list[2]!.key, { ...list[2]!, raw: { type: 'stop', reason: 'done' } });
    expect(fromDrafts(replaced)[2]).toEqual({ type: 'stop', reason: 'done' });
    // The input is left alone.
    expect(fromDrafts(list).map((s) => s.type)).toEqual(['delay', 'condition', 'stop']);
  });
});

describe('server errors by path', () => {
  it('reads the domain, schema and JSON-pointer notations alike', () => {
    expect(pathSegments('steps[2].then[0].duration')).toEqual(['steps', '2', 'then', '0', 'duration']);
    expect(pathSegments('body.steps.2.duration')).toEqual(['steps', '2', 'duration']);
    expect(pathSegments('/steps/2/delay')).toEqual(['steps', '2', 'delay']);
  });

  it('gives a step its own problems by field, not those of the steps nested in it', () => {
    const problems = [
      { field: 'steps[1].duration', message: 'invalid duration "soon"' },
      { field: 'steps[1]', message: 'a delay needs exactly one of duration or until' },
      { field: 'steps[1].then[0].template', message: 'unknown variable {Nmae}' },
      { field: 'steps[10].url', message: 'not mine' },
    ];
    expect(stepProblems(problems, ['steps', '1'], ['duration', 'until', 'note'])).toEqual({
      byField: { duration: ['invalid duration "soon"'] },
      general: ['a delay needs exactly one of duration or until'],
    });
    expect(stepProblems(problems, ['steps', '1', 'then', '0'], ['template'])).toEqual({ byField: { template: ['unknown variable {Nmae}'] }, general: [] });
  });
});

describe('new automations', () => {
  it('every trigger choice makes a valid draft document', () => {
    for (const choice of TRIGGER_CHOICES) {
      const doc = newAutomationDocument(choice, '');
      expect(doc.state).toBe('draft');
      expect(validateAutomation(doc)).toEqual([]);
    }
  });
});

describe('the reply agent step', () => {
  it('has a place in the form (no fields but a note); anything else on it is shown as JSON', () => {
    expect(formKnows({ type: 'reply_agent' })).toBe(true);
    expect(formKnows({ type: 'reply_agent', note: 'the agent takes the replies' })).toBe(true);
    expect(formKnows({ type: 'reply_agent', facts: {} })).toBe(false);
    expect(newStep('reply_agent').raw).toEqual({ type: 'reply_agent' });
    expect(describeStep({ type: 'reply_agent' })).toBe('Let the reply agent answer their replies');
  });
});
