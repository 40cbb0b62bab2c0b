/** toAutomation parses a row once per version of it, and what it shares cannot be changed. */
import { fingerprintSteps } from '@textback/core';
import { describe, expect, it } from 'vitest';
import type { AutomationRow } from '../../src/db/schema.js';
import { toAutomation } from '../../src/use-cases/automations/automation-store.js';

const row = (over: Partial<AutomationRow> = {}): AutomationRow => ({
  id: 'aut_cache_test',
  org_id: 'org_1',
  name: 'text-back',
  state: 'active',
  priority: 1,
  trigger_type: 'call.completed',
  document: JSON.stringify({ scope: { numbers: 'all' }, trigger: { type: 'call.completed' }, steps: [{ type: 'send_sms', template: 'Hello' }] }),
  preset: null,
  created_at: 1,
  updated_at: 1,
  ...over,
});

describe('toAutomation', () => {
  it('returns the same frozen automation for the same row, and a new one when the row changed', () => {
    const a = toAutomation(row());
    expect(toAutomation(row())).toBe(a);
    expect(Object.isFrozen(a.steps[0])).toBe(true);
    expect(() => {
      (a.steps as unknown as unknown[]).push({});
    }).toThrow();
    const renamed = toAutomation(row({ name: 'renamed' }));
    expect(renamed).not.toBe(a);
    expect(renamed.name).toBe('renamed');
    const paused = toAutomation(row({ name: 'renamed', state: 'paused' }));
    expect(paused.state).toBe('paused');
    const edited = toAutomation(row({ document: JSON.stringify({ scope: { numbers: 'all' }, trigger: { type: 'call.completed' }, steps: [{ type: 'send_sms', template: 'Bye' }] }) }));
    expect(edited.steps[0]).toMatchObject({ template: 'Bye' });
    // The fingerprint of a frozen step list is remembered, and equals a fresh computation.
    expect(fingerprintSteps(edited.steps)).toBe(fingerprintSteps(JSON.parse(JSON.stringify(edited.steps))));
    expect(fingerprintSteps(edited.steps)).not.toBe(fingerprintSteps(a.steps));
  });
});
