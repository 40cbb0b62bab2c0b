/**
 * What a fresh clone needs: every file the tests, scripts and docs use is in the repository (the
 * check of .ci/check-paths.mjs, also run by .ci/run), and `npx textback` works after the first
 * `npm install` (the bin npm links is a tracked file, not the build output).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

interface Found {
  file: string;
  line: number;
  why: string;
  text: string;
}
const checker = (await import(pathToFileURL(path.join(ROOT, '.ci/check-paths.mjs')).href)) as {
  findOutsidePaths(file: string, text: string): Found[];
  checkRepository(root: string): Found[];
};

/** Joined at run time, so that this file does not name the paths it tests. */
const j = (...parts: string[]) => parts.join('');

describe('no tracked file names a path outside the repository', () => {
  it('holds for the repository', () => {
    expect(checker.checkRepository(ROOT).map((f) => `${f.file}:${f.line}: ${f.why}: ${f.text}`)).toEqual([]);
  });

  it.each([
    ['packages/server/test/x.ts', j("const dir = '/", "work/", "shared/reference';")],
    ['README.md', j('cd /', 'home/alice/textback')],
    ['docs/a.md', j('see `/', 'root/notes.md`')],
    ['docs/a.md', j('(/', 'Users/bob/src)')],
    ['bench/a.js', j("path.resolve(REPO_ROOT, '.", ".', 'sha", "red')")],
    ['bench/a.js', j("path.join(ROOT, '.", ".', 'x')")],
    ['docs/a.md', j('[spec](../', '../spec.json)')],
    ['packages/core/src/a.ts', j('// from ../../../../', 'sha', 'red/reference/x.csv')],
  ])('flags %s: %s', (file, text) => {
    expect(checker.findOutsidePaths(file, text)).not.toEqual([]);
  });

  it.each([
    ['docs/a.md', 'the ISO list, https://www.iso.org/iso/home/standards/currency_codes.htm'],
    ['docs/a.md', 'executablePath: /usr/bin/chromium, logs in /tmp/x.log, `GET /v1/messages`'],
    ['docs/a.md', j('`GET /v1/', 'home/x` and /', 'workers')],
    ['docs/carriers/twilio.md', '[README](../../README.md)'],
    ['README.md', '`POST /v1/queue-sessions/:id/accept`, `.../end`'],
    ['packages/server/test/api/helpers.ts', "new URL('../../../../', import.meta.url)"],
  ])('leaves %s: %s', (file, text) => {
    expect(checker.findOutsidePaths(file, text)).toEqual([]);
  });
});

describe('npx textback on a fresh clone', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'packages/server/package.json'), 'utf8')) as { bin: Record<string, string> };
  const bin = path.join(ROOT, 'packages/server', pkg.bin.textback!);

  it('links a tracked file, which npm install can link before the build', () => {
    const relative = path.relative(ROOT, bin).split(path.sep).join('/');
    expect(relative).not.toMatch(/(^|\/)dist\//);
    expect(execFileSync('git', ['ls-files', '--error-unmatch', relative], { cwd: ROOT, encoding: 'utf8' }).trim()).toBe(relative);
    expect(fs.statSync(bin).mode & 0o111).not.toBe(0);
    expect(fs.readFileSync(bin, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it('runs the CLI', () => {
    const run = spawnSync(process.execPath, [bin, '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Usage: textback');
    expect(run.stdout).toContain('serve');
  });

  it('says what to do when the build is missing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-bin-'));
    try {
      fs.mkdirSync(path.join(dir, 'bin'));
      fs.copyFileSync(bin, path.join(dir, 'bin', path.basename(bin)));
      const run = spawnSync(process.execPath, [path.join(dir, 'bin', path.basename(bin)), '--help'], { encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('textback is not built yet: run `npm run build`');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
