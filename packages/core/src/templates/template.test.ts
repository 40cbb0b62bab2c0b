import { describe, expect, it } from 'vitest';
import {
  ANY_ATTRIBUTE,
  BUILT_IN_VARIABLE_NAMES,
  TemplateSyntaxError,
  attributeVariables,
  parseTemplate,
  renderTemplate,
  templateVariables,
  validateTemplate,
} from './template.js';
import type { TemplateErrorCode, TemplateVariables } from './template.js';

describe('parseTemplate', () => {
  it('splits text and variables with offsets', () => {
    expect(parseTemplate('Hi {Name|there}, from {Business}')).toEqual({
      ok: true,
      tokens: [
        { kind: 'text', value: 'Hi ', start: 0, end: 3 },
        { kind: 'variable', name: 'Name', fallback: 'there', start: 3, end: 15 },
        { kind: 'text', value: ', from ', start: 15, end: 22 },
        { kind: 'variable', name: 'Business', start: 22, end: 32 },
      ],
    });
  });

  it.each<[string, string, Array<{ name: string; fallback?: string }>]>([
    ['attribute variable', '{attr.company}', [{ name: 'attr.company' }]],
    ['attribute with dash', '{attr.lead-source}', [{ name: 'attr.lead-source' }]],
    ['spaces around the name', '{ Name |friend}', [{ name: 'Name', fallback: 'friend' }]],
    ['empty fallback', '{Name|}', [{ name: 'Name', fallback: '' }]],
    ['fallback with spaces and pipes', '{Name|my friend|pal}', [{ name: 'Name', fallback: 'my friend|pal' }]],
  ])('%s', (_label, text, expected) => {
    const result = parseTemplate(text);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const vars = result.tokens.flatMap((t) => (t.kind === 'variable' ? [{ name: t.name, ...(t.fallback === undefined ? {} : { fallback: t.fallback }) }] : []));
    expect(vars).toEqual(expected);
  });

  it('treats doubled braces as literals', () => {
    expect(parseTemplate('use {{code}} now}}')).toEqual({
      ok: true,
      tokens: [{ kind: 'text', value: 'use {code} now}', start: 0, end: 18 }],
    });
  });

  it.each<[string, string, TemplateErrorCode[], number[]]>([
    ['unclosed at end', 'Hi {Name', ['unclosed_variable'], [3]],
    ['unclosed before another variable', 'Hi {Name {Business}', ['unclosed_variable'], [3]],
    ['stray close brace', 'Hi Name}', ['unmatched_close_brace'], [7]],
    ['empty variable', 'Hi {}', ['empty_variable'], [3]],
    ['blank variable with fallback', 'Hi { |there}', ['empty_variable'], [3]],
    ['invalid name', 'Hi {first name}', ['invalid_variable_name'], [3]],
    ['dotted name without attr.', 'at {contact.company}', ['invalid_variable_name'], [3]],
    ['starts with a digit', '{1st}', ['invalid_variable_name'], [0]],
    ['several errors', '} {} {Name', ['unmatched_close_brace', 'empty_variable', 'unclosed_variable'], [0, 2, 5]],
  ])('reports %s', (_label, text, codes, positions) => {
    const result = parseTemplate(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.code)).toEqual(codes);
    expect(result.errors.map((e) => e.position)).toEqual(positions);
  });

  it('hints at the attribute syntax', () => {
    const result = parseTemplate('{contact.company}');
    expect(result.ok ? undefined : result.errors[0]?.hint).toBe('contact attributes are written {attr.company}');
  });
});

describe('validateTemplate', () => {
  const known = [...BUILT_IN_VARIABLE_NAMES, 'attr.company'];

  it.each<[string, string, string[], Array<string | undefined>]>([
    ['valid template', 'Hi {Name|there}, {Business} here. {attr.company}', [], []],
    ['typo', 'Hi {Nmae}', ['unknown variable {Nmae}'], ['did you mean {Name}?']],
    ['wrong case', 'Hi {name}', ['unknown variable {name}'], ['did you mean {Name}?']],
    ['attribute without prefix', 'at {company}', ['unknown variable {company}'], ['did you mean {attr.company}?']],
    ['unknown attribute', 'at {attr.plan}', ['unknown variable {attr.plan}'], [undefined]],
    ['nothing close', 'see {Zebra}', ['unknown variable {Zebra}'], [undefined]],
    ['two unknowns and a syntax error', '{Nmae} {Bussiness} }', ['unknown variable {Nmae}', 'unknown variable {Bussiness}', 'unmatched } (write }} for a literal brace)'], ['did you mean {Name}?', 'did you mean {Business}?', undefined]],
  ])('%s', (_label, text, messages, hints) => {
    const errors = validateTemplate(text, known);
    expect(errors.map((e) => e.message)).toEqual(messages);
    expect(errors.map((e) => e.hint)).toEqual(hints);
  });

  it('names the unknown variable and its position', () => {
    expect(validateTemplate('Hello {Nmae|there}!', known)).toEqual([
      { code: 'unknown_variable', message: 'unknown variable {Nmae}', position: 6, length: 12, variable: 'Nmae', hint: 'did you mean {Name}?' },
    ]);
  });

  it('accepts any attribute with the attr.* wildcard', () => {
    expect(validateTemplate('{attr.plan} {attr.tier}', [ANY_ATTRIBUTE])).toEqual([]);
    expect(validateTemplate('{plan}', [ANY_ATTRIBUTE])[0]?.hint).toBe('did you mean {attr.plan}?');
  });
});

describe('renderTemplate', () => {
  const vars: TemplateVariables = { Name: 'Ann', Business: 'Bright Dental', Agent: '', 'attr.company': 'Acme', Number: null };

  it.each<[string, string, TemplateVariables, string]>([
    ['plain variables', 'Hi {Name}, {Business} here', vars, 'Hi Ann, Bright Dental here'],
    ['fallback unused when present', 'Hi {Name|there}', vars, 'Hi Ann'],
    ['fallback when missing', 'Hi {Name|there}', {}, 'Hi there'],
    ['fallback when empty', 'Hi {Agent|our team}', vars, 'Hi our team'],
    ['fallback when blank', 'Hi {Name|there}', { Name: '   ' }, 'Hi there'],
    ['fallback when null', 'Call {Number|us}', vars, 'Call us'],
    ['empty string without fallback', 'Hi {Name}!', {}, 'Hi !'],
    ['attribute', 'From {attr.company|your company}', vars, 'From Acme'],
    ['numbers are stringified', 'Order {attr.order}', { 'attr.order': 42 }, 'Order 42'],
    ['literal braces', 'Use {{code}}: {Name}', vars, 'Use {code}: Ann'],
    ['inherited keys are not variables', '{constructor|x}', {}, 'x'],
    ['no variables', 'Thanks!', {}, 'Thanks!'],
  ])('%s', (_label, text, input, expected) => {
    expect(renderTemplate(text, input)).toBe(expected);
  });

  it('throws a typed error on a broken template', () => {
    expect(() => renderTemplate('Hi {Name', vars)).toThrow(TemplateSyntaxError);
    try {
      renderTemplate('Hi {Name', vars);
    } catch (error) {
      expect((error as TemplateSyntaxError).errors[0]?.code).toBe('unclosed_variable');
    }
  });
});

describe('helpers', () => {
  it('lists the variables used', () => {
    expect(templateVariables('{Name} {Business} {Name|x} {attr.a} {{Agent}}')).toEqual(['Name', 'Business', 'attr.a']);
  });

  it('maps contact attributes to attr. variables', () => {
    expect(attributeVariables({ company: 'Acme', plan: undefined })).toEqual({ 'attr.company': 'Acme', 'attr.plan': undefined });
  });
});
