/**
 * SMS queues: keyword-initiated sessions that agents accept, hold and end.
 *
 * - Only the exact initiation keyword (case-insensitive, surrounding spaces ignored) starts a
 *   session; the termination keyword ends one the same way.
 * - Keywords that carriers and the compliance rules own (STOP, HELP, START, ...) are refused.
 * - Assignment: round robin (the agent offered least recently first), longest idle (no open
 *   session for the longest time first) or ring all (every available agent at once).
 */
import { keywordCollision, normalizeKeywordText } from '../compliance/keywords.js';

export const QUEUE_STRATEGIES = ['round_robin', 'longest_idle', 'ring_all'] as const;
export type QueueStrategy = (typeof QUEUE_STRATEGIES)[number];

/** True when `body` is exactly `keyword`, ignoring case and surrounding whitespace. */
export function matchesQueueKeyword(body: string, keyword: string): boolean {
  const a = body.trim().toUpperCase();
  return a !== '' && a === keyword.trim().toUpperCase();
}

export interface QueueKeywordError {
  field: 'initiation_keyword' | 'termination_keyword';
  message: string;
}

/** Problems with a queue's keywords (empty when they are fine). */
export function validateQueueKeywords(initiation: string, termination: string): QueueKeywordError[] {
  const errors: QueueKeywordError[] = [];
  const check = (field: QueueKeywordError['field'], word: string) => {
    if (word.trim() === '') {
      errors.push({ field, message: 'must not be empty' });
      return;
    }
    if (/\s/.test(word.trim())) {
      errors.push({ field, message: 'must be one word' });
      return;
    }
    const reserved = keywordCollision(word);
    if (reserved) errors.push({ field, message: `collides with the reserved keyword ${reserved} (opt-out, opt-in and help words belong to compliance)` });
  };
  check('initiation_keyword', initiation);
  check('termination_keyword', termination);
  if (errors.length === 0 && normalizeKeywordText(initiation) === normalizeKeywordText(termination)) {
    errors.push({ field: 'termination_keyword', message: 'must differ from the initiation keyword' });
  }
  return errors;
}

export interface QueueAgentCandidate {
  userId: string;
  /** Sessions the agent holds in this queue now. */
  activeSessions: number;
  maxSessions: number;
  /** When the agent was last offered a session of this queue (round robin). */
  lastOfferedAt: number | null;
  /** When the agent last became free: their last session ended (longest idle). */
  lastEndedAt: number | null;
  /** When the agent last accepted a session (longest idle). */
  lastAcceptedAt: number | null;
}

/** True when an agent can take one more session. */
export function hasCapacity(agent: Pick<QueueAgentCandidate, 'activeSessions' | 'maxSessions'>): boolean {
  return agent.maxSessions >= 1 && agent.activeSessions < agent.maxSessions;
}

/**
 * The agents to invite next, from available ones (online, SMS enabled, under capacity) not yet
 * invited for this session: all of them for ring all, else the one the strategy puts first.
 */
export function pickAgentsToInvite(strategy: QueueStrategy, available: readonly QueueAgentCandidate[], alreadyInvited: ReadonlySet<string>): string[] {
  const fresh = available.filter((a) => hasCapacity(a) && !alreadyInvited.has(a.userId));
  if (fresh.length === 0) return [];
  if (strategy === 'ring_all') return fresh.map((a) => a.userId);
  const byId = (a: QueueAgentCandidate, b: QueueAgentCandidate) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0);
  const sorted = [...fresh].sort((a, b) => {
    if (strategy === 'round_robin') return (a.lastOfferedAt ?? -1) - (b.lastOfferedAt ?? -1) || byId(a, b);
    // Longest idle: agents without an open session first, free for longest first; then the least
    // loaded, who accepted longest ago.
    const freeSince = (x: QueueAgentCandidate) => (x.activeSessions > 0 ? (x.lastAcceptedAt ?? -1) : (x.lastEndedAt ?? -1));
    return (
      Math.sign(a.activeSessions) - Math.sign(b.activeSessions) ||
      a.activeSessions - b.activeSessions ||
      freeSince(a) - freeSince(b) ||
      (a.lastOfferedAt ?? -1) - (b.lastOfferedAt ?? -1) ||
      byId(a, b)
    );
  });
  return [sorted[0]!.userId];
}

/**
 * Replies an agent texts to take the invite they were sent: `1` or `ACCEPT` (any case, surrounding
 * spaces ignored).
 */
export const ACCEPT_REPLIES = ['1', 'ACCEPT'] as const;

export function isAcceptReply(body: string): boolean {
  return (ACCEPT_REPLIES as readonly string[]).includes(body.trim().toUpperCase());
}

/**
 * How an automated sender (an auto-responder, another bot) is recognised, so that an automated
 * answer never feeds a loop: at least `texts` texts from the sender to the number within `windowMs`
 * (this one included), while an automated text of ours went to them within that window. People do
 * not type five texts a minute into a queue number; two auto-responders answering each other do.
 */
export const AUTOMATED_SENDER = { texts: 5, windowMs: 60_000 } as const;

export function looksLikeAutomatedSender(input: { textsInWindow: number; lastAutomatedReplyAt: number | null; now: number }): boolean {
  return (
    input.textsInWindow >= AUTOMATED_SENDER.texts && input.lastAutomatedReplyAt !== null && input.now - input.lastAutomatedReplyAt < AUTOMATED_SENDER.windowMs
  );
}

export interface SessionTimes {
  createdAt: number;
  acceptedAt: number | null;
  endedAt: number | null;
  /** How it ended: agent, originator, opted_out, terminated (before accept), timed_out, no_agents. */
  endReason: string | null;
}

export interface QueueStatistics {
  /** SMS_VOL: sessions handled (accepted by an agent). */
  sms_vol: number;
  /** SMS_AHT: average handle time, accept to end, in seconds, over handled sessions that ended. */
  sms_aht_seconds: number | null;
  /** Average wait from the keyword to the accept, in seconds. */
  avg_wait_seconds: number | null;
  /** Sessions that ended before an agent accepted: terminated by the originator or timed out. */
  abandoned: number;
  /** Keywords answered with the no-agents message (no session was offered). */
  no_agents: number;
}

/** Statistics over sessions (those the caller selected for the date range). */
export function queueStatistics(sessions: readonly SessionTimes[]): QueueStatistics {
  const handled = sessions.filter((s) => s.acceptedAt !== null);
  const ended = handled.filter((s) => s.endedAt !== null);
  const avg = (values: number[]) => (values.length === 0 ? null : Math.round((values.reduce((a, b) => a + b, 0) / values.length / 1000) * 10) / 10);
  return {
    sms_vol: handled.length,
    sms_aht_seconds: avg(ended.map((s) => (s.endedAt as number) - (s.acceptedAt as number))),
    avg_wait_seconds: avg(handled.map((s) => (s.acceptedAt as number) - s.createdAt)),
    abandoned: sessions.filter((s) => s.acceptedAt === null && (s.endReason === 'terminated' || s.endReason === 'timed_out')).length,
    no_agents: sessions.filter((s) => s.endReason === 'no_agents').length,
  };
}
