/**
 * Ready-made automations. {@link missedCallTextBackPreset} is Textback's
 * headline feature expressed as an ordinary automation document, so users can
 * open it, read it, and change any step.
 */
import type { Automation, AutomationState, SendSmsStep, SmsVariant, Step, VariantSelection } from './automation.js';
import type { Condition } from './condition.js';

/** The contact attribute holding when the last missed-call text went out (ISO 8601). */
export const LAST_MISSED_CALL_SMS_AT = 'last_missed_call_sms_at';

/**
 * Default texts. Plain GSM-7 characters only (straight apostrophes, no emoji),
 * so each stays one SMS segment: under 160 characters with a typical name and
 * business name. Opt-out wording is added by the compliance layer.
 */
export const MISSED_CALL_TEXTS = {
  inHours: "Hi {Name|there}, sorry we missed your call at {Business}! How can we help? Reply here and we'll get right back to you.",
  afterHours: "Hi {Name|there}, thanks for calling {Business}! We're closed now, but reply with how we can help and we'll text you when we open.",
  outbound: "Hi {Name|there}, it's {Business}. We just tried to call you. When's a good time to talk? Or just reply here.",
  followUp: "Hi {Name|there}, just checking in from {Business}. Still need a hand? Reply here anytime and we'll help.",
} as const;

export interface MissedCallPresetOptions {
  /** Used when the organization's `{Business}` variable is empty: `{Business|Acme Dental}`. */
  businessName: string;
  /** Our numbers (E.164) this applies to, or `all`. */
  numbers: readonly string[] | 'all';
  /** Default `Missed-call text-back`. */
  name?: string;
  /** Default `draft`: nothing is texted until someone activates it. */
  state?: AutomationState;
  /** Default 100. */
  priority?: number;
  /** Override any of the default texts (same variables). */
  texts?: Partial<Record<keyof typeof MISSED_CALL_TEXTS, string>>;
  /** Wait after an inbound missed call. Default `15s`. */
  inboundDelay?: string;
  /** Wait after an unanswered outbound call. Default `3m`. */
  outboundDelay?: string;
  /** Calls that reached voicemail: `skip` (default) or text them after a delay, e.g. `{ delay: '20m' }`. */
  voicemail?: 'skip' | { delay: string };
  /** At most one missed-call text per contact per this window. Default `24h`. */
  capWindow?: string;
  /** Follow-up when the contact has not replied: `{ after: '2h' }` (default), or `false` for none. */
  followUp?: false | { after: string };
  /** A/B variants instead of one text, per text (each at least two, with weights). */
  variants?: Partial<Record<MissedCallTextKey, readonly SmsVariant[]>>;
  /** How those variants are chosen (default `weights`). */
  variantSelection?: VariantSelection;
}

export type MissedCallTextKey = keyof typeof MISSED_CALL_TEXTS;
const NOTES: Record<MissedCallTextKey, string> = {
  inHours: 'in-hours text',
  afterHours: 'after-hours text',
  outbound: "after our unanswered call; needs the contact's consent (a lead form, POST /v1/contacts/:id/consent), else it is blocked (no_consent) and the run ends",
  followUp: 'one follow-up, no more',
};

/**
 * The default missed-call text-back automation:
 *
 * 0. Stop unless the call was missed (voicemail too, when enabled): answered,
 *    answered elsewhere, too short and (by default) voicemail get no text.
 * 1. Wait: 15 s after an inbound call, 3 min after an outbound one (an
 *    instant text after our own unanswered call feels pushy), 20 min after
 *    voicemail when enabled.
 * 2. Stop if this contact got a missed-call text in the last 24 h (contact
 *    attribute `last_missed_call_sms_at`), checked after the wait so a text
 *    sent meanwhile counts.
 * 3. Send: the outbound text, or the in-hours / after-hours text for inbound.
 *    Someone who called us gave implied consent; someone we called did not, so
 *    the outbound text needs their recorded consent (a lead form, an agent's
 *    opt-in) or the compliance gate blocks it (`no_consent`). A text that is not
 *    sent ends the run: the steps below never run for it.
 * 4. Set `last_missed_call_sms_at` to now.
 * 5–8. Follow-up: wait 2 h, then until business hours are open; stop if the
 *    contact replied since our text; else send one follow-up.
 */
export function missedCallTextBackPreset(options: MissedCallPresetOptions): Automation {
  const businessName = options.businessName.replace(/[{}]/g, '').trim();
  if (businessName === '') throw new RangeError('missedCallTextBackPreset needs a businessName');
  const texts = { ...MISSED_CALL_TEXTS, ...options.texts };
  const withBusiness = (template: string): string => template.replaceAll('{Business}', `{Business|${businessName}}`);
  /** The send_sms step of one text: its template, or its variants when there are some. */
  const send = (key: MissedCallTextKey): SendSmsStep => {
    const variants = options.variants?.[key];
    if (variants && variants.length > 0) {
      return {
        type: 'send_sms',
        variants: variants.map((v) => ({ ...v, template: withBusiness(v.template) })),
        ...(options.variantSelection && options.variantSelection !== 'weights' ? { variant_selection: options.variantSelection } : {}),
        note: NOTES[key],
      };
    }
    return { type: 'send_sms', template: withBusiness(texts[key]), note: NOTES[key] };
  };
  const voicemail = options.voicemail ?? 'skip';
  const textedOutcomes = voicemail === 'skip' ? ['missed'] : ['missed', 'voicemail'];
  const inbound: Condition = { field: 'call.direction', op: '==', value: 'inbound' };

  const directionDelay: Step = {
    type: 'condition',
    if: inbound,
    then: [{ type: 'delay', duration: options.inboundDelay ?? '15s', note: 'inbound: text back quickly, they just tried to reach us' }],
    else: [{ type: 'delay', duration: options.outboundDelay ?? '3m', note: 'outbound: a short pause reads as a follow-up, not a chase' }],
  };

  const steps: Step[] = [
    {
      type: 'condition',
      note: voicemail === 'skip' ? 'only missed calls get a text (not answered, too short or voicemail)' : 'only missed calls and voicemail get a text',
      if: { field: 'call.outcome', op: 'not_in', value: textedOutcomes },
      then: [{ type: 'stop', reason: 'not a missed call' }],
    },
    voicemail === 'skip'
      ? directionDelay
      : {
          type: 'condition',
          if: { field: 'call.outcome', op: '==', value: 'voicemail' },
          then: [{ type: 'delay', duration: voicemail.delay, note: 'voicemail: leave time to listen before texting' }],
          else: [directionDelay],
        },
    {
      type: 'condition',
      note: `at most one missed-call text per contact per ${options.capWindow ?? '24h'}`,
      if: { field: `contact.attr.${LAST_MISSED_CALL_SMS_AT}`, op: 'within', value: options.capWindow ?? '24h' },
      then: [{ type: 'stop', reason: 'already sent a missed-call text recently' }],
    },
    {
      type: 'condition',
      if: inbound,
      then: [
        {
          type: 'condition',
          if: { field: 'business_hours.open', op: '==', value: true },
          then: [send('inHours')],
          else: [send('afterHours')],
        },
      ],
      else: [send('outbound')],
    },
    { type: 'update_contact', attribute: LAST_MISSED_CALL_SMS_AT, value: 'now', note: 'remember for the 24 h cap' },
  ];

  const followUp = options.followUp ?? { after: '2h' };
  if (followUp !== false) {
    steps.push(
      { type: 'delay', duration: followUp.after, note: 'give them time to reply' },
      { type: 'delay', until: 'business_hours', note: 'never follow up outside business hours' },
      {
        type: 'condition',
        if: { field: 'run.replied', op: '==', value: true },
        then: [{ type: 'stop', reason: 'the contact replied' }],
      },
      send('followUp'),
    );
  }

  return {
    name: options.name ?? 'Missed-call text-back',
    state: options.state ?? 'draft',
    priority: options.priority ?? 100,
    scope: { numbers: options.numbers === 'all' ? 'all' : [...options.numbers] },
    trigger: { type: 'call.completed' },
    steps,
  };
}

const fieldOf = (c: Condition): string | undefined => ('field' in c ? c.field : undefined);

/**
 * The options a missed-call text-back document was made with, read back from its steps (the web
 * app's form edits them); null when the document no longer has the preset's shape (someone changed it
 * in the automation editor), so it is edited step by step instead. `businessName` comes back as the
 * `{Business|…}` fallback of the texts; texts come back without it.
 */
export function readMissedCallPreset(automation: Automation): MissedCallPresetOptions | null {
  try {
    const steps = automation.steps;
    const guard = steps[0];
    if (guard?.type !== 'condition' || fieldOf(guard.if) !== 'call.outcome') return null;
    const outcomes = (guard.if as { value?: unknown }).value;
    const voicemailOn = Array.isArray(outcomes) && outcomes.includes('voicemail');
    let index = 1;
    let voicemail: MissedCallPresetOptions['voicemail'] = 'skip';
    let directionStep = steps[index];
    if (voicemailOn) {
      if (directionStep?.type !== 'condition') return null;
      const delay = directionStep.then[0];
      if (delay?.type !== 'delay' || !('duration' in delay)) return null;
      voicemail = { delay: delay.duration };
      directionStep = directionStep.else?.[0];
    }
    if (directionStep?.type !== 'condition') return null;
    const inboundDelay = directionStep.then[0];
    const outboundDelay = directionStep.else?.[0];
    if (inboundDelay?.type !== 'delay' || !('duration' in inboundDelay) || outboundDelay?.type !== 'delay' || !('duration' in outboundDelay)) return null;
    index++;
    const cap = steps[index++];
    if (cap?.type !== 'condition' || fieldOf(cap.if) !== `contact.attr.${LAST_MISSED_CALL_SMS_AT}`) return null;
    const capWindow = String((cap.if as { value?: unknown }).value);
    const sendStep = steps[index++];
    if (sendStep?.type !== 'condition') return null;
    const hours = sendStep.then[0];
    const outbound = sendStep.else?.[0];
    if (hours?.type !== 'condition' || outbound?.type !== 'send_sms') return null;
    const inHours = hours.then[0];
    const afterHours = hours.else?.[0];
    if (inHours?.type !== 'send_sms' || afterHours?.type !== 'send_sms') return null;
    if (steps[index++]?.type !== 'update_contact') return null;

    let businessName: string | undefined;
    let variantSelection: VariantSelection | undefined;
    const texts: Partial<Record<MissedCallTextKey, string>> = {};
    const variants: Partial<Record<MissedCallTextKey, SmsVariant[]>> = {};
    const strip = (template: string): string =>
      template.replace(/\{Business\|([^}]*)\}/g, (_m, name: string) => {
        businessName ??= name;
        return '{Business}';
      });
    const take = (key: MissedCallTextKey, step: SendSmsStep) => {
      if ('variants' in step) {
        variants[key] = step.variants.map((v) => ({ ...v, template: strip(v.template) }));
        if (step.variant_selection) variantSelection = step.variant_selection;
      } else texts[key] = strip(step.template);
    };
    take('inHours', inHours);
    take('afterHours', afterHours);
    take('outbound', outbound);

    let followUp: MissedCallPresetOptions['followUp'] = false;
    if (index < steps.length) {
      const wait = steps[index];
      const last = steps[index + 3];
      if (wait?.type !== 'delay' || !('duration' in wait) || last?.type !== 'send_sms' || steps.length !== index + 4) return null;
      followUp = { after: wait.duration };
      take('followUp', last);
    }
    return {
      businessName: businessName ?? '',
      numbers: automation.scope.numbers,
      name: automation.name,
      state: automation.state,
      priority: automation.priority,
      texts,
      inboundDelay: inboundDelay.duration,
      outboundDelay: outboundDelay.duration,
      voicemail,
      capWindow,
      followUp,
      ...(Object.keys(variants).length > 0 ? { variants } : {}),
      ...(variantSelection ? { variantSelection } : {}),
    };
  } catch {
    return null;
  }
}
