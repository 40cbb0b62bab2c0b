/**
 * What the reply agent does with a classified reply: the action, the text (from templates filled with
 * the business's facts only) and the reason shown in the contact timeline. Guardrails live here, in
 * code: a text is checked by {@link checkReplyGuardrails} before it is returned, whoever wrote it.
 */
import { DateTime } from 'luxon';
import type { ReplyClassification, ReplyIntent, ReplyLanguage } from './classify.js';

/** The business's facts the agent may use; anything not here it may not say. */
export interface ReplyAgentFacts {
  readonly business?: string | null;
  readonly hours?: string | null;
  readonly services?: string | null;
  readonly address?: string | null;
  readonly booking_link?: string | null;
  readonly prices?: string | null;
}

export interface ReplyAgentPolicy {
  /** Below this confidence the agent hands off. */
  readonly confidence_threshold: number;
  /** After this many agent replies in the conversation it hands off. */
  readonly max_exchanges: number;
  readonly hand_off_to: 'team' | 'agent';
}

export const DEFAULT_REPLY_AGENT_POLICY: ReplyAgentPolicy = { confidence_threshold: 0.6, max_exchanges: 5, hand_off_to: 'team' };

/** At most this many agent texts in a row without a reply from the contact. */
export const MAX_UNANSWERED_AGENT_TEXTS = 1;

export interface ReplyAgentState {
  /** Agent replies already sent in this conversation. */
  readonly exchanges: number;
  /** Agent texts sent since the contact's last text (before this one). */
  readonly unansweredAgentTexts: number;
}

export type ReplyAgentAction = 'reply' | 'callback' | 'hand_off' | 'update_contact' | 'none';

export interface ReplyAgentDecision {
  readonly action: ReplyAgentAction;
  /** The text to send, if any. */
  readonly reply?: string;
  /** For `callback`: when to call, ISO instant. */
  readonly callbackAt?: string;
  /** Contact attributes to set. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** True when the agent stops replying in this conversation (hand-off, wrong number, not interested). */
  readonly stop: boolean;
  /** For the timeline: "intent callback_request 0.93: booked for 17:00 their time". */
  readonly reason: string;
}

const T = {
  en: {
    handOff: (b: string) => `Thanks! I'm passing this to ${b} team; a person will get back to you shortly.`,
    callback: (b: string, when: string) => `Thanks! ${b} will call you ${when}.`,
    callNow: (b: string) => `Thanks! Someone from ${b} will call you as soon as possible.`,
    booking: (link: string) => `You can book a time here: ${link}`,
    hours: (h: string) => `Our hours: ${h}`,
    address: (a: string) => `We're at ${a}`,
    services: (s: string) => `We offer: ${s}`,
    price: (p: string) => `Our prices: ${p}`,
    wrong: () => `Sorry for the mix-up, we'll update our records.`,
    notInterested: () => `Understood, thanks for letting us know.`,
    today: 'today', tomorrow: 'tomorrow', at: 'at',
  },
  es: {
    handOff: (b: string) => `¡Gracias! Le paso su mensaje a ${b}; una persona le responderá pronto.`,
    callback: (b: string, when: string) => `¡Gracias! ${b} le llamará ${when}.`,
    callNow: (b: string) => `¡Gracias! Alguien de ${b} le llamará lo antes posible.`,
    booking: (link: string) => `Puede reservar aquí: ${link}`,
    hours: (h: string) => `Nuestro horario: ${h}`,
    address: (a: string) => `Estamos en ${a}`,
    services: (s: string) => `Ofrecemos: ${s}`,
    price: (p: string) => `Nuestros precios: ${p}`,
    wrong: () => `Disculpe la confusión, actualizaremos nuestros datos.`,
    notInterested: () => `Entendido, gracias por avisarnos.`,
    today: 'hoy', tomorrow: 'mañana', at: 'a las',
  },
} as const;

/** "today at 5:00 PM" / "tomorrow at 5:00 PM" / "Tue, Dec 8 at 3:00 PM" in the contact's zone. */
export function describeCallbackTime(atIso: string, nowMs: number, zone: string, language: ReplyLanguage): string {
  const at = DateTime.fromISO(atIso, { zone }).setLocale(language);
  const now = DateTime.fromMillis(nowMs, { zone });
  const t = T[language];
  const time = at.toFormat(language === 'es' ? 'H:mm' : 'h:mm a');
  const days = Math.round(at.startOf('day').diff(now.startOf('day'), 'days').days);
  const day = days === 0 ? t.today : days === 1 ? t.tomorrow : at.toFormat(language === 'es' ? "cccc d 'de' LLLL" : 'ccc, LLL d');
  return `${day} ${t.at} ${time}`;
}

/** Decides the agent's answer to one reply. */
export function decideReply(input: {
  classification: ReplyClassification;
  facts: ReplyAgentFacts;
  policy: ReplyAgentPolicy;
  state: ReplyAgentState;
  nowMs: number;
  zone: string;
}): ReplyAgentDecision {
  const { classification: c, facts, policy, state, nowMs, zone } = input;
  const t = T[c.language];
  const business = facts.business?.trim() || (c.language === 'es' ? 'nuestro equipo' : 'our');
  const who = facts.business?.trim() || (c.language === 'es' ? 'Nuestro equipo' : 'Our team');
  const label = `intent ${c.intent} ${c.confidence.toFixed(2)}`;
  const handOff = (why: string): ReplyAgentDecision => ({
    action: 'hand_off',
    reply: t.handOff(c.language === 'en' && facts.business?.trim() ? `the ${business}` : business),
    stop: true,
    reason: `${label}: handed off (${why})`,
  });

  if (c.intent === 'compliance') return { action: 'none', stop: false, reason: `${label}: a keyword, left to compliance` };
  if (state.unansweredAgentTexts >= MAX_UNANSWERED_AGENT_TEXTS) return { action: 'none', stop: false, reason: `${label}: not sent (${state.unansweredAgentTexts} agent texts without a reply)` };
  if (c.adversarial) return handOff('the reply tries to instruct the agent');
  if (c.intent === 'human') return handOff('the contact asked for a person');
  if (c.intent === 'unknown') return handOff('not understood');
  if (c.confidence < policy.confidence_threshold) return handOff(`confidence under ${policy.confidence_threshold}`);
  if (state.exchanges >= policy.max_exchanges) return handOff(`${policy.max_exchanges} exchanges reached`);

  const answer = (fact: string | null | undefined, make: (f: string) => string, what: string): ReplyAgentDecision =>
    fact?.trim() ? { action: 'reply', reply: make(fact.trim()), stop: false, reason: `${label}: answered ${what} from the facts` } : handOff(`no ${what} in the facts`);

  switch (c.intent as Exclude<ReplyIntent, 'compliance' | 'unknown' | 'human'>) {
    case 'callback_request': {
      if (!c.callbackAt) return handOff('no time named');
      const when = describeCallbackTime(c.callbackAt, nowMs, zone, c.language);
      const local = DateTime.fromISO(c.callbackAt, { zone }).toFormat('HH:mm');
      return { action: 'callback', reply: t.callback(who, when), callbackAt: c.callbackAt, stop: false, reason: `${label}: booked for ${local} their time` };
    }
    case 'call_now': {
      const at = DateTime.fromMillis(nowMs).toUTC().toISO({ suppressMilliseconds: true }) ?? '';
      return { action: 'callback', reply: t.callNow(business === 'our' ? 'our team' : business), callbackAt: at, stop: false, reason: `${label}: callback due now` };
    }
    case 'booking':
      return facts.booking_link?.trim()
        ? { action: 'reply', reply: t.booking(facts.booking_link.trim()), stop: false, reason: `${label}: sent the booking link` }
        : handOff('no booking link in the facts');
    case 'question_hours':
      return answer(facts.hours, t.hours, 'hours');
    case 'question_address':
      return answer(facts.address, t.address, 'address');
    case 'question_services':
      return answer(facts.services, t.services, 'services');
    case 'question_price':
      return answer(facts.prices, t.price, 'prices');
    case 'wrong_number':
      return { action: 'update_contact', reply: t.wrong(), attributes: { wrong_number: 'true' }, stop: true, reason: `${label}: marked wrong number, stopped` };
    case 'not_interested':
      return { action: 'update_contact', reply: t.notInterested(), attributes: { interested: 'false' }, stop: true, reason: `${label}: marked not interested, stopped` };
  }
  return handOff('not allowed to answer');
}

const MONEY = /(?:[$€£]\s?\d[\d,.]*|\d[\d,.]*\s?(?:dollars?|usd|bucks|pesos|euros?|dolares))/gi;
const LINK = /\b(?:https?:\/\/[^\s]+|www\.[^\s]+|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|us|biz|info|me|ly|app|link|site|shop)(?:\/[^\s]*)?)/gi;
const PROMISE = /\b(guarantee[ds]?|free|discount|% off|\d+% |promise|warranty|refund|garantia|gratis|descuento|reembolso)\b/gi;

/**
 * Refuses a text that quotes an amount, a link or a promise (guarantee, free, discount, refund…) that
 * the facts do not contain. Returns the breaches, empty when the text may be sent.
 */
export function checkReplyGuardrails(text: string, facts: ReplyAgentFacts): string[] {
  const known = Object.values(facts).filter((v): v is string => typeof v === 'string').join('\n').toLowerCase();
  const breaches: string[] = [];
  const trim = (s: string): string => s.replace(/[.,;:!?)]+$/, '').toLowerCase();
  for (const m of text.match(MONEY) ?? []) if (!known.includes(trim(m))) breaches.push(`price not in the facts: ${m}`);
  for (const m of text.match(LINK) ?? []) if (!known.includes(trim(m))) breaches.push(`link not in the facts: ${m}`);
  for (const m of text.match(PROMISE) ?? []) if (!known.includes(m.toLowerCase().trim())) breaches.push(`promise not in the facts: ${m.trim()}`);
  return breaches;
}
