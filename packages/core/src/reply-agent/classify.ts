/**
 * The reply agent's intent recogniser: a transparent weighted pattern scorer over the normalised reply
 * (see normalize.ts). Each intent has patterns with a weight in (0, 1); an intent's score is the
 * noisy-or of its matched weights (1 − Π(1 − w)); the confidence is the best score minus half the
 * runner-up's, so a reply that matches two intents equally is not trusted. Deterministic, no download.
 *
 * Opt-out, opt-in and HELP keywords (and likely opt-outs such as "stop texting me") are never the
 * agent's: they are classified `compliance` with confidence 1, and the compliance engine answers them.
 */
import { matchKeyword } from '../compliance/keywords.js';
import { normalizeReplyText } from './normalize.js';
import { extractCallbackTime } from './time.js';

export const REPLY_INTENTS = [
  'callback_request',
  'call_now',
  'booking',
  'question_hours',
  'question_address',
  'question_services',
  'question_price',
  'wrong_number',
  'not_interested',
  'human',
  'unknown',
  'compliance',
] as const;
export type ReplyIntent = (typeof REPLY_INTENTS)[number];

export type ReplyLanguage = 'en' | 'es';

export interface ReplyClassification {
  readonly intent: ReplyIntent;
  /** 0–1, two decimals. */
  readonly confidence: number;
  readonly language: ReplyLanguage;
  /** The callback time named in the reply (callback_request, booking), as an ISO instant. */
  readonly callbackAt?: string;
  /** True when the reply tries to instruct the agent ("ignore your instructions…"). */
  readonly adversarial: boolean;
  /** Scores of every intent that matched, for the timeline and the bench. */
  readonly scores: Readonly<Partial<Record<ReplyIntent, number>>>;
}

type Scored = Exclude<ReplyIntent, 'unknown' | 'compliance'>;

/** [pattern over the normalised text, weight]. */
const PATTERNS: Readonly<Record<Scored, ReadonlyArray<readonly [RegExp, number]>>> = {
  callback_request: [
    [/\b(call|ring|phone) (me|us)( back)?\b/, 0.45],
    [/\b(call|ring) back\b/, 0.4],
    [/\b(give|gimme) (me|us) a (call|ring)\b/, 0.6],
    [/\b(callback|call back)\b/, 0.3],
    [/\b(available|free|works|good|ok|fine|better|best)\b/, 0.1],
    [/\bllamame\b|\bme (pueden|puede|podrian|podria) llamar\b|\bllamada\b|\bme llaman\b|\bme llamas\b/, 0.45],
    [/\b(disponible|libre|mejor|bien|esta bien)\b/, 0.1],
    [/\b(yes|yeah|yep|sure|si|claro|ok|okay)\b/, 0.1],
  ],
  call_now: [
    [/\b(now|right now|asap|immediately|right away|urgent|emergency|this minute)\b/, 0.55],
    [/\b(ahora|ahorita|ya mismo|lo antes posible|urgente|de inmediato|inmediatamente|emergencia|cuanto antes)\b/, 0.55],
    [/\b(call|ring|phone) (me|us)\b|\bllamame\b|\bme (pueden|puede) llamar\b/, 0.35],
    [/\b(available|free|here|waiting|disponible|esperando)\b/, 0.1],
    [/\bcall (now|asap|right now|right away)\b/, 0.4],
  ],
  booking: [
    [/\b(book|booking|appointment|reserve|reservation|schedule|set up a time|come in)\b/, 0.7],
    [/\b(cita|reservar|reserva|agendar|agenda|programar|turno)\b/, 0.7],
    [/\b(can i|could i|i want to|i would like to|id like to|want to|quiero|puedo|me gustaria)\b/, 0.15],
  ],
  question_hours: [
    [/(?<!\d )\b(hours|opening hours|business hours)\b/, 0.65],
    [/\b(are you|you guys|is it|r you) open\b|\bopen (today|tomorrow|on|now|late|sunday|saturday|weekends?)\b/, 0.6],
    [/\bwhat time (do|does|are) (you|they|it)( guys)? (open|close)\b|\bwhen (do|does|are) (you|it)( guys)? (open|close)\b/, 0.7],
    [/\b(close|closing|open)\b/, 0.2],
    [/\b(horario|horarios|a que hora (abren|cierran|abre|cierra)|estan abiertos|esta abierto|abren|cierran)\b/, 0.7],
  ],
  question_address: [
    [/\b(address|location|located|directions|where are you|where r you|where is (the|your) (shop|office|store|place)|where (do|are) you guys|how do i get there)\b/, 0.7],
    [/\b(where)\b/, 0.2],
    [/\b(direccion|ubicacion|donde (estan|esta|queda|quedan|se encuentran|los encuentro)|como llego)\b/, 0.7],
  ],
  question_services: [
    [/\b(services|what do you (do|offer)|do you (guys )?(do|offer|fix|repair|install|handle|service|work on|sell|clean)|can you (fix|repair|install|do|help with))\b/, 0.6],
    [/\bservice\b/, 0.3],
    [/\b(servicios|servicio|que (hacen|ofrecen)|(hacen|ofrecen|reparan|arreglan|instalan|limpian)\b)/, 0.6],
  ],
  question_price: [
    [/\b(how much|price|prices|pricing|cost|costs|quote|rate|rates|charge|fee|fees|cheap|expensive)\b/, 0.7],
    [/\bestimate\b/, 0.35],
    [/\b(cuanto (cuesta|cobran|cobra|vale|sale)|precio|precios|costo|costos|cotizacion|presupuesto|tarifa)\b/, 0.7],
  ],
  wrong_number: [
    [/\b(wrong (number|person|guy)|not me|you have the wrong|never called|didnt call|did not call|dont know (you|who)|who is this)\b/, 0.7],
    [/\b(numero equivocado|equivocado|equivocada|no (te|le|los) llame|no conozco|quien (es|habla)|se equivocaron)\b/, 0.7],
  ],
  not_interested: [
    [/\b(not interested|no thanks|no thank you|nevermind|never mind|no longer need|dont need|do not need|already (found|hired|got|booked|have) (someone|somebody|it|another|a)|all set|im good|were good|not anymore|no need)\b/, 0.7],
    [/\b(no me interesa|no gracias|no necesito|ya no|ya (encontre|contrate|tengo)|no es necesario|olvidalo)\b/, 0.7],
    [/^no$/, 0.65],
  ],
  human: [
    [/\b(real person|human|a person|someone real|live person|live agent|talk to (someone|somebody|a|the|your)|speak (to|with) (someone|somebody|a|the|your)|representative|operator|manager|owner|are you a (bot|robot|machine)|is this a (bot|robot|machine)|bot)\b/, 0.7],
    [/\b(persona|humano|alguien real|hablar con (alguien|una persona|el|la|un)|representante|encargado|dueno|gerente|eres un (bot|robot)|es un (bot|robot))\b/, 0.7],
  ],
};

const ADVERSARIAL = /\b(ignore (all |your |the |any )?(previous |prior )?(instructions|rules|prompt)|system prompt|you are now|pretend (to be|you are)|act as|jailbreak|disregard (your|all|the)|ignora (tus|las) instrucciones|olvida (tus|las) instrucciones|developer mode)\b/;

const SPANISH = /\b(hola|llamame|manana|despues|tarde|noche|cuanto|donde|precio|cita|gracias|por favor|quiero|necesito|estan|horario|persona|equivocado|interesa|puede|pueden|llamar|las|hoy|ahora|lunes|martes|miercoles|jueves|viernes|sabado|domingo|servicios|direccion|si|usted|ustedes)\b/g;

const ENGLISH = /\b(the|you|your|call|please|what|is|are|my|i|im|it|can|do|how|when|where|after|tomorrow|morning|thanks|yes|not|want|need|have)\b/g;

/** Classifies a contact's reply. `nowMs` and `zone` resolve a named time in the contact's time zone. */
export function classifyReply(body: string, nowMs: number, zone: string): ReplyClassification {
  const text = normalizeReplyText(body);
  const language: ReplyLanguage = (text.match(SPANISH)?.length ?? 0) > (text.match(ENGLISH)?.length ?? 0) ? 'es' : 'en';
  if (matchKeyword(body)) return { intent: 'compliance', confidence: 1, language, adversarial: false, scores: { compliance: 1 } };
  const adversarial = ADVERSARIAL.test(text);
  if (adversarial) return { intent: 'unknown', confidence: 0, language, adversarial, scores: {} };

  const time = extractCallbackTime(text, nowMs, zone);
  const scores: Partial<Record<ReplyIntent, number>> = {};
  for (const [intent, patterns] of Object.entries(PATTERNS) as Array<[Scored, ReadonlyArray<readonly [RegExp, number]>]>) {
    let miss = 1;
    for (const [pattern, weight] of patterns) if (pattern.test(text)) miss *= 1 - weight;
    if (miss < 1) scores[intent] = 1 - miss;
  }
  // A named time makes a callback request ("after 5 works", "mañana por la mañana"); booking keeps it.
  // A time next to another clear intent ("are you open Sunday?", "book for Tuesday 3pm") is that intent's.
  const otherClear = (Object.entries(scores) as Array<[ReplyIntent, number]>).some(([k, v]) => k !== 'callback_request' && k !== 'call_now' && v >= 0.5);
  if (time && ((scores.callback_request ?? 0) >= 0.3 || !otherClear)) {
    scores.callback_request = 1 - (1 - (scores.callback_request ?? 0)) * (1 - 0.6);
    if (scores.call_now !== undefined) scores.call_now *= 0.3;
  }
  // "call me" without a time is a call now.
  if (!time && scores.callback_request !== undefined) {
    scores.call_now = 1 - (1 - (scores.call_now ?? 0)) * (1 - scores.callback_request);
    delete scores.callback_request;
  }
  if ((scores.booking ?? 0) > 0.5 && scores.callback_request !== undefined) scores.callback_request *= 0.5;

  const ranked = (Object.entries(scores) as Array<[ReplyIntent, number]>).sort((a, b) => b[1] - a[1]);
  const [best, second] = ranked;
  if (!best || best[1] < 0.3) return { intent: 'unknown', confidence: 0, language, adversarial, scores: roundAll(scores) };
  const confidence = round(Math.max(0, best[1] - 0.5 * (second?.[1] ?? 0)));
  const withTime = time && (best[0] === 'callback_request' || best[0] === 'booking') ? { callbackAt: time.at } : {};
  return { intent: best[0], confidence, language, adversarial, scores: roundAll(scores), ...withTime };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function roundAll(scores: Partial<Record<ReplyIntent, number>>): Partial<Record<ReplyIntent, number>> {
  return Object.fromEntries(Object.entries(scores).map(([k, v]) => [k, round(v)]));
}
