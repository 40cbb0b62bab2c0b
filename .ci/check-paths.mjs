#!/usr/bin/env node
// Fails when a tracked file names a path outside the repository, so that the tests, scripts and docs
// work in a fresh clone with nothing beside it.
//
//   node .ci/check-paths.mjs            prints file:line: reason, and exits 1 when something is found
//
// The rule, for every tracked text file (git ls-files; without git, every file but node_modules,
// dist, data and .git). Paths are written here with a bracketed letter, as in the patterns, so that
// this file passes its own check:
//   1. An absolute path under a development machine's home or workspace roots:
//      /[w]ork, /[h]ome/, /[r]oot/, /[U]sers/, /[m]nt/, /[m]edia/, /[s]rv/ (and [C]:\Users\), when the
//      slash starts the path: at the start of a line or after a space, a quote, a backtick, `(`, `[`,
//      `<`, `=`, `:` or `,`. A slash after a word character, a dot, a dash or another slash is inside a
//      URL or a longer path (`https://www.iso.org/iso/[h]ome/...`, `/v1/...`) and is not one of these.
//      System paths (/usr, /etc, /tmp, /dev, /proc, /bin) are the machine's, not a developer's, and are
//      not flagged.
//   2. A relative path that climbs out of the repository: a run of `../` longer than the depth of the
//      file's folder (two of them in `docs/a.md` leave the repository; one does not). `.../` is an
//      ellipsis, not a climb.
//   3. The `shared` folder beside the repository (`.[.]/shared`, or `'..', '[s]hared'` in a path
//      join), and joins that climb above a repository-root variable (`ROOT, '[.].'`).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const START = String.raw`(?<=^|[\s'"\x60(\[<=:,])`;
const RULES = [
  {
    why: 'an absolute path of a development machine',
    re: new RegExp(`${START}(?:/[w]ork(?=[/\\s'"\x60)\\]>,;:]|$)|/(?:[h]ome|[r]oot|[U]sers|[m]nt|[m]edia|[s]rv)/|[C]:\\\\[U]sers\\\\)`, 'g'),
  },
  { why: 'the shared folder beside the repository', re: /\.\.['"]?\s*[,/\\]\s*['"]?[s]hared\b/g },
  { why: 'a path join that climbs above the repository root', re: /\b[A-Z_]*ROOT\w*\s*,\s*['"]\.\.['"]/g },
];
const SKIP_DIRS = new Set(['node_modules', 'dist', 'data', '.git', 'coverage']);

/** The problems in one file's text; `file` is its path relative to the repository root, with `/`. */
export function findOutsidePaths(file, text) {
  const depth = file.split('/').length - 1;
  const found = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    for (const { why, re } of RULES) {
      for (const m of line.matchAll(re)) found.push({ file, line: i + 1, why, text: m[0] });
    }
    for (const m of line.matchAll(/(?<!\.)(?:\.\.\/)+/g)) {
      const ups = m[0].length / 3;
      if (ups > depth) found.push({ file, line: i + 1, why: `a relative path that climbs ${ups} folders from a file ${depth} deep`, text: m[0] });
    }
  });
  return found;
}

function trackedFiles(root) {
  try {
    return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\0')
      .filter(Boolean);
  } catch {
    const files = [];
    const walk = (dir) => {
      for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
        if (SKIP_DIRS.has(entry.name)) continue;
        const rel = dir ? `${dir}/${entry.name}` : entry.name;
        if (entry.isDirectory()) walk(rel);
        else if (entry.isFile()) files.push(rel);
      }
    };
    walk('');
    return files;
  }
}

/** Every problem in the repository at `root`. */
export function checkRepository(root) {
  const found = [];
  for (const file of trackedFiles(root)) {
    let buffer;
    try {
      buffer = fs.readFileSync(path.join(root, file));
    } catch {
      continue; // deleted in the working tree
    }
    if (buffer.includes(0)) continue; // binary
    found.push(...findOutsidePaths(file, buffer.toString('utf8')));
  }
  return found;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const found = checkRepository(root);
  for (const f of found) console.error(`${f.file}:${f.line}: ${f.why}: ${f.text}`);
  if (found.length > 0) {
    console.error(`${found.length} path(s) outside the repository: cite a public URL, or use a path inside the repository.`);
    process.exit(1);
  }
  console.log('no tracked file names a path outside the repository');
}
