import { describe, expect, it } from 'vitest';
import {
  appendOptOutLanguage,
  defaultComplianceTexts,
  keywordCollision,
  matchKeyword,
  validateHelpText,
  type KeywordLists,
} from './keywords.js';

describe('matchKeyword', () => {
  it.each([
    // whole message, case-insensitive, edge whitespace/punctuation ignored
    ['STOP', { kind: 'opt_out', keyword: 'STOP' }],
    ['Stop ', { kind: 'opt_out', keyword: 'STOP' }],
    ['stop.', { kind: 'opt_out', keyword: 'STOP' }],
    [' STOP!', { kind: 'opt_out', keyword: 'STOP' }],
    ['"stop"', { kind: 'opt_out', keyword: 'STOP' }],
    ['\tStOp\n', { kind: 'opt_out', keyword: 'STOP' }],
    ['STOP 🛑', { kind: 'opt_out', keyword: 'STOP' }],
    ['ＳＴＯＰ', { kind: 'opt_out', keyword: 'STOP' }],
    ['stopall', { kind: 'opt_out', keyword: 'STOPALL' }],
    ['Stop  all', { kind: 'opt_out', keyword: 'STOP ALL' }],
    ['unsubscribe', { kind: 'opt_out', keyword: 'UNSUBSCRIBE' }],
    ['Cancel', { kind: 'opt_out', keyword: 'CANCEL' }],
    ['end', { kind: 'opt_out', keyword: 'END' }],
    ['QUIT', { kind: 'opt_out', keyword: 'QUIT' }],
    ['revoke', { kind: 'opt_out', keyword: 'REVOKE' }],
    ['optout', { kind: 'opt_out', keyword: 'OPTOUT' }],
    ['opt-out', { kind: 'opt_out', keyword: 'OPT-OUT' }],
    ['remove', { kind: 'opt_out', keyword: 'REMOVE' }],
    ['Arrêt', { kind: 'opt_out', keyword: 'ARRET' }],
    ['td', { kind: 'opt_out', keyword: 'TD' }],
    ['start', { kind: 'opt_in', keyword: 'START' }],
    ['Yes!', { kind: 'opt_in', keyword: 'YES' }],
    ['unstop', { kind: 'opt_in', keyword: 'UNSTOP' }],
    ['help', { kind: 'help', keyword: 'HELP' }],
    ['Info?', { kind: 'help', keyword: 'INFO' }],
  ])('%j → exact keyword', (body, expected) => {
    expect(matchKeyword(body)).toEqual(expected);
  });

  it.each([
    ['stop texting me about the bill', 'STOP'],
    ['Please STOP.', 'STOP'],
    ['yes, stop', 'STOP'],
    ['I want to unsubscribe please', 'UNSUBSCRIBE'],
    ['please remove me from your list', 'REMOVE ME'],
    ["don’t text me again", "DON'T TEXT"],
    ['opt out', 'OPT OUT'],
    ['Take me off this list', 'TAKE ME OFF'],
  ])('%j → likely_opt_out (%s)', (body, keyword) => {
    expect(matchKeyword(body)).toEqual({ kind: 'likely_opt_out', keyword });
  });

  it.each([
    'I stopped by yesterday',
    'This is unstoppable',
    'Can I cancel my appointment?',
    'See you at the end of the day',
    'Yes please',
    'What info do you need?',
    '',
    '   ',
    '!!!',
    '🛑',
  ])('%j → null', (body) => {
    expect(matchKeyword(body)).toBeNull();
  });

  it('accepts custom lists', () => {
    const lists: KeywordLists = { optOut: ['BAJA'], optIn: ['ALTA'], help: ['AYUDA'], likelyOptOut: ['NO MAS'] };
    expect(matchKeyword('baja', lists)).toEqual({ kind: 'opt_out', keyword: 'BAJA' });
    expect(matchKeyword('Ayuda!', lists)).toEqual({ kind: 'help', keyword: 'AYUDA' });
    expect(matchKeyword('no mas mensajes', lists)).toEqual({ kind: 'likely_opt_out', keyword: 'NO MAS' });
    expect(matchKeyword('stop', lists)).toBeNull();
  });
});

describe('keywordCollision', () => {
  it.each([
    ['stop', 'STOP'],
    ['Start', 'START'],
    ['INFO', 'INFO'],
    ['yes', 'YES'],
    ['stop all', 'STOP ALL'],
    ['STOP NOW', 'STOP'],
    ['Unsubscribe-me', 'UNSUBSCRIBE'],
    ['SALES', null],
    ['PIZZA', null],
    ['STOPWATCH', null],
    ['HELPDESK', null],
  ])('%j collides with %j', (word, expected) => {
    expect(keywordCollision(word)).toBe(expected);
  });
});

describe('validateHelpText', () => {
  const biz = 'Acme Plumbing';
  it.each([
    ['Acme Plumbing: help at 555-010-0199 or help@acme.com. Msg & data rates may apply. Reply STOP to opt out.', []],
    ['acme  plumbing: call (555) 010-0199. Message and data rates may apply. Text STOP to unsubscribe.', []],
    ['Acme Plumbing: visit https://acme.example/help. Msg&data rates may apply. Reply "STOP" to cancel.', []],
    ['Help: call 555-010-0199. Msg & data rates may apply. Reply STOP to opt out.', ['business_name']],
    ['Acme Plumbing: call 555-010-0199. Msg & data rates may apply.', ['opt_out_instructions']],
    ['Acme Plumbing: call 555-010-0199. Reply STOP to opt out.', ['rates_disclaimer']],
    ['Acme Plumbing. Msg & data rates may apply. Reply STOP to opt out.', ['contact']],
    ['Hello', ['business_name', 'opt_out_instructions', 'rates_disclaimer', 'contact']],
  ])('%j → missing %j', (text, missing) => {
    expect(validateHelpText(text, biz)).toEqual(missing);
  });

  it('requires a non-empty business name', () => {
    expect(validateHelpText('Call 5550100199. Msg & data rates may apply. Reply STOP to opt out.', ' ')).toEqual(['business_name']);
  });
});

describe('defaultComplianceTexts', () => {
  it.each([
    ['Acme Plumbing', '+1 555-010-0199'],
    ["Joe's Diner", 'support@joes.example'],
    ['Bright Dental', 'brightdental.com'],
  ])('%s / %s: help and opt-in texts pass validation', (name, contact) => {
    const texts = defaultComplianceTexts(name, contact);
    expect(validateHelpText(texts.help, name)).toEqual([]);
    expect(texts.help).toContain(contact);
    expect(texts.optInConfirmation).toContain(name);
    expect(texts.optInConfirmation).toMatch(/Reply STOP to opt out/);
    expect(texts.optOutConfirmation).toContain(name);
    // the opt-out confirmation must not itself read as an opt-out / opt-in keyword
    expect(matchKeyword(texts.optOutConfirmation)?.kind).not.toBe('opt_out');
  });
});

describe('appendOptOutLanguage', () => {
  it.each([
    ['Hi Sam, sorry we missed your call!', 'Hi Sam, sorry we missed your call!\nReply STOP to opt out'],
    ['Book here: https://x.example/b  ', 'Book here: https://x.example/b\nReply STOP to opt out'],
    ['Hi! Reply STOP to opt out.', 'Hi! Reply STOP to opt out.'],
    ['Hi! reply stop to unsubscribe', 'Hi! reply stop to unsubscribe'],
    ['Hi! Text END to cancel.', 'Hi! Text END to cancel.'],
    ['Hi! To opt out, reply "STOP".', 'Hi! To opt out, reply "STOP".'],
    ['', 'Reply STOP to opt out'],
  ])('%j → %j', (body, expected) => {
    expect(appendOptOutLanguage(body)).toBe(expected);
  });

  it('uses custom language and does not duplicate it', () => {
    const lang = 'STOP to end';
    const once = appendOptOutLanguage('Hello', lang);
    expect(once).toBe('Hello\nSTOP to end');
    expect(appendOptOutLanguage(once, lang)).toBe(once);
  });
});
