// Generated from packages/core/sources/gsm7-charset.csv (3GPP TS 23.038 GSM 7-bit default alphabet
// and extension table, as extracted from https://github.com/TwilioDevEd/message-segment-calculator/blob/a50230f/src/libs/UnicodeToGSM.ts).
// 137 rows: 127 basic (1 septet) + 10 extension (ESC + code = 2 septets). Converted mechanically; keep in sync with that file.

export type Gsm7Table = 'basic' | 'extension';

/** [Unicode code point, GSM-7 bytes (hex, space-separated), table] — one row per CSV line. */
export const GSM7_CHARSET: readonly (readonly [codePoint: number, gsm7Hex: string, table: Gsm7Table])[] = [
  [0x000A, '0a', 'basic'], // U+000A LF
  [0x000C, '1b 0a', 'extension'], // U+000C FF
  [0x000D, '0d', 'basic'], // U+000D CR
  [0x0020, '20', 'basic'], // U+0020 SPACE
  [0x0021, '21', 'basic'], // U+0021 EXCLAMATION MARK
  [0x0022, '22', 'basic'], // U+0022 QUOTATION MARK
  [0x0023, '23', 'basic'], // U+0023 NUMBER SIGN
  [0x0024, '02', 'basic'], // U+0024 DOLLAR SIGN
  [0x0025, '25', 'basic'], // U+0025 PERCENT SIGN
  [0x0026, '26', 'basic'], // U+0026 AMPERSAND
  [0x0027, '27', 'basic'], // U+0027 APOSTROPHE
  [0x0028, '28', 'basic'], // U+0028 LEFT PARENTHESIS
  [0x0029, '29', 'basic'], // U+0029 RIGHT PARENTHESIS
  [0x002A, '2a', 'basic'], // U+002A ASTERISK
  [0x002B, '2b', 'basic'], // U+002B PLUS SIGN
  [0x002C, '2c', 'basic'], // U+002C COMMA
  [0x002D, '2d', 'basic'], // U+002D HYPHEN-MINUS
  [0x002E, '2e', 'basic'], // U+002E FULL STOP
  [0x002F, '2f', 'basic'], // U+002F SOLIDUS
  [0x0030, '30', 'basic'], // U+0030 DIGIT ZERO
  [0x0031, '31', 'basic'], // U+0031 DIGIT ONE
  [0x0032, '32', 'basic'], // U+0032 DIGIT TWO
  [0x0033, '33', 'basic'], // U+0033 DIGIT THREE
  [0x0034, '34', 'basic'], // U+0034 DIGIT FOUR
  [0x0035, '35', 'basic'], // U+0035 DIGIT FIVE
  [0x0036, '36', 'basic'], // U+0036 DIGIT SIX
  [0x0037, '37', 'basic'], // U+0037 DIGIT SEVEN
  [0x0038, '38', 'basic'], // U+0038 DIGIT EIGHT
  [0x0039, '39', 'basic'], // U+0039 DIGIT NINE
  [0x003A, '3a', 'basic'], // U+003A COLON
  [0x003B, '3b', 'basic'], // U+003B SEMICOLON
  [0x003C, '3c', 'basic'], // U+003C LESS-THAN SIGN
  [0x003D, '3d', 'basic'], // U+003D EQUALS SIGN
  [0x003E, '3e', 'basic'], // U+003E GREATER-THAN SIGN
  [0x003F, '3f', 'basic'], // U+003F QUESTION MARK
  [0x0040, '00', 'basic'], // U+0040 COMMERCIAL AT
  [0x0041, '41', 'basic'], // U+0041 LATIN CAPITAL LETTER A
  [0x0042, '42', 'basic'], // U+0042 LATIN CAPITAL LETTER B
  [0x0043, '43', 'basic'], // U+0043 LATIN CAPITAL LETTER C
  [0x0044, '44', 'basic'], // U+0044 LATIN CAPITAL LETTER D
  [0x0045, '45', 'basic'], // U+0045 LATIN CAPITAL LETTER E
  [0x0046, '46', 'basic'], // U+0046 LATIN CAPITAL LETTER F
  [0x0047, '47', 'basic'], // U+0047 LATIN CAPITAL LETTER G
  [0x0048, '48', 'basic'], // U+0048 LATIN CAPITAL LETTER H
  [0x0049, '49', 'basic'], // U+0049 LATIN CAPITAL LETTER I
  [0x004A, '4a', 'basic'], // U+004A LATIN CAPITAL LETTER J
  [0x004B, '4b', 'basic'], // U+004B LATIN CAPITAL LETTER K
  [0x004C, '4c', 'basic'], // U+004C LATIN CAPITAL LETTER L
  [0x004D, '4d', 'basic'], // U+004D LATIN CAPITAL LETTER M
  [0x004E, '4e', 'basic'], // U+004E LATIN CAPITAL LETTER N
  [0x004F, '4f', 'basic'], // U+004F LATIN CAPITAL LETTER O
  [0x0050, '50', 'basic'], // U+0050 LATIN CAPITAL LETTER P
  [0x0051, '51', 'basic'], // U+0051 LATIN CAPITAL LETTER Q
  [0x0052, '52', 'basic'], // U+0052 LATIN CAPITAL LETTER R
  [0x0053, '53', 'basic'], // U+0053 LATIN CAPITAL LETTER S
  [0x0054, '54', 'basic'], // U+0054 LATIN CAPITAL LETTER T
  [0x0055, '55', 'basic'], // U+0055 LATIN CAPITAL LETTER U
  [0x0056, '56', 'basic'], // U+0056 LATIN CAPITAL LETTER V
  [0x0057, '57', 'basic'], // U+0057 LATIN CAPITAL LETTER W
  [0x0058, '58', 'basic'], // U+0058 LATIN CAPITAL LETTER X
  [0x0059, '59', 'basic'], // U+0059 LATIN CAPITAL LETTER Y
  [0x005A, '5a', 'basic'], // U+005A LATIN CAPITAL LETTER Z
  [0x005B, '1b 3c', 'extension'], // U+005B LEFT SQUARE BRACKET
  [0x005C, '1b 2f', 'extension'], // U+005C REVERSE SOLIDUS
  [0x005D, '1b 3e', 'extension'], // U+005D RIGHT SQUARE BRACKET
  [0x005E, '1b 14', 'extension'], // U+005E CIRCUMFLEX ACCENT
  [0x005F, '11', 'basic'], // U+005F LOW LINE
  [0x0061, '61', 'basic'], // U+0061 LATIN SMALL LETTER A
  [0x0062, '62', 'basic'], // U+0062 LATIN SMALL LETTER B
  [0x0063, '63', 'basic'], // U+0063 LATIN SMALL LETTER C
  [0x0064, '64', 'basic'], // U+0064 LATIN SMALL LETTER D
  [0x0065, '65', 'basic'], // U+0065 LATIN SMALL LETTER E
  [0x0066, '66', 'basic'], // U+0066 LATIN SMALL LETTER F
  [0x0067, '67', 'basic'], // U+0067 LATIN SMALL LETTER G
  [0x0068, '68', 'basic'], // U+0068 LATIN SMALL LETTER H
  [0x0069, '69', 'basic'], // U+0069 LATIN SMALL LETTER I
  [0x006A, '6a', 'basic'], // U+006A LATIN SMALL LETTER J
  [0x006B, '6b', 'basic'], // U+006B LATIN SMALL LETTER K
  [0x006C, '6c', 'basic'], // U+006C LATIN SMALL LETTER L
  [0x006D, '6d', 'basic'], // U+006D LATIN SMALL LETTER M
  [0x006E, '6e', 'basic'], // U+006E LATIN SMALL LETTER N
  [0x006F, '6f', 'basic'], // U+006F LATIN SMALL LETTER O
  [0x0070, '70', 'basic'], // U+0070 LATIN SMALL LETTER P
  [0x0071, '71', 'basic'], // U+0071 LATIN SMALL LETTER Q
  [0x0072, '72', 'basic'], // U+0072 LATIN SMALL LETTER R
  [0x0073, '73', 'basic'], // U+0073 LATIN SMALL LETTER S
  [0x0074, '74', 'basic'], // U+0074 LATIN SMALL LETTER T
  [0x0075, '75', 'basic'], // U+0075 LATIN SMALL LETTER U
  [0x0076, '76', 'basic'], // U+0076 LATIN SMALL LETTER V
  [0x0077, '77', 'basic'], // U+0077 LATIN SMALL LETTER W
  [0x0078, '78', 'basic'], // U+0078 LATIN SMALL LETTER X
  [0x0079, '79', 'basic'], // U+0079 LATIN SMALL LETTER Y
  [0x007A, '7a', 'basic'], // U+007A LATIN SMALL LETTER Z
  [0x007B, '1b 28', 'extension'], // U+007B LEFT CURLY BRACKET
  [0x007C, '1b 40', 'extension'], // U+007C VERTICAL LINE
  [0x007D, '1b 29', 'extension'], // U+007D RIGHT CURLY BRACKET
  [0x007E, '1b 3d', 'extension'], // U+007E TILDE
  [0x00A1, '40', 'basic'], // U+00A1 INVERTED EXCLAMATION MARK
  [0x00A3, '01', 'basic'], // U+00A3 POUND SIGN
  [0x00A4, '24', 'basic'], // U+00A4 CURRENCY SIGN
  [0x00A5, '03', 'basic'], // U+00A5 YEN SIGN
  [0x00A7, '5f', 'basic'], // U+00A7 SECTION SIGN
  [0x00BF, '60', 'basic'], // U+00BF INVERTED QUESTION MARK
  [0x00C4, '5b', 'basic'], // U+00C4 LATIN CAPITAL LETTER A WITH DIAERESIS
  [0x00C5, '0e', 'basic'], // U+00C5 LATIN CAPITAL LETTER A WITH RING ABOVE
  [0x00C6, '1c', 'basic'], // U+00C6 LATIN CAPITAL LETTER AE
  [0x00C7, '09', 'basic'], // U+00C7 LATIN CAPITAL LETTER C WITH CEDILLA
  [0x00C9, '1f', 'basic'], // U+00C9 LATIN CAPITAL LETTER E WITH ACUTE
  [0x00D1, '5d', 'basic'], // U+00D1 LATIN CAPITAL LETTER N WITH TILDE
  [0x00D6, '5c', 'basic'], // U+00D6 LATIN CAPITAL LETTER O WITH DIAERESIS
  [0x00D8, '0b', 'basic'], // U+00D8 LATIN CAPITAL LETTER O WITH STROKE
  [0x00DC, '5e', 'basic'], // U+00DC LATIN CAPITAL LETTER U WITH DIAERESIS
  [0x00DF, '1e', 'basic'], // U+00DF LATIN SMALL LETTER SHARP S
  [0x00E0, '7f', 'basic'], // U+00E0 LATIN SMALL LETTER A WITH GRAVE
  [0x00E4, '7b', 'basic'], // U+00E4 LATIN SMALL LETTER A WITH DIAERESIS
  [0x00E5, '0f', 'basic'], // U+00E5 LATIN SMALL LETTER A WITH RING ABOVE
  [0x00E6, '1d', 'basic'], // U+00E6 LATIN SMALL LETTER AE
  [0x00E8, '04', 'basic'], // U+00E8 LATIN SMALL LETTER E WITH GRAVE
  [0x00E9, '05', 'basic'], // U+00E9 LATIN SMALL LETTER E WITH ACUTE
  [0x00EC, '07', 'basic'], // U+00EC LATIN SMALL LETTER I WITH GRAVE
  [0x00F1, '7d', 'basic'], // U+00F1 LATIN SMALL LETTER N WITH TILDE
  [0x00F2, '08', 'basic'], // U+00F2 LATIN SMALL LETTER O WITH GRAVE
  [0x00F6, '7c', 'basic'], // U+00F6 LATIN SMALL LETTER O WITH DIAERESIS
  [0x00F8, '0c', 'basic'], // U+00F8 LATIN SMALL LETTER O WITH STROKE
  [0x00F9, '06', 'basic'], // U+00F9 LATIN SMALL LETTER U WITH GRAVE
  [0x00FC, '7e', 'basic'], // U+00FC LATIN SMALL LETTER U WITH DIAERESIS
  [0x0393, '13', 'basic'], // U+0393 GREEK CAPITAL LETTER GAMMA
  [0x0394, '10', 'basic'], // U+0394 GREEK CAPITAL LETTER DELTA
  [0x0398, '19', 'basic'], // U+0398 GREEK CAPITAL LETTER THETA
  [0x039B, '14', 'basic'], // U+039B GREEK CAPITAL LETTER LAMDA
  [0x039E, '1a', 'basic'], // U+039E GREEK CAPITAL LETTER XI
  [0x03A0, '16', 'basic'], // U+03A0 GREEK CAPITAL LETTER PI
  [0x03A3, '18', 'basic'], // U+03A3 GREEK CAPITAL LETTER SIGMA
  [0x03A6, '12', 'basic'], // U+03A6 GREEK CAPITAL LETTER PHI
  [0x03A8, '17', 'basic'], // U+03A8 GREEK CAPITAL LETTER PSI
  [0x03A9, '15', 'basic'], // U+03A9 GREEK CAPITAL LETTER OMEGA
  [0x20AC, '1b 65', 'extension'], // U+20AC EURO SIGN
];

/** Septets per character: 1 for the basic table, 2 for the extension table (escape + code). Keyed by the character itself. */
export const GSM7_SEPTETS: ReadonlyMap<string, 1 | 2> = new Map(
  GSM7_CHARSET.map(([codePoint, , table]) => [String.fromCodePoint(codePoint), table === 'basic' ? 1 : 2] as const),
);
