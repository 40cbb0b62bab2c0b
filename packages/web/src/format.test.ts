import { renderTemplate } from '@textback/core';
import { describe, expect, it } from 'vitest';
import { dateTime, formatPhone, reasonWords, shortTime, templateVars } from './format';

describe('format', () => {
  it('formats North American numbers for people and leaves others in E.164', () => {
    expect(formatPhone('+14155550123')).toBe('(415) 555-0123');
    expect(formatPhone('+447911123456')).toBe('+447911123456');
    expect(formatPhone(null)).toBe('');
  });

  it('says a failure reason in plain words, and an unknown code readably', () => {
    expect(reasonWords('landline_or_unreachable')).toBe('The number is a landline or cannot receive texts');
    expect(reasonWords('some_new_reason')).toBe('Some new reason');
  });

  it('shows a time in the contact’s zone', () => {
    expect(dateTime('2026-05-03T15:00:00Z', 'America/New_York')).toMatch(/11:00/);
    expect(dateTime('2026-05-03T15:00:00Z', 'America/Los_Angeles')).toMatch(/8:00/);
  });

  it('shows today’s time as a time and older dates as dates', () => {
    const now = new Date('2026-05-03T18:00:00');
    expect(shortTime('2026-05-03T09:05:00', now)).toMatch(/9:05/);
    expect(shortTime('2025-01-02T09:05:00', now)).toMatch(/2025/);
  });

  it('fills a saved reply’s variables as automations do, with fallbacks', () => {
    const vars = templateVars({ contactName: 'Maria Lopez', business: 'Demo Plumbing', number: '+14159434591', attributes: { company: 'Acme' } });
    expect(renderTemplate('Hi {Name|there}, {Business} here ({Number}) for {attr.company}', vars)).toBe('Hi Maria, Demo Plumbing here ((415) 943-4591) for Acme');
    expect(renderTemplate('Hi {Name|there}', templateVars({ contactName: null }))).toBe('Hi there');
  });
});
