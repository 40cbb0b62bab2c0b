import { describe, expect, it } from 'vitest';
import { compareByPriority, formatAutomationError, matchesTrigger, parseAutomation, validateAutomation } from './automation.js';
import type { Automation } from './automation.js';

const base: Automation = {
  name: 'Missed-call text-back',
  state: 'active',
  priority: 10,
  scope: { numbers: ['+15551230000'] },
  trigger: { type: 'call.completed' },
  steps: [
    { type: 'condition', if: { field: 'call.outcome', op: '!=', value: 'missed' }, then: [{ type: 'stop' }] },
    { type: 'delay', duration: '15s' },
    { type: 'send_sms', template: 'Hi {Name|there}, sorry we missed you!' },
  ],
};

/** The base document with some fields replaced (steps replaced wholesale). */
const doc = (patch: Record<string, unknown>): unknown => ({ ...base, ...patch });
const withSteps = (...steps: unknown[]): unknown => doc({ steps });
const errorsOf = (value: unknown, knownVariables?: string[]): string[] =>
  validateAutomation(value, knownVariables ? { knownVariables } : {}).map(formatAutomationError);

describe('validateAutomation', () => {
  it('accepts a valid document', () => {
    expect(errorsOf(base)).toEqual([]);
  });

  it('points at a misspelt template variable by step path', () => {
    const value = withSteps({ type: 'delay', duration: '15s' }, { type: 'delay', until: 'business_hours' }, { type: 'send_sms', template: 'Hi {Nmae}!' });
    expect(errorsOf(value)).toEqual(['steps[2].template: unknown variable {Nmae}']);
    expect(validateAutomation(value)[0]?.hint).toBe('did you mean {Name}?');
  });

  it.each<[string, unknown, string[]]>([
    ['not an object', null, ['automation must be an object']],
    ['missing name', doc({ name: ' ' }), ['name: name is required']],
    ['unknown state', doc({ state: 'on' }), ['state: state must be one of draft, active, paused, got "on"']],
    ['priority not a number', doc({ priority: 'high' }), ['priority: priority must be a number, got "high"']],
    ['scope missing', doc({ scope: undefined }), ['scope: scope is required: { numbers: [...] } or { numbers: "all" }']],
    ['empty scope', doc({ scope: { numbers: [] } }), ['scope.numbers: scope.numbers must list at least one number, or be "all"']],
    ['non-E.164 number', doc({ scope: { numbers: ['+15551230000', '555-1234'] } }), ['scope.numbers[1]: "555-1234" is not an E.164 number such as +15551234567']],
    ['scope all', doc({ scope: { numbers: 'all' } }), []],
    ['unknown trigger', doc({ trigger: { type: 'call.missed' } }), ['trigger.type: unknown trigger "call.missed" (use call.completed, lead.created, message.received, message.not_replied)']],
    ['not_replied without after', doc({ trigger: { type: 'message.not_replied' }, steps: [{ type: 'stop' }] }), ['trigger.after: message.not_replied needs after, a duration such as "2h", got undefined']],
    ['not_replied with after', doc({ trigger: { type: 'message.not_replied', after: '2h' }, steps: [{ type: 'stop' }] }), []],
    ['after on another trigger', doc({ trigger: { type: 'lead.created', after: '2h' }, steps: [{ type: 'stop' }] }), ['trigger.after: after only applies to message.not_replied triggers']],
    ['call field on a message trigger', doc({ trigger: { type: 'message.received' } }), ['steps[0].if.field: call.outcome is only available for call.completed triggers, not message.received']],
    ['no steps', withSteps(), ['steps: an automation needs at least one step']],
    ['unknown step type', withSteps({ type: 'send_email' }), ['steps[0].type: unknown step type "send_email" (use condition, delay, send_sms, update_contact, webhook, assign, reply_agent, stop)']],
    ['step not an object', withSteps('stop'), ['steps[0]: step must be an object with a type']],
    ['bad duration', withSteps({ type: 'delay', duration: '15' }), ['steps[0].duration: invalid duration "15" (use 15s, 3m, 2h, 7d)']],
    ['delay with both', withSteps({ type: 'delay', duration: '1m', until: 'business_hours' }), ['steps[0]: a delay needs exactly one of duration (e.g. "15s") or until: "business_hours"']],
    ['delay until something else', withSteps({ type: 'delay', until: 'tomorrow' }), ['steps[0].until: until must be "business_hours", got "tomorrow"']],
    ['send_sms without content', withSteps({ type: 'send_sms' }), ['steps[0]: send_sms needs exactly one of template or variants']],
    ['empty template', withSteps({ type: 'send_sms', template: '' }), ['steps[0].template: template must be a non-empty string']],
    ['template syntax error', withSteps({ type: 'send_sms', template: 'Hi {Name' }), ['steps[0].template: unclosed variable {Name (missing }, or write {{ for a literal brace)']],
    ['any attribute with the default variables', withSteps({ type: 'send_sms', template: '{attr.plan}' }), []],
    [
      'variants',
      withSteps({ type: 'send_sms', variants: [{ id: 'a', template: 'Hi {Name}', weight: 1 }, { id: 'b', template: 'Hello {Nmae}', weight: 0 }] }),
      ['steps[0].variants[1].weight: weight must be a positive number, got 0', 'steps[0].variants[1].template: unknown variable {Nmae}'],
    ],
    ['one variant', withSteps({ type: 'send_sms', variants: [{ id: 'a', template: 'Hi', weight: 1 }] }), ['steps[0].variants: A/B variants need at least 2 variants, got 1 (use a single template instead)']],
    ['update_contact', withSteps({ type: 'update_contact', attribute: 'last seen', value: 3 }), ['steps[0].attribute: attribute must be a name of letters, digits, _ or -, got "last seen"', 'steps[0].value: value must be a string (or "now"), got 3']],
    ['webhook url', withSteps({ type: 'webhook', url: 'ftp://example.com' }), ['steps[0].url: url must be an http(s) URL, got "ftp://example.com"']],
    ['webhook ok', withSteps({ type: 'webhook', url: 'https://example.com/hook', secret: 's3cret' }), []],
    ['assign both', withSteps({ type: 'assign', teamId: 't1', userId: 'u1' }), ['steps[0]: assign needs exactly one of teamId or userId']],
    ['assign empty', withSteps({ type: 'assign', teamId: '' }), ['steps[0].teamId: teamId must be a non-empty string']],
    ['stop reason', withSteps({ type: 'stop', reason: 42 }), ['steps[0].reason: reason must be a string']],
    [
      'errors inside branches',
      withSteps({
        type: 'condition',
        if: { field: 'call.outcome', op: '==', value: 'mised' },
        then: [{ type: 'delay', duration: '1x' }],
        else: [{ type: 'condition', if: { field: 'business_hours.open', op: '==', value: true }, then: [{ type: 'send_sms', template: '{Bussiness}' }] }],
      }),
      [
        'steps[0].if.value: "mised" is not a valid call.outcome (use answered, missed, voicemail, too_short, answered_elsewhere)',
        'steps[0].then[0].duration: invalid duration "1x" (use 15s, 3m, 2h, 7d)',
        'steps[0].else[0].then[0].template: unknown variable {Bussiness}',
      ],
    ],
    ['condition with no steps', withSteps({ type: 'condition', if: { field: 'run.replied', op: '==', value: true }, then: [] }), ['steps[0]: a condition needs steps in then or else']],
    ['condition then not a list', withSteps({ type: 'condition', if: { field: 'run.replied', op: '==', value: true }, then: { type: 'stop' } }), ['steps[0].then: then must be a list of steps']],
  ])('%s', (_label, value, expected) => {
    expect(errorsOf(value)).toEqual(expected);
  });

  it('checks templates against the given variables', () => {
    const value = withSteps({ type: 'send_sms', template: 'Hi {Name}, your plan {attr.plan}' });
    expect(errorsOf(value, ['Name', 'attr.company'])).toEqual(['steps[0].template: unknown variable {attr.plan}']);
    expect(errorsOf(value, ['Name', 'attr.plan'])).toEqual([]);
  });

  it('limits nesting', () => {
    let steps: unknown[] = [{ type: 'stop' }];
    for (let i = 0; i < 9; i++) steps = [{ type: 'condition', if: { field: 'run.replied', op: '==', value: true }, then: steps }];
    expect(errorsOf(withSteps(...steps))).toEqual([
      'steps[0].then[0].then[0].then[0].then[0].then[0].then[0].then[0]: conditions are nested more than 8 deep; split the automation',
    ]);
  });
});

describe('parseAutomation', () => {
  it('narrows a valid document', () => {
    const result = parseAutomation(JSON.parse(JSON.stringify(base)));
    expect(result.ok && result.automation.name).toBe('Missed-call text-back');
  });

  it('returns the errors of an invalid one', () => {
    const result = parseAutomation(doc({ name: '' }));
    expect(result.ok ? [] : result.errors.map(formatAutomationError)).toEqual(['name: name is required']);
  });
});

describe('matchesTrigger and compareByPriority', () => {
  it.each<[string, Automation, Parameters<typeof matchesTrigger>[1], boolean]>([
    ['matching call on a scoped number', base, { type: 'call.completed', number: '+15551230000' }, true],
    ['other number', base, { type: 'call.completed', number: '+15559990000' }, false],
    ['no number', base, { type: 'call.completed' }, false],
    ['any number', { ...base, scope: { numbers: 'all' } }, { type: 'call.completed', number: '+15559990000' }, true],
    ['other trigger', base, { type: 'message.received', number: '+15551230000' }, false],
    ['paused', { ...base, state: 'paused' }, { type: 'call.completed', number: '+15551230000' }, false],
    ['draft', { ...base, state: 'draft' }, { type: 'call.completed', number: '+15551230000' }, false],
  ])('%s', (_label, automation, event, expected) => {
    expect(matchesTrigger(automation, event).matches).toBe(expected);
  });

  it('orders by priority (higher first), then name', () => {
    const list = [
      { ...base, name: 'b', priority: 1 },
      { ...base, name: 'c', priority: 5 },
      { ...base, name: 'a', priority: 1 },
    ];
    expect([...list].sort(compareByPriority).map((a) => a.name)).toEqual(['c', 'a', 'b']);
  });
});

describe('scope by agent or extension', () => {
  const base = { name: 'x', state: 'active' as const, priority: 1, trigger: { type: 'call.completed' as const }, steps: [{ type: 'stop' as const }] };
  it('matches only events from the listed extensions; events without one do not match', () => {
    const automation = { ...base, scope: { numbers: 'all' as const, extensions: ['101', 'ana'] } };
    expect(matchesTrigger(automation, { type: 'call.completed', number: '+15551234567', extension: '101' }).matches).toBe(true);
    expect(matchesTrigger(automation, { type: 'call.completed', number: '+15551234567', extension: '102' })).toEqual({ matches: false, reason: 'agent or extension 102 is not in scope' });
    expect(matchesTrigger(automation, { type: 'call.completed', number: '+15551234567' }).matches).toBe(false);
    expect(matchesTrigger({ ...base, scope: { numbers: 'all' as const } }, { type: 'call.completed', extension: '999' }).matches).toBe(true);
  });
  it('refuses a malformed extension list, naming the entry', () => {
    expect(validateAutomation({ ...base, scope: { numbers: 'all', extensions: ['101', ''] } })).toEqual([
      { path: 'scope.extensions[1]', message: 'an extension must be a non-empty string' },
    ]);
  });
});
