import { describe, expect, it } from 'vitest';
import { suggest } from './search';

const fields = { fields: [{ name: 'status', values: ['open', 'done', 'snoozed'] }, { name: 'sms_sent' }, { name: 'source', values: ['api', 'import'] }], has: [{ name: 'unread' }, { name: 'failed' }] };

describe('search suggestions for the word being typed', () => {
  it('completes a field name, keeping what comes before', () => {
    expect(suggest('water s', fields)).toEqual(['water status:', 'water sms_sent:', 'water source:']);
    expect(suggest('not (sta', fields)).toEqual(['not (status:']);
  });
  it("completes a field's values and has: shorthands", () => {
    expect(suggest('status:', fields)).toEqual(['status:open', 'status:done', 'status:snoozed']);
    expect(suggest('x has:un', fields)).toEqual(['x has:unread']);
  });
  it('suggests nothing after a space, for a finished value or an unknown field', () => {
    expect(suggest('status:open ', fields)).toEqual([]);
    expect(suggest('status:open', fields)).toEqual([]);
    expect(suggest('zzz', fields)).toEqual([]);
    expect(suggest('a', undefined)).toEqual([]);
  });
});
