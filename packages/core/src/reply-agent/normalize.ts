/**
 * Text normalisation for the reply agent's classifier: lower case, accents stripped, emoji and
 * punctuation turned into spaces, common SMS spellings and misspellings mapped to one word.
 */

/** Whole-word rewrites applied after accents are stripped (keys and values lower case, no accents). */
const SPELLINGS: Readonly<Record<string, string>> = {
  pls: 'please',
  aftr: 'after',
  afer: 'after',
  atfer: 'after',
  x: 'por',
  porfa: 'por favor',
  porfavor: 'por favor',
  plz: 'please',
  plse: 'please',
  pleas: 'please',
  tmrw: 'tomorrow',
  tmr: 'tomorrow',
  tmrrw: 'tomorrow',
  tmw: 'tomorrow',
  tomoro: 'tomorrow',
  tomorow: 'tomorrow',
  tommorow: 'tomorrow',
  tommorrow: 'tomorrow',
  tomorrw: 'tomorrow',
  '2morrow': 'tomorrow',
  '2moro': 'tomorrow',
  tonite: 'tonight',
  '2nite': 'tonight',
  tday: 'today',
  '2day': 'today',
  cal: 'call',
  calll: 'call',
  cll: 'call',
  caal: 'call',
  u: 'you',
  ur: 'your',
  r: 'are',
  wat: 'what',
  wut: 'what',
  wht: 'what',
  wen: 'when',
  whn: 'when',
  adress: 'address',
  addres: 'address',
  adres: 'address',
  addy: 'address',
  hrs: 'hours',
  hr: 'hour',
  appt: 'appointment',
  apt: 'appointment',
  apointment: 'appointment',
  appointmnt: 'appointment',
  shedule: 'schedule',
  schedual: 'schedule',
  interseted: 'interested',
  intrested: 'interested',
  intersted: 'interested',
  interesed: 'interested',
  numbr: 'number',
  num: 'number',
  '#': 'number',
  prise: 'price',
  pric: 'price',
  cuesta: 'cuesta',
  k: 'ok',
  kk: 'ok',
  thx: 'thanks',
  thnx: 'thanks',
  ty: 'thanks',
  rn: 'now',
  asap: 'asap',
  mon: 'monday',
  tue: 'tuesday',
  tues: 'tuesday',
  wed: 'wednesday',
  weds: 'wednesday',
  thu: 'thursday',
  thur: 'thursday',
  thurs: 'thursday',
  fri: 'friday',
  sat: 'saturday',
  sun: 'sunday',
  tuesdy: 'tuesday',
  wensday: 'wednesday',
  wednsday: 'wednesday',
  thrusday: 'thursday',
  thursay: 'thursday',
  fryday: 'friday',
  llameme: 'llamame',
  llamenme: 'llamame',
  llamen: 'llamame',
  llama: 'llamame',
  llamar: 'llamame',
  llamarme: 'llamame',
  marcame: 'llamame',
  marquenme: 'llamame',
  xq: 'porque',
  q: 'que',
  k2: 'que',
  dnd: 'donde',
  tb: 'tambien',
};

/**
 * The canonical form: NFKD with marks removed ("mañana" → "manana", "después" → "despues"), lower case,
 * curly apostrophes straightened and then dropped ("don't" → "dont"), every character that is not a
 * letter, digit, ':' or '#' turned into a space (emoji included), spellings mapped, spaces collapsed.
 * Times keep their shape: "5:30pm", "17:00", "5 pm".
 */
export function normalizeReplyText(text: string): string {
  const base = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02BC']/g, '')
    .replace(/(\d)\.(\d\d)\b/g, '$1:$2')
    .replace(/\b([ap])\.m\.?/g, '$1m')
    .replace(/[^\p{L}\p{N}:#]+/gu, ' ')
    .trim();
  return base
    .split(' ')
    .map((word) => {
      if (SPELLINGS[word]) return SPELLINGS[word];
      const collapsed = word.replace(/(\p{L})\1{2,}/gu, '$1');
      return SPELLINGS[collapsed] ?? collapsed;
    })
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}
