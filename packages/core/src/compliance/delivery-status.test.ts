import { describe, expect, it } from 'vitest';
import { BANDWIDTH_ERROR_CODES } from './bandwidth-error-codes.data.js';
import { BANDWIDTH_ERROR_RULES } from './carrier-error-codes.js';
import {
  DELIVERY_REASONS,
  DELIVERY_STATUSES,
  describeDeliveryFailure,
  isDeliveryReason,
  isDeliveryStatus,
  isTerminalStatus,
  mapCarrierError,
  mergePartStatus,
  type Carrier,
  type DeliveryStatus,
} from './delivery-status.js';

describe('vocabularies', () => {
  it('are the agreed lists', () => {
    expect(DELIVERY_STATUSES).toEqual(['scheduled', 'held', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'cancelled', 'blocked']);
    expect(DELIVERY_REASONS).toHaveLength(12);
    expect(isDeliveryStatus('delivered')).toBe(true);
    expect(isDeliveryStatus('canceled')).toBe(false);
    expect(isDeliveryReason('quiet_hours')).toBe(true);
    expect(isDeliveryReason(42)).toBe(false);
    expect(DELIVERY_STATUSES.filter(isTerminalStatus)).toEqual(['delivered', 'undelivered', 'failed', 'cancelled', 'blocked']);
  });
});

describe('mergePartStatus', () => {
  it.each<[DeliveryStatus, DeliveryStatus, DeliveryStatus]>([
    // forward progress
    ['scheduled', 'queued', 'queued'],
    ['held', 'queued', 'queued'],
    ['queued', 'sending', 'sending'],
    ['sending', 'sent', 'sent'],
    ['sent', 'delivered', 'delivered'],
    // never backwards (duplicated / out-of-order callbacks)
    ['delivered', 'sent', 'delivered'],
    ['delivered', 'queued', 'delivered'],
    ['sent', 'sending', 'sent'],
    ['queued', 'held', 'queued'],
    // worst outcome of the parts wins
    ['failed', 'delivered', 'failed'],
    ['undelivered', 'delivered', 'undelivered'],
    ['delivered', 'undelivered', 'undelivered'],
    ['delivered', 'failed', 'failed'],
    ['undelivered', 'failed', 'failed'],
    ['failed', 'undelivered', 'failed'],
    ['sent', 'failed', 'failed'],
    ['blocked', 'delivered', 'blocked'],
    ['cancelled', 'sent', 'cancelled'],
    ['delivered', 'delivered', 'delivered'],
  ])('%s + %s → %s', (current, incoming, expected) => {
    expect(mergePartStatus(current, incoming)).toBe(expected);
  });

  it('folding parts in any order gives the same result', () => {
    const parts: DeliveryStatus[] = ['delivered', 'failed', 'delivered', 'sent'];
    const forward = parts.reduce(mergePartStatus);
    const backward = [...parts].reverse().reduce(mergePartStatus);
    expect(forward).toBe('failed');
    expect(backward).toBe('failed');
  });
});

describe('mapCarrierError', () => {
  it.each<[Carrier, string | number, string, boolean, boolean, boolean]>([
    // carrier, code, reason, retryable, permanent, suppressesNumber
    ['twilio', 21211, 'invalid_number', false, true, true],
    ['twilio', '21408', 'unsupported_country', false, true, false],
    ['twilio', 21610, 'opted_out', false, true, true],
    ['twilio', 21612, 'landline_or_unreachable', false, true, false],
    ['twilio', 21614, 'landline_or_unreachable', false, true, true],
    ['twilio', 21635, 'landline_or_unreachable', false, true, true],
    ['twilio', 30001, 'rate_limited', true, false, false],
    ['twilio', 30002, 'blocked_by_carrier', false, true, false],
    ['twilio', 30003, 'landline_or_unreachable', true, false, false],
    ['twilio', 30004, 'blocked_by_carrier', false, true, true],
    ['twilio', 30005, 'invalid_number', false, true, true],
    ['twilio', 30006, 'landline_or_unreachable', false, true, true],
    ['twilio', ' 30007 ', 'spam_filtered', false, true, false],
    ['twilio', 30008, 'carrier_unknown', true, false, false],
    ['twilio', 30034, 'blocked_by_carrier', false, true, false],
    ['twilio', 99999, 'carrier_unknown', false, false, false],
    ['twilio', 'abc', 'carrier_unknown', false, false, false],
    ['telnyx', 40001, 'landline_or_unreachable', false, true, true],
    ['telnyx', '40002', 'spam_filtered', true, false, false],
    ['telnyx', 40003, 'spam_filtered', false, true, false],
    ['telnyx', 40006, 'landline_or_unreachable', true, false, false],
    ['telnyx', 40011, 'rate_limited', true, false, false],
    ['telnyx', '40300', 'opted_out', false, true, true],
    ['telnyx', 40999, 'carrier_unknown', false, false, false],
    ['bandwidth', 4432, 'unsupported_country', false, true, false],
    ['bandwidth', 4470, 'spam_filtered', false, true, false],
    ['bandwidth', 4482, 'blocked_by_carrier', false, true, true],
    ['bandwidth', 4700, 'landline_or_unreachable', false, true, true],
    ['bandwidth', 4702, 'landline_or_unreachable', true, false, false],
    ['bandwidth', 4720, 'invalid_number', false, true, true],
    ['bandwidth', '4775', 'opted_out', false, true, true],
    ['bandwidth', 4781, 'rate_limited', true, false, false],
    ['bandwidth', 4795, 'blocked_by_carrier', false, true, false],
    ['bandwidth', 5600, 'rate_limited', true, false, false],
    ['bandwidth', 5620, 'carrier_unknown', true, false, false],
    ['bandwidth', 9902, 'carrier_unknown', false, false, false],
    ['bandwidth', 9999, 'carrier_unknown', false, false, false],
    // unlisted Bandwidth codes follow the documented scheme
    ['bandwidth', 4999, 'carrier_unknown', false, true, false],
    ['bandwidth', 5555, 'carrier_unknown', true, false, false],
    ['bandwidth', 9000, 'carrier_unknown', false, false, false],
  ])('%s %j → %s retry=%s permanent=%s suppress=%s', (carrier, code, reason, retryable, permanent, suppressesNumber) => {
    expect(mapCarrierError(carrier, code)).toMatchObject({ reason, retryable, permanent, suppressesNumber });
  });

  it('maps every code of the Bandwidth CSV explicitly, with its CSV description', () => {
    const csvCodes = Object.keys(BANDWIDTH_ERROR_CODES).map(Number);
    expect(csvCodes).toHaveLength(76);
    expect(Object.keys(BANDWIDTH_ERROR_RULES).map(Number).sort()).toEqual(csvCodes.sort());
    expect(mapCarrierError('bandwidth', 4775).description).toBe('Carrier Rejected due to user opt out');
  });

  it('never marks an outcome both retryable and permanent, and suppression implies permanent', () => {
    for (const carrier of ['twilio', 'telnyx', 'bandwidth'] as const) {
      for (const code of [21211, 21610, 30001, 30003, 30008, 40002, 40300, ...Object.keys(BANDWIDTH_ERROR_CODES).map(Number)]) {
        const m = mapCarrierError(carrier, code);
        expect(m.retryable && m.permanent).toBe(false);
        if (m.suppressesNumber) expect(m.permanent).toBe(true);
        expect(DELIVERY_REASONS).toContain(m.reason);
      }
    }
  });
});

describe('describeDeliveryFailure', () => {
  it('says in plain words why a text did not arrive, with the number and the carrier code', () => {
    expect(describeDeliveryFailure({ reason: 'landline_or_unreachable', errorCode: '30006', to: '+14155550803' })).toBe(
      'the carrier says +1 415 555 0803 is a landline or unreachable (30006)',
    );
    expect(describeDeliveryFailure({ reason: 'spam_filtered', errorCode: null, to: '+14155550803' })).toBe('the carrier filtered it as spam');
  });

  it.each(DELIVERY_REASONS.map((reason) => [reason]))('has a sentence for %s', (reason) => {
    const sentence = describeDeliveryFailure({ reason, errorCode: '123', to: '+14155550803' });
    expect(sentence).toMatch(/^[a-z+].* \(123\)$/);
    expect(sentence).not.toContain('_');
  });

  it('a reason outside the vocabulary or none still reads as a sentence', () => {
    expect(describeDeliveryFailure({ reason: null, to: '+14155550803' })).toBe('the carrier could not deliver it to +1 415 555 0803, and gave no reason');
    expect(describeDeliveryFailure({ reason: 'mystery_code', errorCode: '9', to: 'not-a-number' })).toBe('the carrier could not deliver it to not-a-number (mystery code) (9)');
  });
});
