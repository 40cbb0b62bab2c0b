/**
 * The examples of README.md and docs/*.md, run as written, so that the docs cannot drift from the
 * code: every `@textback/core` line of a TypeScript example is evaluated and checked against the
 * result its comment states, and every `npx textback …` command that can run offline is run with
 * the built CLI against a temporary SQLite database holding the demo organization.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as core from '@textback/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createLogger } from '../../src/support/logger.js';
import { createTextback } from '../../src/textback.js';
import { createDemoOrganization } from '../../src/use-cases/demo.js';
import { REPO_ROOT, requireBuiltCli, runCli } from './helpers.js';

/** README.md and every Markdown file under docs/, relative to the repository. */
function docFiles(): string[] {
  const out = ['README.md'];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.md')) out.push(rel);
    }
  };
  walk('docs');
  return out;
}

interface Block {
  file: string;
  line: number;
  lang: string;
  code: string;
}

function fencedBlocks(file: string): Block[] {
  const lines = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    blocks.push({ file, line: start + 1, lang: open[1] ?? '', code: body.join('\n') });
  }
  return blocks;
}

const FILES = docFiles();
const BLOCKS = FILES.flatMap(fencedBlocks);

// ---------------------------------------------------------------------------------------------
// TypeScript / JavaScript examples of the library

interface LibraryLine {
  where: string;
  expression: string;
  /** What the comment says: a value (object literal, `...` for "and more") or `throws Name (key 'value', ...)`. */
  claim: string;
}

const LIBRARY_LINES: LibraryLine[] = BLOCKS.filter((b) => ['ts', 'typescript', 'js', 'javascript'].includes(b.lang) && b.code.includes("'@textback/core'")).flatMap((b) =>
  b.code.split('\n').flatMap((text, i) => {
    const match = /^(.+?);\s*\/\/\s*(.+)$/.exec(text.trim());
    if (!match || text.trim().startsWith('import ')) return [];
    return [{ where: `${b.file}:${b.line + 1 + i}`, expression: match[1]!, claim: match[2]!.trim() }];
  }),
);

/** `{ a: 1, b: 'x', ... }` → the object without the `...` (the rest is not claimed). */
function claimedValue(claim: string): unknown {
  const literal = claim.replace(/,\s*\.\.\.\s*}/, ' }');
  return new Function(`return (${literal});`)() as unknown;
}

function evaluate(expression: string): unknown {
  const names = Object.keys(core);
  return new Function(...names, `return (${expression});`)(...names.map((n) => (core as Record<string, unknown>)[n])) as unknown;
}

describe('the library examples in README.md and docs/ do what their comments say', () => {
  it('there are some', () => {
    expect(LIBRARY_LINES.length).toBeGreaterThanOrEqual(3);
  });

  it.each(LIBRARY_LINES.map((l) => [l.where, l] as const))('%s', (_where, { expression, claim }) => {
    const thrown = /^throws (\w+)(?: \((.*)\))?/.exec(claim);
    if (thrown) {
      let error: unknown;
      try {
        evaluate(expression);
      } catch (e) {
        error = e;
      }
      expect(error, `${expression} should throw`).toBeInstanceOf(Error);
      expect((error as Error).name).toBe(thrown[1]);
      for (const [, key, value] of (thrown[2] ?? '').matchAll(/(\w+) '([^']*)'/g)) expect((error as unknown as Record<string, unknown>)[key!]).toBe(value);
      return;
    }
    expect(evaluate(expression)).toMatchObject(claimedValue(claim) as object);
  });
});

// ---------------------------------------------------------------------------------------------
// Command-line examples

/** Splits a shell command line into words (single and double quotes, `#` comments). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else word = (word ?? '') + ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (/\s/.test(ch)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (ch === '#' && word === null) {
      break;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

interface CliExample {
  where: string;
  args: string[];
}

/** `npx textback …` in shell blocks (one per line) and in inline code. */
const CLI_EXAMPLES: CliExample[] = FILES.flatMap((file) => {
  const found: CliExample[] = [];
  for (const b of BLOCKS.filter((x) => x.file === file && ['sh', 'bash', 'shell', ''].includes(x.lang))) {
    b.code.split('\n').forEach((text, i) => {
      const at = text.indexOf('npx textback');
      if (at === -1 || text.slice(0, at).trim().replace(/^#\s*or:?/, '') !== '') return;
      found.push({ where: `${file}:${b.line + 1 + i}`, args: shellWords(text.slice(at)).slice(2) });
    });
  }
  const source = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  for (const m of source.matchAll(/`(npx textback [^`]+)`/g)) found.push({ where: `${file} (inline)`, args: shellWords(m[1]!).slice(2) });
  return found;
});

/**
 * What cannot run here: placeholders (`ca_…`, `<id>`), and what needs a carrier account or stays
 * running (`serve`, `worker`). Everything else runs against the demo organization.
 */
const offline = (args: string[]) =>
  !args.some((a) => a.includes('…') || a.includes('<')) && !['serve', 'worker'].includes(args[0] ?? '') && !(args[0] === 'carriers' && args[1] !== 'list');

describe('the command-line examples in README.md and docs/ run', () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    requireBuiltCli();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-docs-'));
    const file = path.join(dir, 'data', 'textback.db');
    const db = openDatabase(file);
    await migrateToLatest(db);
    const tb = await createTextback({ config: { ...loadConfig({}), databaseUrl: file, runWorkers: false }, db, logger: createLogger('silent') });
    await createDemoOrganization(tb.ctx);
    await tb.close();
    await db.close().catch(() => undefined);
    env = { DATABASE_URL: file };
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('there are some, and most run offline', () => {
    expect(CLI_EXAMPLES.filter((e) => offline(e.args)).length).toBeGreaterThanOrEqual(5);
  });

  it.each(CLI_EXAMPLES.filter((e) => offline(e.args)).map((e) => [`${e.where}: textback ${e.args.join(' ')}`, e] as const))('%s', async (_name, example) => {
    const result = await runCli(example.args, env);
    expect(result.code, `stderr: ${result.stderr}\nstdout: ${result.stdout}`).toBe(0);
    expect(result.stderr).toBe('');
  });
});
