import { describe, expect, it } from 'vitest';
import {
  effectiveAgentStatus,
  formatForwardedText,
  isAcceptReply,
  looksLikeAutomatedSender,
  matchesQueueKeyword,
  pickAgentsToInvite,
  queueStatistics,
  resolveRelayTarget,
  splitForwardedText,
  validateAgentSchedule,
  validateQueueKeywords,
  type QueueAgentCandidate,
} from '../index.js';

describe('agent status', () => {
  const schedule = { timeZone: 'America/Chicago', weekly: { thu: [{ open: '09:00', close: '17:00' }] } };
  // Thursday 2026-01-15: 17:00 UTC is 11:00 in Chicago; 01:00 UTC on Friday is 19:00 on Thursday.
  const inHours = Date.UTC(2026, 0, 15, 17, 0);
  const afterHours = Date.UTC(2026, 0, 16, 1, 0);

  it('is the status set by hand without a schedule', () => {
    expect(effectiveAgentStatus({ status: 'busy', schedule: null }, inHours)).toBe('busy');
    expect(effectiveAgentStatus({ status: 'offline', schedule: null }, inHours)).toBe('offline');
  });

  it('follows the schedule in the agent\'s own zone when one is set; busy still counts inside it', () => {
    expect(effectiveAgentStatus({ status: 'offline', schedule }, inHours)).toBe('online');
    expect(effectiveAgentStatus({ status: 'busy', schedule }, inHours)).toBe('busy');
    expect(effectiveAgentStatus({ status: 'online', schedule }, afterHours)).toBe('offline');
  });

  it('validates schedules with paths', () => {
    expect(validateAgentSchedule(schedule)).toEqual([]);
    expect(validateAgentSchedule({ timeZone: 'Mars/Olympus', weekly: { mon: [{ open: '18:00', close: '09:00' }] } }).map((e) => e.path)).toEqual(['timeZone', 'weekly.mon[0]']);
  });
});

describe('forwarding and relays', () => {
  it('forwards as "<E.164>: <text>", split only past the length limit', () => {
    expect(formatForwardedText('+15554265646', 'Please call me ASAP.')).toBe('+15554265646: Please call me ASAP.');
    expect(splitForwardedText('+15554265646', 'hi', 1000)).toEqual(['+15554265646: hi']);
    const parts = splitForwardedText('+15554265646', 'x'.repeat(30), 20);
    expect(parts.join('')).toBe(`+15554265646: ${'x'.repeat(30)}`);
    expect(parts.every((p) => p.length <= 20)).toBe(true);
  });

  const recent = ['+15554264646', '+15551234646', '+15551230000'];

  it('answers the most recently forwarded sender without a prefix', () => {
    expect(resolveRelayTarget('On my way', recent)).toEqual({ kind: 'target', e164: '+15554264646', text: 'On my way', explicit: false });
    expect(resolveRelayTarget('On my way', [])).toEqual({ kind: 'none' });
    expect(resolveRelayTarget('@home later', recent)).toMatchObject({ kind: 'target', e164: '+15554264646', text: '@home later' });
  });

  it('takes an explicit number or unique last digits, and refuses ambiguous or unknown ones', () => {
    expect(resolveRelayTarget('@5551230000 Sure thing', recent)).toEqual({ kind: 'target', e164: '+15551230000', text: 'Sure thing', explicit: true });
    expect(resolveRelayTarget('@+15551234646: ok', recent)).toMatchObject({ kind: 'target', e164: '+15551234646', text: 'ok' });
    expect(resolveRelayTarget('@0000 hi', recent)).toMatchObject({ kind: 'target', e164: '+15551230000' });
    expect(resolveRelayTarget('@4646 hi', recent)).toEqual({ kind: 'ambiguous', digits: '4646', matches: ['+15554264646', '+15551234646'] });
    expect(resolveRelayTarget('@9999 hi', recent)).toEqual({ kind: 'unknown', digits: '9999' });
    expect(resolveRelayTarget('@0000   ', recent)).toEqual({ kind: 'empty', e164: '+15551230000' });
  });
});

describe('queues', () => {
  it('matches keywords exactly, ignoring case and surrounding spaces', () => {
    expect(matchesQueueKeyword('  support ', 'SUPPORT')).toBe(true);
    expect(matchesQueueKeyword('support please', 'SUPPORT')).toBe(false);
    expect(matchesQueueKeyword('', 'SUPPORT')).toBe(false);
  });

  it('refuses keywords that collide with compliance keywords', () => {
    expect(validateQueueKeywords('SUPPORT', 'BYE')).toEqual([]);
    expect(validateQueueKeywords('help', 'stop')).toEqual([
      { field: 'initiation_keyword', message: expect.stringContaining('HELP') },
      { field: 'termination_keyword', message: expect.stringContaining('STOP') },
    ]);
    expect(validateQueueKeywords('Support', 'SUPPORT')[0]?.field).toBe('termination_keyword');
  });

  const agent = (userId: string, extra: Partial<QueueAgentCandidate> = {}): QueueAgentCandidate => ({
    userId,
    activeSessions: 0,
    maxSessions: 2,
    lastOfferedAt: null,
    lastEndedAt: null,
    lastAcceptedAt: null,
    ...extra,
  });

  it('picks by strategy among agents with capacity not yet invited', () => {
    const agents = [agent('a', { lastOfferedAt: 30, lastEndedAt: 5 }), agent('b', { lastOfferedAt: 10, lastEndedAt: 20 }), agent('c', { activeSessions: 2 })];
    expect(pickAgentsToInvite('ring_all', agents, new Set())).toEqual(['a', 'b']);
    expect(pickAgentsToInvite('round_robin', agents, new Set())).toEqual(['b']);
    expect(pickAgentsToInvite('round_robin', agents, new Set(['b']))).toEqual(['a']);
    expect(pickAgentsToInvite('longest_idle', agents, new Set())).toEqual(['a']);
    expect(pickAgentsToInvite('longest_idle', [agent('x', { activeSessions: 1, lastAcceptedAt: 1 }), agent('y', { lastEndedAt: 50 })], new Set())).toEqual(['y']);
    expect(pickAgentsToInvite('round_robin', agents, new Set(['a', 'b']))).toEqual([]);
    expect(pickAgentsToInvite('ring_all', [agent('z', { maxSessions: 0 })], new Set())).toEqual([]);
  });

  it('computes SMS_VOL, SMS_AHT, wait and abandoned', () => {
    const s = queueStatistics([
      { createdAt: 0, acceptedAt: 10_000, endedAt: 70_000, endReason: 'agent' },
      { createdAt: 0, acceptedAt: 30_000, endedAt: 150_000, endReason: 'originator' },
      { createdAt: 0, acceptedAt: null, endedAt: 5_000, endReason: 'terminated' },
      { createdAt: 0, acceptedAt: null, endedAt: 60_000, endReason: 'timed_out' },
      { createdAt: 0, acceptedAt: null, endedAt: 0, endReason: 'no_agents' },
    ]);
    expect(s).toEqual({ sms_vol: 2, sms_aht_seconds: 90, avg_wait_seconds: 20, abandoned: 2, no_agents: 1 });
  });
});

describe('queue replies and automated senders', () => {
  it('takes 1 or ACCEPT, alone, as an accept', () => {
    for (const body of ['1', ' accept ', 'Accept', 'ACCEPT\n']) expect(isAcceptReply(body), body).toBe(true);
    for (const body of ['11', 'accept it', 'yes', '', '1.']) expect(isAcceptReply(body), body).toBe(false);
  });

  it('an automated sender texts at least 5 times a minute while we answered them within that minute', () => {
    const now = 1_000_000;
    expect(looksLikeAutomatedSender({ textsInWindow: 5, lastAutomatedReplyAt: now - 2_000, now })).toBe(true);
    // A person: fewer texts, or no automated answer of ours within the minute.
    expect(looksLikeAutomatedSender({ textsInWindow: 4, lastAutomatedReplyAt: now - 2_000, now })).toBe(false);
    expect(looksLikeAutomatedSender({ textsInWindow: 9, lastAutomatedReplyAt: now - 60_000, now })).toBe(false);
    expect(looksLikeAutomatedSender({ textsInWindow: 9, lastAutomatedReplyAt: null, now })).toBe(false);
  });
});
