/**
 * Call classification: turns a carrier's raw call result into the outcome that
 * Textback's automations reason about (answered, missed, voicemail, too short,
 * answered elsewhere). See `README.md` in this folder for the definitions with
 * examples.
 *
 * Pure: no clock, no I/O. The carrier adapter maps its own statuses (Twilio
 * `CallStatus` / `DialCallStatus`, Telnyx `hangup_cause`, Bandwidth disconnect
 * causes) onto {@link CallStatus} before calling {@link classifyCall}.
 */

/** Who placed the call, seen from the business: `inbound` = a contact called us. */
export type CallDirection = 'inbound' | 'outbound';

/** Final status of one call leg, normalised across carriers. */
export type CallStatus = 'completed' | 'no-answer' | 'busy' | 'failed' | 'canceled' | 'voicemail';

/** Answering-machine detection result (`machine` covers every `machine_*` and `fax`). */
export type AnsweredBy = 'human' | 'machine' | 'unknown';

/** What a finished call meant for the contact relationship. */
export type CallOutcome = 'answered' | 'missed' | 'voicemail' | 'too_short' | 'answered_elsewhere';

/** Every {@link CallOutcome}, in a stable order (for validation and UIs). */
export const CALL_OUTCOMES: readonly CallOutcome[] = ['answered', 'missed', 'voicemail', 'too_short', 'answered_elsewhere'];

/** The facts about a finished call leg that classification needs. */
export interface CallRecord {
  direction: CallDirection;
  status: CallStatus;
  /**
   * Seconds the leg lasted as the carrier or PBX reports them. For an answered
   * call this is the conversation. For an unanswered one most systems report the
   * talk time, 0 (Twilio `CallDuration`, Asterisk `billsec`), so the ring time
   * comes from `startedAt`/`endedAt` when both are known; see {@link callDurationSeconds}.
   */
  durationSeconds?: number;
  /** Answering-machine detection, when it ran. */
  answeredBy?: AnsweredBy;
  /** True when another leg of the same call (simultaneous ring, forwarding) was answered. */
  otherLegAnswered?: boolean;
  /** Epoch ms when the call started ringing. */
  startedAt?: number;
  /** Epoch ms when the call ended. */
  endedAt?: number;
}

export interface ClassifyCallOptions {
  /**
   * An inbound call the caller abandoned in fewer than this many seconds is
   * `too_short` (a pocket dial or an instant change of mind), not `missed`.
   * Default {@link DEFAULT_TOO_SHORT_SECONDS}.
   */
  tooShortSeconds?: number;
}

/** Default threshold for {@link ClassifyCallOptions.tooShortSeconds}. */
export const DEFAULT_TOO_SHORT_SECONDS = 7;

export interface CallClassification {
  outcome: CallOutcome;
  /** Human-readable explanation, shown in run traces, e.g. `no-answer: nobody picked up`. */
  reason: string;
}

/**
 * Classifies a finished call leg. Rules, first match wins:
 *
 * 1. `completed` with a conversation → `answered` (never missed). A conversation
 *    is a human or undetected (`unknown`/absent) answer with a duration > 0,
 *    or of unknown duration.
 * 2. another leg of the same call answered → `answered_elsewhere` (the caller
 *    did reach someone, even if this leg rang out or hit a mobile's voicemail).
 * 3. status `voicemail`, or `completed` answered by a machine → `voicemail`.
 * 4. `completed` with 0 s connected → `missed` (the line connected but nobody spoke).
 * 5. `canceled`/`no-answer` shorter than `tooShortSeconds` → `too_short`
 *    (inbound; for outbound only `canceled`, i.e. our own agent hung up at once).
 * 6. `no-answer`, `busy`, `failed`, `canceled` → `missed`.
 */
export function classifyCall(call: CallRecord, options: ClassifyCallOptions = {}): CallClassification {
  const tooShortSeconds = options.tooShortSeconds ?? DEFAULT_TOO_SHORT_SECONDS;
  const duration = callDurationSeconds(call);
  const seconds = duration === undefined ? '' : ` after ${formatSeconds(duration)}`;

  if (call.status === 'completed' && call.answeredBy !== 'machine' && (duration === undefined || duration > 0)) {
    const who = call.answeredBy === 'human' ? 'a person' : 'someone (no machine detected)';
    const length = duration === undefined ? 'duration unknown' : `${formatSeconds(duration)} conversation`;
    return { outcome: 'answered', reason: `completed: answered by ${who}, ${length}` };
  }
  if (call.otherLegAnswered) {
    return { outcome: 'answered_elsewhere', reason: `${call.status}: another leg of the same call was answered` };
  }
  if (call.status === 'voicemail') {
    return { outcome: 'voicemail', reason: 'voicemail: the call went to voicemail' };
  }
  if (call.status === 'completed' && call.answeredBy === 'machine') {
    return { outcome: 'voicemail', reason: 'completed: answered by a machine (voicemail)' };
  }
  if (call.status === 'completed') {
    return { outcome: 'missed', reason: 'completed: connected for 0 s, nobody spoke' };
  }

  const abandonedQuickly =
    duration !== undefined &&
    duration < tooShortSeconds &&
    (call.status === 'canceled' || (call.direction === 'inbound' && call.status === 'no-answer'));
  if (abandonedQuickly) {
    const who = call.direction === 'inbound' ? 'the caller' : 'our side';
    return {
      outcome: 'too_short',
      reason: `${call.status}: ${who} hung up after ${formatSeconds(duration)} (under ${tooShortSeconds} s), too quick to count as missed`,
    };
  }

  switch (call.status) {
    case 'no-answer':
      return { outcome: 'missed', reason: `no-answer: nobody picked up${duration === undefined ? '' : ` (rang ${formatSeconds(duration)})`}` };
    case 'busy':
      return { outcome: 'missed', reason: 'busy: the line was busy' };
    case 'failed':
      return { outcome: 'missed', reason: 'failed: the call could not be connected' };
    case 'canceled':
      return call.direction === 'inbound'
        ? { outcome: 'missed', reason: `canceled: the caller hung up${seconds} before anyone answered` }
        : { outcome: 'missed', reason: `canceled: nobody picked up${seconds} before our side hung up` };
  }
}

/**
 * Seconds the leg lasted, as classification counts them:
 *
 * - an unanswered call (`no-answer`, `busy`, `failed`, `canceled`, `voicemail`): the ring time,
 *   `endedAt - startedAt` when both timestamps are known (and in order), else `durationSeconds`.
 *   Twilio, Asterisk (`billsec`) and most PBXs report 0, the talk time, for a call nobody
 *   answered; the timestamps say how long it rang.
 * - a `completed` call: the talk time, `durationSeconds`, else `endedAt - startedAt`.
 *
 * Undefined when neither is known.
 */
export function callDurationSeconds(call: CallRecord): number | undefined {
  const reported = call.durationSeconds !== undefined && Number.isFinite(call.durationSeconds) ? Math.max(0, call.durationSeconds) : undefined;
  const spanned =
    call.startedAt !== undefined && call.endedAt !== undefined && Number.isFinite(call.startedAt) && Number.isFinite(call.endedAt) && call.endedAt >= call.startedAt
      ? (call.endedAt - call.startedAt) / 1000
      : undefined;
  if (call.status === 'completed') return reported ?? spanned;
  return spanned ?? reported;
}

function formatSeconds(seconds: number): string {
  return `${Math.round(seconds * 10) / 10} s`;
}
