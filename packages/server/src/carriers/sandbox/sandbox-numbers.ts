/**
 * The numbers the sandbox carrier sells: fictional, generated in a fixed order, so a search gives the
 * same answer each time (minus the numbers already registered, by any organization, which is also
 * what keeps a number from being bought twice):
 *
 * - US and CA: `+1 <area code> 555 01xx`, the 100 numbers per area code the North American Numbering
 *   Plan reserves for fiction (https://nationalnanpa.com/pdf/NRUF/ATIS-0300115.pdf, 555-0100 to 0199);
 * - GB: Ofcom's drama ranges for geographic numbers, 020 7946 0000–0999 (London) and 0113 496 0000–0999
 *   (Leeds) (https://www.ofcom.org.uk/phones-and-broadband/phone-numbers/numbers-for-drama). The mobile
 *   drama range 07700 900xxx is not used: libphonenumber, which checks every business number, rejects it.
 */
import { normalizePhone } from '@textback/core';
import type { AvailableNumber, NumberCountry, NumberSearch } from '../carrier.js';

interface Area {
  areaCode: string;
  locality: string;
  region: string;
  /** The E.164 digits before the last `digits` ones. */
  prefix: string;
  first: number;
  count: number;
  digits: number;
}

const nanp = (areaCode: string, locality: string, region: string): Area => ({ areaCode, locality, region, prefix: `+1${areaCode}55501`, first: 0, count: 100, digits: 2 });

export const SANDBOX_AREAS: Record<NumberCountry, Area[]> = {
  US: [nanp('415', 'San Francisco', 'CA'), nanp('212', 'New York', 'NY'), nanp('312', 'Chicago', 'IL'), nanp('512', 'Austin', 'TX')],
  CA: [nanp('416', 'Toronto', 'ON'), nanp('604', 'Vancouver', 'BC'), nanp('514', 'Montreal', 'QC')],
  GB: [
    { areaCode: '20', locality: 'London', region: 'England', prefix: '+4420794', first: 60000, count: 1000, digits: 5 },
    { areaCode: '113', locality: 'Leeds', region: 'England', prefix: '+44113496', first: 0, count: 1000, digits: 4 },
  ],
};

/** The areas a search covers: the table's, or for a US/CA area code not in it, that area code's fictional block. */
function areasFor(search: Pick<NumberSearch, 'country' | 'areaCode' | 'locality'>): Area[] {
  let areas = SANDBOX_AREAS[search.country];
  if (search.areaCode) {
    const known = areas.filter((a) => a.areaCode === search.areaCode);
    areas = known.length > 0 || search.country === 'GB' ? known : [nanp(search.areaCode, '', '')];
  }
  if (search.locality) areas = areas.filter((a) => a.locality.toLowerCase() === search.locality!.toLowerCase());
  return areas;
}

/** The sandbox's numbers matching a search, in order, skipping those `taken` says are registered. */
export function sandboxNumbers(search: NumberSearch, taken: (e164: string) => boolean): AvailableNumber[] {
  const found: AvailableNumber[] = [];
  for (const area of areasFor(search)) {
    for (let i = 0; i < area.count && found.length < search.limit; i++) {
      const phone = `${area.prefix}${String(area.first + i).padStart(area.digits, '0')}`;
      if (search.contains && !phone.slice(1).includes(search.contains)) continue;
      if (taken(phone)) continue;
      found.push({
        phone,
        locality: area.locality || null,
        region: area.region || null,
        country: search.country,
        capabilities: { sms: true, voice: true, mms: true },
      });
    }
  }
  return found;
}

/** True when the sandbox sells this number (whether or not it is taken). */
export function isSandboxNumber(e164: string): boolean {
  let country: string | undefined;
  try {
    country = normalizePhone(e164).country;
  } catch {
    return false;
  }
  if (country !== 'US' && country !== 'CA' && country !== 'GB') return false;
  if (country === 'GB') {
    return SANDBOX_AREAS.GB.some((a) => e164.startsWith(a.prefix) && e164.length === a.prefix.length + a.digits && Number(e164.slice(a.prefix.length)) - a.first < a.count && Number(e164.slice(a.prefix.length)) >= a.first);
  }
  return /^\+1\d{3}55501\d{2}$/.test(e164);
}
