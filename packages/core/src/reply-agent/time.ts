/**
 * Callback times in a contact's reply ("after 5", "tomorrow morning", "Tuesday 3pm", "después de las 5",
 * "mañana por la mañana"), resolved in the contact's time zone with luxon, so a time across a daylight
 * saving change is the wall-clock time the contact meant. Input is {@link normalizeReplyText}'s output.
 *
 * Rules (documented in docs/reply-agent.md):
 * - an hour without am/pm: 1–7 is afternoon (17:00 for "after 5"), 8–11 morning, 12 noon;
 * - a time of day without a day is the next such time from now ("after 5" at 21:00 → 17:00 tomorrow);
 * - a day without a time is 09:00 that day; morning 09:00, afternoon 14:00, evening / tonight 18:00;
 * - a weekday is its next occurrence (today if the time is still ahead), "next <weekday>" the one after today.
 */
import { DateTime } from 'luxon';

export interface ExtractedTime {
  /** ISO instant (UTC, `Z`). */
  readonly at: string;
  /** The words the time was read from (normalised). */
  readonly phrase: string;
}

const NUMBER_WORDS: Readonly<Record<string, number>> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
  una: 1, uno: 1, dos: 2, tres: 3, cuatro: 4, cinco: 5, seis: 6, siete: 7, ocho: 8, nueve: 9, diez: 10, once: 11, doce: 12,
};

const WEEKDAYS: Readonly<Record<string, number>> = {
  monday: 1, tuesday: 2, wednesday: 3, thursday: 4, friday: 5, saturday: 6, sunday: 7,
  lunes: 1, martes: 2, miercoles: 3, jueves: 4, viernes: 5, sabado: 6, domingo: 7,
};

/** "por la mañana", "en la mañana", "de la mañana", "esta mañana": the morning, not tomorrow. */
const SPANISH_MORNING = /\b(?:(?:por|en|de) la|esta) manana\b/;

const TRIGGER = '(?:after|at|around|by|before|about|past|despues de las|despues de la|a las|a la|tipo|como a las|antes de las|desde las|sobre las)';

/** Reads a callback time from a normalised reply; null when it names none. */
export function extractCallbackTime(normalized: string, nowMs: number, zone: string): ExtractedTime | null {
  const now = DateTime.fromMillis(nowMs, { zone });
  const text = ` ${normalized.replace(/\b([a-z]+)\b/g, (word) => (NUMBER_WORDS[word] !== undefined && !['una', 'uno', 'once'].includes(word) ? String(NUMBER_WORDS[word]) : word))} `;
  const phrases: string[] = [];

  // "in 2 hours", "en 30 minutos", "in an hour", "en una hora", "in half an hour"
  const rel = /\b(?:in|en) (\d+|an|a|una|un|half an|media) (min|mins|minute|minutes|minuto|minutos|hour|hours|hora|horas)\b/.exec(text);
  if (rel) {
    const [, qty = '', unit = ''] = rel;
    const amount = /^\d+$/.test(qty) ? Number(qty) : qty === 'half an' || qty === 'media' ? 0.5 : 1;
    const minutes = unit.startsWith('h') ? amount * 60 : amount;
    return { at: now.plus({ minutes }).toUTC().toISO({ suppressMilliseconds: true }) ?? '', phrase: rel[0] };
  }

  // Day
  let dayOffset: number | null = null;
  let weekday: number | null = null;
  let nextWeek = false;
  if (/\b(day after tomorrow|pasado manana)\b/.test(text)) { dayOffset = 2; phrases.push('day after tomorrow'); }
  else if (/\btomorrow\b/.test(text) || /\bmanana\b/.test(text.replace(new RegExp(SPANISH_MORNING.source, 'g'), ' '))) { dayOffset = 1; phrases.push('tomorrow'); }
  else if (/\b(today|tonight|hoy|this (?:morning|afternoon|evening)|esta (?:manana|tarde|noche))\b/.test(text)) { dayOffset = 0; phrases.push('today'); }
  const wd = /\b(next |el proximo |proximo |este |this |on |el )?(monday|tuesday|wednesday|thursday|friday|saturday|sunday|lunes|martes|miercoles|jueves|viernes|sabado|domingo)\b/.exec(text);
  if (wd && dayOffset === null) {
    weekday = WEEKDAYS[wd[2] ?? ''] ?? null;
    nextWeek = /next|proximo/.test(wd[1] ?? '');
    phrases.push(wd[0].trim());
  }

  // Time of day
  let hour: number | null = null;
  let minute = 0;
  let meridiem: 'am' | 'pm' | null = null;
  const ampm = /\b(\d{1,2})(?::(\d\d))? ?(am|pm)\b/.exec(text);
  const clock = /\b(\d{1,2}):(\d\d)\b/.exec(text);
  const triggered = new RegExp(`\\b${TRIGGER} (\\d{1,2})(?::(\\d\\d))?\\b`).exec(text);
  const oclock = /\b(\d{1,2}) (?:oclock|o clock)\b/.exec(text);
  if (ampm) { hour = Number(ampm[1]); minute = Number(ampm[2] ?? 0); meridiem = ampm[3] === 'am' ? 'am' : 'pm'; phrases.push(ampm[0]); }
  else if (clock) { hour = Number(clock[1]); minute = Number(clock[2]); phrases.push(clock[0]); }
  else if (triggered) { hour = Number(triggered[1]); minute = Number(triggered[2] ?? 0); phrases.push(triggered[0]); }
  else if (oclock) { hour = Number(oclock[1]); phrases.push(oclock[0]); }
  else if (/\b(noon|midday|mediodia|lunch|lunchtime)\b/.test(text)) { hour = 12; phrases.push('noon'); }
  if (hour !== null && (hour > 23 || minute > 59)) hour = null;

  const morning = /\bmorning\b/.test(text) || SPANISH_MORNING.test(text);
  const afternoon = /\b(afternoon|tarde)\b/.test(text);
  const evening = /\b(evening|tonight|night|noche)\b/.test(text);
  const endOfDay = /\b(end of (?:the )?day|after work|cob|al salir del trabajo|despues del trabajo)\b/.test(text);

  if (hour !== null) {
    if (meridiem === 'pm' && hour < 12) hour += 12;
    else if (meridiem === 'am' && hour === 12) hour = 0;
    else if (meridiem === null && hour <= 12) {
      if (afternoon || evening) { if (hour < 12) hour += 12; }
      else if (morning) { /* keep */ }
      else if (hour >= 1 && hour <= 7) hour += 12;
    }
  } else if (morning) {
    hour = 9; phrases.push('morning');
  } else if (afternoon) { hour = 14; phrases.push('afternoon'); }
  else if (evening) { hour = 18; phrases.push('evening'); }
  else if (endOfDay) { hour = 17; phrases.push('end of day'); }

  if (hour === null && dayOffset === null && weekday === null) return null;

  let date = now.startOf('day');
  if (dayOffset !== null) date = date.plus({ days: dayOffset });
  else if (weekday !== null) {
    let diff = (weekday - date.weekday + 7) % 7;
    if (nextWeek && diff === 0) diff = 7;
    date = date.plus({ days: diff });
  }
  const at = DateTime.fromObject({ year: date.year, month: date.month, day: date.day, hour: hour ?? 9, minute: hour === null ? 0 : minute }, { zone });
  let resolved = at;
  if (resolved <= now) {
    if (dayOffset === null && weekday === null) resolved = at.plus({ days: 1 });
    else if (weekday !== null && dayOffset === null) resolved = at.plus({ days: 7 });
    else resolved = now;
    if (dayOffset === null) resolved = DateTime.fromObject({ year: resolved.year, month: resolved.month, day: resolved.day, hour: at.hour, minute: at.minute }, { zone });
  }
  return { at: resolved.toUTC().toISO({ suppressMilliseconds: true }) ?? '', phrase: phrases.join(' ') };
}
