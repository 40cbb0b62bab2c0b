import { describe, expect, it, vi } from 'vitest';

// libphonenumber-js reports a type for every valid number we could find, so simulate the case where
// getType() returns undefined to check the 'UNKNOWN' fallback.
vi.mock('libphonenumber-js/max', async (importOriginal) => {
  const lib = await importOriginal<typeof import('libphonenumber-js/max')>();
  return {
    ...lib,
    parsePhoneNumberFromString: (...args: Parameters<typeof lib.parsePhoneNumberFromString>) => {
      const parsed = lib.parsePhoneNumberFromString(...args);
      if (parsed) parsed.getType = () => undefined;
      return parsed;
    },
  };
});

const { normalizePhone } = await import('./normalize-phone.js');

describe('normalizePhone when libphonenumber-js has no type', () => {
  it("reports 'UNKNOWN'", () => {
    expect(normalizePhone('+14155552671')).toEqual({ e164: '+14155552671', country: 'US', type: 'UNKNOWN' });
  });
});
