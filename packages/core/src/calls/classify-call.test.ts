import { describe, expect, it } from 'vitest';
import { callDurationSeconds, classifyCall } from './classify-call.js';
import type { CallOutcome, CallRecord } from './classify-call.js';

describe('classifyCall', () => {
  const cases: Array<[string, CallRecord, CallOutcome]> = [
    // answered
    ['completed, human, 42 s', { direction: 'inbound', status: 'completed', durationSeconds: 42, answeredBy: 'human' }, 'answered'],
    ['completed, AMD unknown, 3 s', { direction: 'inbound', status: 'completed', durationSeconds: 3, answeredBy: 'unknown' }, 'answered'],
    ['completed, no AMD, 120 s', { direction: 'outbound', status: 'completed', durationSeconds: 120 }, 'answered'],
    ['completed, duration unknown', { direction: 'inbound', status: 'completed' }, 'answered'],
    ['completed conversation wins over another leg', { direction: 'inbound', status: 'completed', durationSeconds: 30, otherLegAnswered: true }, 'answered'],
    ['completed, 1 s (short but a conversation)', { direction: 'inbound', status: 'completed', durationSeconds: 1, answeredBy: 'human' }, 'answered'],
    // missed
    ['inbound no-answer after 25 s', { direction: 'inbound', status: 'no-answer', durationSeconds: 25 }, 'missed'],
    ['inbound no-answer, duration unknown', { direction: 'inbound', status: 'no-answer' }, 'missed'],
    ['inbound busy', { direction: 'inbound', status: 'busy', durationSeconds: 0 }, 'missed'],
    ['inbound failed', { direction: 'inbound', status: 'failed' }, 'missed'],
    ['inbound canceled after 12 s (abandoned)', { direction: 'inbound', status: 'canceled', durationSeconds: 12 }, 'missed'],
    ['inbound canceled exactly at the threshold', { direction: 'inbound', status: 'canceled', durationSeconds: 7 }, 'missed'],
    ['outbound no-answer', { direction: 'outbound', status: 'no-answer', durationSeconds: 3 }, 'missed'],
    ['outbound busy', { direction: 'outbound', status: 'busy' }, 'missed'],
    ['outbound canceled after ringing 30 s', { direction: 'outbound', status: 'canceled', durationSeconds: 30 }, 'missed'],
    ['completed with 0 s connected', { direction: 'inbound', status: 'completed', durationSeconds: 0 }, 'missed'],
    // voicemail
    ['status voicemail', { direction: 'inbound', status: 'voicemail', durationSeconds: 40 }, 'voicemail'],
    ['completed, answered by machine', { direction: 'outbound', status: 'completed', durationSeconds: 25, answeredBy: 'machine' }, 'voicemail'],
    ['completed, machine, 0 s', { direction: 'outbound', status: 'completed', durationSeconds: 0, answeredBy: 'machine' }, 'voicemail'],
    // too_short
    ['inbound canceled after 2 s', { direction: 'inbound', status: 'canceled', durationSeconds: 2 }, 'too_short'],
    ['inbound no-answer after 6.9 s', { direction: 'inbound', status: 'no-answer', durationSeconds: 6.9 }, 'too_short'],
    ['inbound canceled, 0 s', { direction: 'inbound', status: 'canceled', durationSeconds: 0 }, 'too_short'],
    ['too_short from timestamps', { direction: 'inbound', status: 'canceled', startedAt: 1_000_000, endedAt: 1_003_000 }, 'too_short'],
    ['outbound canceled after 2 s (our own misdial)', { direction: 'outbound', status: 'canceled', durationSeconds: 2 }, 'too_short'],
    // answered_elsewhere
    ['no-answer, other leg answered', { direction: 'inbound', status: 'no-answer', durationSeconds: 20, otherLegAnswered: true }, 'answered_elsewhere'],
    ['canceled, other leg answered', { direction: 'inbound', status: 'canceled', durationSeconds: 4, otherLegAnswered: true }, 'answered_elsewhere'],
    ['voicemail on this leg, other leg answered', { direction: 'inbound', status: 'voicemail', otherLegAnswered: true }, 'answered_elsewhere'],
    ['completed 0 s, other leg answered', { direction: 'inbound', status: 'completed', durationSeconds: 0, otherLegAnswered: true }, 'answered_elsewhere'],
  ];

  it.each(cases)('%s → %s', (_name, call, expected) => {
    const result = classifyCall(call);
    expect(result.outcome).toBe(expected);
    expect(result.reason.length).toBeGreaterThan(0);
  });

  describe('an unanswered call reported with 0 s (talk time) and its timestamps', () => {
    const rang30s = { startedAt: 1_000_000, endedAt: 1_030_000 };
    it('takes the ring time from the timestamps: no-answer, 0 s, rang 30 s → missed', () => {
      const result = classifyCall({ direction: 'inbound', status: 'no-answer', durationSeconds: 0, ...rang30s });
      expect(result).toEqual({ outcome: 'missed', reason: 'no-answer: nobody picked up (rang 30 s)' });
    });
    it('canceled, 0 s, rang 30 s → missed (the caller gave up waiting)', () => {
      expect(classifyCall({ direction: 'inbound', status: 'canceled', durationSeconds: 0, ...rang30s }).outcome).toBe('missed');
    });
    it('no-answer, 0 s, rang 3 s by the timestamps → too_short', () => {
      const result = classifyCall({ direction: 'inbound', status: 'no-answer', durationSeconds: 0, startedAt: 1_000_000, endedAt: 1_003_000 });
      expect(result.outcome).toBe('too_short');
      expect(result.reason).toContain('after 3 s');
    });
    it('without timestamps the reported duration is the ring time (no-answer, 0 s → too_short)', () => {
      expect(classifyCall({ direction: 'inbound', status: 'no-answer', durationSeconds: 0 }).outcome).toBe('too_short');
    });
    it('timestamps out of order are ignored in favour of the reported duration', () => {
      expect(callDurationSeconds({ direction: 'inbound', status: 'no-answer', durationSeconds: 12, startedAt: 2_000, endedAt: 1_000 })).toBe(12);
    });
    it('a completed call keeps its talk time, not the span that includes the ringing', () => {
      expect(callDurationSeconds({ direction: 'inbound', status: 'completed', durationSeconds: 5, ...rang30s })).toBe(5);
      expect(callDurationSeconds({ direction: 'inbound', status: 'completed', ...rang30s })).toBe(30);
      expect(classifyCall({ direction: 'inbound', status: 'completed', durationSeconds: 0, ...rang30s }).outcome).toBe('missed');
    });
  });

  it('honours a custom tooShortSeconds', () => {
    const call: CallRecord = { direction: 'inbound', status: 'canceled', durationSeconds: 9 };
    expect(classifyCall(call).outcome).toBe('missed');
    expect(classifyCall(call, { tooShortSeconds: 10 }).outcome).toBe('too_short');
    expect(classifyCall({ ...call, durationSeconds: 1 }, { tooShortSeconds: 0 }).outcome).toBe('missed');
  });

  it('never classifies a completed human conversation as missed, whatever the threshold', () => {
    for (const durationSeconds of [1, 5, 6, 30, 3600]) {
      for (const answeredBy of ['human', 'unknown', undefined] as const) {
        const call: CallRecord = { direction: 'inbound', status: 'completed', durationSeconds, answeredBy };
        expect(classifyCall(call, { tooShortSeconds: 60 }).outcome).toBe('answered');
      }
    }
  });

  it('explains itself in the reason', () => {
    expect(classifyCall({ direction: 'inbound', status: 'no-answer' }).reason).toBe('no-answer: nobody picked up');
    expect(classifyCall({ direction: 'inbound', status: 'no-answer', durationSeconds: 25 }).reason).toBe(
      'no-answer: nobody picked up (rang 25 s)',
    );
    expect(classifyCall({ direction: 'inbound', status: 'canceled', durationSeconds: 3 }).reason).toMatch(/under 7 s/);
    expect(classifyCall({ direction: 'outbound', status: 'completed', durationSeconds: 20, answeredBy: 'machine' }).reason).toMatch(
      /machine/,
    );
  });
});

describe('callDurationSeconds', () => {
  it.each<[string, CallRecord, number | undefined]>([
    ['explicit duration wins', { direction: 'inbound', status: 'completed', durationSeconds: 5, startedAt: 0, endedAt: 9_000 }, 5],
    ['derived from timestamps', { direction: 'inbound', status: 'completed', startedAt: 1_000, endedAt: 4_500 }, 3.5],
    ['timestamps out of order say nothing', { direction: 'inbound', status: 'completed', startedAt: 5_000, endedAt: 1_000 }, undefined],
    ['a negative reported duration clamps to 0', { direction: 'inbound', status: 'completed', durationSeconds: -3 }, 0],
    ['unanswered: the timestamps win over a reported 0', { direction: 'inbound', status: 'no-answer', durationSeconds: 0, startedAt: 1_000, endedAt: 31_000 }, 30],
    ['unanswered without timestamps: the reported duration', { direction: 'inbound', status: 'busy', durationSeconds: 4 }, 4],
    ['unknown', { direction: 'inbound', status: 'completed', startedAt: 1_000 }, undefined],
  ])('%s', (_name, call, expected) => {
    expect(callDurationSeconds(call)).toBe(expected);
  });
});
