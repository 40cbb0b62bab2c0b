import { describe, expect, it } from 'vitest';
import {
  UNKNOWN_CONSENT,
  applyConsentChange,
  canSend,
  type ConsentChange,
  type ConsentRecord,
  type ConsentRefusalCode,
  type ConsentState,
  type SendContext,
} from './consent.js';

const T = 1_750_000_000_000;
const optedOutBy = (by: 'contact' | 'agent' | 'system', via: ConsentChange['via'] = 'keyword'): ConsentRecord => ({
  state: 'opted_out',
  optOut: { by, via, at: T - 1 },
  updatedAt: T - 1,
});
const change = (type: ConsentChange['type'], by: ConsentChange['by'], via: ConsentChange['via']): ConsentChange => ({ type, by, via, at: T });

describe('applyConsentChange: allowed transitions', () => {
  it.each<[string, ConsentRecord, ConsentChange, ConsentState, ConsentChange['by'] | undefined]>([
    ['unknown + contact STOP', UNKNOWN_CONSENT, change('opt_out', 'contact', 'keyword'), 'opted_out', 'contact'],
    ['opted_in + agent opt-out', { state: 'opted_in' }, change('opt_out', 'agent', 'manual'), 'opted_out', 'agent'],
    ['implied + carrier-reported STOP', { state: 'implied' }, change('opt_out', 'contact', 'carrier'), 'opted_out', 'contact'],
    ['unknown + inbound call → implied', UNKNOWN_CONSENT, change('implied', 'contact', 'call'), 'implied', undefined],
    ['unknown + web form → opted_in', UNKNOWN_CONSENT, change('opt_in', 'contact', 'form'), 'opted_in', undefined],
    ['implied + agent records express consent', { state: 'implied' }, change('opt_in', 'agent', 'manual'), 'opted_in', undefined],
    ['contact STOP undone by contact START', optedOutBy('contact'), change('opt_in', 'contact', 'keyword'), 'opted_in', undefined],
    ['contact STOP undone by contact web form', optedOutBy('contact'), change('opt_in', 'contact', 'form'), 'opted_in', undefined],
    ['agent opt-out undone by agent', optedOutBy('agent', 'manual'), change('opt_in', 'agent', 'manual'), 'opted_in', undefined],
    ['agent opt-out undone by contact START', optedOutBy('agent', 'manual'), change('opt_in', 'contact', 'keyword'), 'opted_in', undefined],
    ['system suppression undone by agent', optedOutBy('system', 'import'), change('opt_in', 'agent', 'manual'), 'opted_in', undefined],
    ['agent opt-out upgraded by contact STOP', optedOutBy('agent', 'manual'), change('opt_out', 'contact', 'keyword'), 'opted_out', 'contact'],
  ])('%s', (_label, current, ch, state, by) => {
    const result = applyConsentChange(current, ch);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.record.state).toBe(state);
    expect(result.record.optOut?.by).toBe(by);
    expect(result.record.updatedAt).toBe(T);
    expect(result.changed).toBe(true);
  });

  it.each<[string, ConsentRecord, ConsentChange]>([
    ['agent opt-out does not take over a contact STOP', optedOutBy('contact'), change('opt_out', 'agent', 'manual')],
    ['repeated STOP', optedOutBy('contact'), change('opt_out', 'contact', 'keyword')],
    ['implied does not downgrade express consent', { state: 'opted_in' }, change('implied', 'contact', 'message')],
  ])('no-op: %s', (_label, current, ch) => {
    expect(applyConsentChange(current, ch)).toEqual({ ok: true, record: current, changed: false });
  });
});

describe('applyConsentChange: refusals', () => {
  it.each<[string, ConsentRecord, ConsentChange, ConsentRefusalCode]>([
    ['agent cannot undo a keyword STOP', optedOutBy('contact', 'keyword'), change('opt_in', 'agent', 'manual'), 'opted_out_by_contact'],
    ['import cannot undo a keyword STOP', optedOutBy('contact', 'keyword'), change('opt_in', 'system', 'import'), 'opted_out_by_contact'],
    ['agent cannot undo a free-text opt-out', optedOutBy('contact', 'message'), change('opt_in', 'agent', 'manual'), 'opted_out_by_contact'],
    ['agent cannot undo a carrier STOP', optedOutBy('contact', 'carrier'), change('opt_in', 'agent', 'manual'), 'opted_out_by_contact'],
    ['system cannot undo an agent opt-out', optedOutBy('agent', 'manual'), change('opt_in', 'system', 'import'), 'opted_out_by_agent'],
    ['inbound message does not undo STOP', optedOutBy('contact'), change('implied', 'contact', 'message'), 'implied_cannot_override_opt_out'],
    ['inbound call does not undo agent opt-out', optedOutBy('agent', 'manual'), change('implied', 'contact', 'call'), 'implied_cannot_override_opt_out'],
    ['missing provenance is treated as the contact’s', { state: 'opted_out' }, change('opt_in', 'agent', 'manual'), 'opted_out_by_contact'],
  ])('%s', (_label, current, ch, code) => {
    const result = applyConsentChange(current, ch);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.refusal.code).toBe(code);
    expect(result.refusal.reason).toMatch(/\S/);
  });
});

describe('canSend', () => {
  const manual: SendContext = { automated: false };
  const automated: SendContext = { automated: true };
  it.each<[ConsentState | ConsentRecord, SendContext, boolean, string]>([
    ['opted_in', automated, true, 'express_consent'],
    ['opted_in', { automated: true, marketing: true }, true, 'express_consent'],
    ['opted_in', manual, true, 'express_consent'],
    ['implied', automated, true, 'implied_consent'],
    ['implied', manual, true, 'implied_consent'],
    ['implied', { automated: true, marketing: true }, false, 'no_consent'],
    ['unknown', manual, true, 'manual_send'],
    ['unknown', automated, false, 'no_consent'],
    ['unknown', { automated: false, marketing: true }, false, 'no_consent'],
    ['opted_out', manual, false, 'opted_out'],
    ['opted_out', automated, false, 'opted_out'],
    ['opted_out', { automated: true, optOutConfirmation: true }, true, 'opt_out_confirmation'],
    [optedOutBy('agent'), manual, false, 'opted_out'],
    [{ state: 'opted_in' }, automated, true, 'express_consent'],
  ])('%j %j → %s %s', (consent, context, allowed, reason) => {
    const d = canSend(consent, context);
    expect(d.allowed).toBe(allowed);
    expect(d.reason).toBe(reason);
  });
});
