/** CSV output for the suppression and consent exports (RFC 4180). */

/**
 * A CSV field, quoted when it holds a comma, quote or line break. Free text that a spreadsheet would
 * run as a formula (=, +, @, -, tab) gets a leading ' (OWASP CSV injection); phone numbers (`text` false)
 * are left as they are so that an export can be imported again.
 */
export function csvField(value: string | number | null, text = true): string {
  if (value === null) return '';
  let s = String(value);
  if (text && /^[=+@\t\r-]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
