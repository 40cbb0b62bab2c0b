/**
 * Message templates with variables and fallbacks.
 *
 * Syntax:
 * - `{Name}` inserts a variable. Built-ins: `{Name}` (the contact's first name),
 *   `{Business}`, `{Agent}`, `{Number}` (see {@link BUILT_IN_VARIABLES}).
 * - `{attr.company}` inserts the contact attribute `company`. Attributes always
 *   carry the `attr.` prefix, so they can never clash with a built-in (a contact
 *   attribute called `name` is `{attr.name}`, not `{Name}`) and a typo such as
 *   `{Nmae}` is reported instead of silently read as an attribute.
 * - `{Name|there}` falls back to `there` when the variable is missing or blank
 *   (whitespace only). Without a fallback a missing variable renders as `''`.
 *   The fallback is everything after the first `|`, verbatim; it cannot contain
 *   braces.
 * - `{{` and `}}` are a literal `{` and `}`.
 * - Variable names are case-sensitive: `{name}` is an unknown variable (the
 *   validator suggests `{Name}`). Spaces around the name are ignored.
 *
 * Templates are validated when an automation is saved ({@link validateTemplate})
 * and rendered when a message is sent ({@link renderTemplate}).
 */

/** A piece of a parsed template. `start`/`end` are offsets into the source text (end exclusive). */
export type TemplateToken =
  | { kind: 'text'; value: string; start: number; end: number }
  | { kind: 'variable'; name: string; fallback?: string; start: number; end: number };

export type TemplateErrorCode =
  | 'unclosed_variable'
  | 'unmatched_close_brace'
  | 'empty_variable'
  | 'invalid_variable_name'
  | 'unknown_variable';

/** A problem in a template, pointing at the offending text. */
export interface TemplateError {
  code: TemplateErrorCode;
  /** Human-readable, e.g. `unknown variable {Nmae}`. */
  message: string;
  /** 0-based offset of the problem in the template text. */
  position: number;
  /** Length of the offending text, for highlighting. */
  length: number;
  /** The variable name concerned, when there is one. */
  variable?: string;
  /** A suggested fix, e.g. `did you mean {Name}?`. */
  hint?: string;
}

export type ParseTemplateResult = { ok: true; tokens: TemplateToken[] } | { ok: false; errors: TemplateError[] };

/** Values available when rendering. Keys are variable names (`Name`, `attr.company`). */
export type TemplateVariables = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** Thrown by {@link renderTemplate} when the template does not parse. */
export class TemplateSyntaxError extends Error {
  readonly errors: readonly TemplateError[];

  constructor(errors: readonly TemplateError[]) {
    super(`invalid template: ${errors.map((e) => `${e.message} at ${e.position}`).join('; ')}`);
    this.name = 'TemplateSyntaxError';
    this.errors = errors;
  }
}

/** Built-in variables every template may use, with what they contain. */
export const BUILT_IN_VARIABLES = {
  Name: "the contact's first name",
  Business: 'the business name',
  Agent: 'the name of the agent or team that owns the conversation',
  Number: 'the business phone number the contact called or was called from',
} as const;

export type BuiltInVariable = keyof typeof BUILT_IN_VARIABLES;

/** Names of the built-in variables: `['Name', 'Business', 'Agent', 'Number']`. */
export const BUILT_IN_VARIABLE_NAMES = Object.keys(BUILT_IN_VARIABLES) as BuiltInVariable[];

/** Prefix of contact-attribute variables: `{attr.company}`. */
export const ATTRIBUTE_PREFIX = 'attr.';

/** In a `knownVariables` list, accepts every `{attr.*}` variable. */
export const ANY_ATTRIBUTE = 'attr.*';

const VARIABLE_NAME = /^(?:attr\.[A-Za-z0-9_][A-Za-z0-9_-]*|[A-Za-z_][A-Za-z0-9_]*)$/;

/** Splits a template into text and variable tokens, or reports every syntax error found. */
export function parseTemplate(text: string): ParseTemplateResult {
  const { tokens, errors } = scan(text);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, tokens };
}

/**
 * Checks a template against the variables that will exist when it is sent.
 * Returns syntax errors and one `unknown variable {X}` error per unknown use,
 * in order of position; an empty list means the template is valid.
 * `knownVariables` may contain {@link ANY_ATTRIBUTE} to accept any attribute.
 */
export function validateTemplate(text: string, knownVariables: readonly string[]): TemplateError[] {
  const { tokens, errors } = scan(text);
  const known = new Set(knownVariables);
  for (const token of tokens) {
    if (token.kind !== 'variable' || isKnownVariable(token.name, known)) continue;
    const suggestion = suggestVariable(token.name, knownVariables);
    errors.push({
      code: 'unknown_variable',
      message: `unknown variable {${token.name}}`,
      position: token.start,
      length: token.end - token.start,
      variable: token.name,
      ...(suggestion === undefined ? {} : { hint: `did you mean {${suggestion}}?` }),
    });
  }
  return errors.sort((a, b) => a.position - b.position);
}

/**
 * Renders a template. A variable that is missing, null or blank uses its
 * fallback (`{Name|there}`), or renders as `''` when it has none.
 * @throws {TemplateSyntaxError} when the template does not parse.
 */
export function renderTemplate(text: string, vars: TemplateVariables): string {
  const parsed = parseTemplate(text);
  if (!parsed.ok) throw new TemplateSyntaxError(parsed.errors);
  let out = '';
  for (const token of parsed.tokens) {
    if (token.kind === 'text') {
      out += token.value;
      continue;
    }
    const raw = Object.prototype.hasOwnProperty.call(vars, token.name) ? vars[token.name] : undefined;
    const value = raw === null || raw === undefined ? '' : String(raw);
    out += value.trim() === '' ? (token.fallback ?? '') : value;
  }
  return out;
}

/** Distinct variable names a template uses, in order of first use (syntax errors are ignored). */
export function templateVariables(text: string): string[] {
  const names = scan(text).tokens.flatMap((t) => (t.kind === 'variable' ? [t.name] : []));
  return [...new Set(names)];
}

/** Turns contact attributes into template variables: `{ company: 'Acme' }` → `{ 'attr.company': 'Acme' }`. */
export function attributeVariables(attributes: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const vars: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(attributes)) vars[`${ATTRIBUTE_PREFIX}${key}`] = value;
  return vars;
}

function isKnownVariable(name: string, known: ReadonlySet<string>): boolean {
  return known.has(name) || (name.startsWith(ATTRIBUTE_PREFIX) && known.has(ANY_ATTRIBUTE));
}

function scan(text: string): { tokens: TemplateToken[]; errors: TemplateError[] } {
  const tokens: TemplateToken[] = [];
  const errors: TemplateError[] = [];
  let literal = '';
  let literalStart = 0;
  const flush = (end: number): void => {
    if (literal !== '') tokens.push({ kind: 'text', value: literal, start: literalStart, end });
    literal = '';
  };

  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if ((c === '{' && next === '{') || (c === '}' && next === '}')) {
      if (literal === '') literalStart = i;
      literal += c;
      i += 2;
      continue;
    }
    if (c === '}') {
      errors.push({
        code: 'unmatched_close_brace',
        message: 'unmatched } (write }} for a literal brace)',
        position: i,
        length: 1,
      });
      i += 1;
      continue;
    }
    if (c !== '{') {
      if (literal === '') literalStart = i;
      literal += c;
      i += 1;
      continue;
    }

    // A variable: `{` up to the next brace, which must be `}`.
    flush(i);
    const close = indexOfBrace(text, i + 1);
    if (close === -1 || text[close] === '{') {
      const end = close === -1 ? text.length : close;
      errors.push({
        code: 'unclosed_variable',
        message: `unclosed variable ${text.slice(i, end).trimEnd()} (missing }, or write {{ for a literal brace)`,
        position: i,
        length: end - i,
      });
      i = end;
      continue;
    }
    const inner = text.slice(i + 1, close);
    const pipe = inner.indexOf('|');
    const name = (pipe === -1 ? inner : inner.slice(0, pipe)).trim();
    const fallback = pipe === -1 ? undefined : inner.slice(pipe + 1);
    const span = { position: i, length: close + 1 - i };
    if (name === '') {
      errors.push({ code: 'empty_variable', message: `empty variable ${text.slice(i, close + 1)}`, ...span });
    } else if (!VARIABLE_NAME.test(name)) {
      const dot = name.indexOf('.');
      errors.push({
        code: 'invalid_variable_name',
        message: `invalid variable name {${name}}`,
        variable: name,
        ...span,
        hint:
          dot > 0
            ? `contact attributes are written {${ATTRIBUTE_PREFIX}${name.slice(dot + 1)}}`
            : 'use letters, digits and _ (starting with a letter), or attr.<attribute>',
      });
    } else {
      tokens.push({
        kind: 'variable',
        name,
        ...(fallback === undefined ? {} : { fallback }),
        start: i,
        end: close + 1,
      });
    }
    i = close + 1;
  }
  flush(text.length);
  return { tokens, errors };
}

function indexOfBrace(text: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    if (text[j] === '{' || text[j] === '}') return j;
  }
  return -1;
}

/** The closest known variable to a misspelt one (case-insensitive edit distance ≤ 2), if any. */
function suggestVariable(name: string, knownVariables: readonly string[]): string | undefined {
  const candidates = knownVariables.filter((k) => k !== ANY_ATTRIBUTE);
  const asAttribute = `${ATTRIBUTE_PREFIX}${name}`;
  if (candidates.includes(asAttribute)) return asAttribute;
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.max(1, Math.floor(name.length / 3)));
  for (const candidate of candidates) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best === undefined && knownVariables.includes(ANY_ATTRIBUTE) && VARIABLE_NAME.test(asAttribute)) return asAttribute;
  return best;
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1);
      d[i * cols + j] = value;
    }
  }
  return at(a.length, b.length);
}
