/** Shared by the API tests: problem+json assertions, row counts, a server-sent-events reader, the built CLI. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { openDatabase, type Db } from '../../src/db/database.js';
import { createTestDatabase, type DialectName } from '../support/databases.js';
import { api, type ApiCall, type TestApp } from '../support/test-app.js';

/** Asserts an application/problem+json answer and returns its body for further checks. */
export function expectProblem(
  res: ApiCall,
  status: number,
  code: string,
  options: { detail?: (string | RegExp)[]; fields?: string[] } = {},
): { status: number; code: string; title: string; detail: string; type: string; errors?: { field: string; message: string }[] } {
  const summary = `${res.status} ${res.raw.body.slice(0, 300)}`;
  expect(res.status, summary).toBe(status);
  expect(String(res.headers['content-type']), summary).toMatch(/^application\/problem\+json/);
  expect(res.json, summary).toMatchObject({ status, code, type: `https://textback.dev/problems/${code.replace(/_/g, '-')}` });
  expect(typeof res.json.title).toBe('string');
  expect(typeof res.json.detail).toBe('string');
  for (const d of options.detail ?? []) {
    if (typeof d === 'string') expect(res.json.detail, summary).toContain(d);
    else expect(res.json.detail, summary).toMatch(d);
  }
  if (options.fields) expect((res.json.errors ?? []).map((e: { field: string }) => e.field), summary).toEqual(options.fields);
  return res.json;
}

export const COUNTED_TABLES = ['messages', 'contacts', 'conversations', 'jobs', 'events', 'sandbox_messages', 'calls', 'users', 'api_keys'] as const;
export type Counts = Record<(typeof COUNTED_TABLES)[number], number>;

/** Rows in the tables a request could write to (all organizations). */
export async function countRows(app: Pick<TestApp, 'tb'>): Promise<Counts> {
  const out = {} as Counts;
  for (const table of COUNTED_TABLES) {
    const row = await app.tb.ctx.db.kysely
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out;
}

export interface SseEvent {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/** Parses a complete text/event-stream body (comments and heartbeats are skipped). */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    let id: string | undefined;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (id !== undefined || event !== undefined || data.length > 0) events.push({ id, event, data: data.join('\n') });
  }
  return events;
}

/** Reads a live event stream (a fetch response body) event by event. */
export class SseReader {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  /** Everything received so far, comments included. */
  raw = '';

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** The next event, or an error after `timeoutMs`. */
  async next(timeoutMs = 5000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end !== -1) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const [event] = parseSse(block);
        if (event) return event;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event within ${timeoutMs} ms; received so far: ${JSON.stringify(this.raw)}`);
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        this.reader.read(),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), left);
        }),
      ]);
      clearTimeout(timer);
      if (chunk === 'timeout') continue;
      if (chunk.done) throw new Error(`the stream ended; received: ${JSON.stringify(this.raw)}`);
      const text = this.decoder.decode(chunk.value, { stream: true });
      this.raw += text;
      this.buffer += text;
    }
  }
}

/** Resolves when the server ends the stream (events still pending are discarded); throws after `timeoutMs`. */
export async function streamEnds(reader: SseReader, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await reader.next(Math.max(1, deadline - Date.now()));
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('the stream ended')) return;
      throw error;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The built command line

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '../../../..');
export const CLI = path.join(REPO_ROOT, 'packages/server/dist/cli/main.js');

/** A database nobody has opened yet: a SQLite path in a new directory, or an empty PostgreSQL schema. */
export async function freshDatabase(dialect: DialectName): Promise<{ url: string; open(): Db; destroy(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-cli-'));
    const file = path.join(dir, 'data', 'textback.db');
    const opened: Db[] = [];
    return {
      url: file,
      open: () => {
        const db = openDatabase(file);
        opened.push(db);
        return db;
      },
      destroy: async () => {
        for (const db of opened) await db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const database = await createTestDatabase(dialect, { migrate: false });
  return { url: database.url, open: () => database.db, destroy: () => database.destroy() };
}

/** Fails with what to do when the CLI has not been built. */
export function requireBuiltCli(): void {
  if (!fs.existsSync(CLI)) {
    throw new Error(`${path.relative(REPO_ROOT, CLI)} does not exist: build it with \`npx tsc -b\` before running the CLI tests`);
  }
}

/** The environment of a CLI process: nothing inherited that configures Textback, only what is given. */
export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(DATABASE_URL|PORT|HOST|LOG_LEVEL|TEXTBACK_|BODY_LIMIT|SANDBOX_|WORKER_|JOB_|PG_)/.test(k)) continue;
    base[k] = v;
  }
  return { ...base, LOG_LEVEL: 'silent', ...env };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `textback <args>` to completion (in the repository, or in `cwd`), with `stdin` as its standard input if given. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 30_000, cwd = REPO_ROOT, stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(env), cwd, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (stdin !== undefined) child.stdin!.end(stdin);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`textback ${args.join(' ')} did not finish within ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Parses the JSON a CLI command printed, with the output in the message when it is not JSON. */
export function cliJson(result: CliResult): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(result.code, `exit ${result.code}; stderr: ${result.stderr}`).toBe(0);
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`expected JSON on stdout, got: ${result.stdout}\nstderr: ${result.stderr}`);
  }
}

export interface RunningServer {
  child: ChildProcess;
  url: string;
  /** Everything printed on stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Sends SIGTERM and resolves with the exit code, or the signal that ended it (rejects if it does not exit in time). */
  stop(timeoutMs?: number): Promise<number | string | null>;
}

async function answered(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await (await fetch(`${url}/health`)).text();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Starts `textback serve` and waits for it to print its URL and answer. */
export function startServe(env: Record<string, string>, timeoutMs = 30_000): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve'], { env: cliEnv(env), cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let exited: number | string | null | undefined;
    const exitWaiters: ((code: number | string | null) => void)[] = [];
    child.on('exit', (code, signal) => {
      exited = code ?? signal;
      for (const w of exitWaiters) w(exited);
    });
    const server: RunningServer = {
      child,
      url: '',
      stdout: () => stdout,
      stderr: () => stderr,
      stop: (stopTimeoutMs = 10_000) =>
        new Promise((res, rej) => {
          if (exited !== undefined) return res(exited);
          const timer = setTimeout(() => {
            child.kill('SIGKILL');
            rej(new Error(`textback serve did not exit within ${stopTimeoutMs} ms of SIGTERM`));
          }, stopTimeoutMs);
          exitWaiters.push((code) => {
            clearTimeout(timer);
            res(code);
          });
          child.kill('SIGTERM');
        }),
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`textback serve printed no URL within ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const match = /running at (http:\/\/\S+)/.exec(stdout);
      if (match?.[1] && !server.url) {
        clearTimeout(timer);
        server.url = match[1];
        // The CLI prints its URL a moment before it installs its SIGTERM handler: a signal sent in
        // between kills it outright. One answered request later, the handler is there.
        void answered(server.url, 5000).then(() => resolve(server), reject);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      if (!server.url) {
        clearTimeout(timer);
        reject(new Error(`textback serve exited with ${code} before printing its URL; stdout: ${stdout} stderr: ${stderr}`));
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// A signed-in browser

export interface Browser {
  cookie: string;
  csrf: string;
  userId: string;
}

/** Signs in through POST /v1/auth/login and keeps the session cookie and CSRF token. */
export async function signInBrowser(app: TestApp, email: string, password: string): Promise<Browser> {
  const res = await app.http.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
  expect(res.statusCode, res.body).toBe(200);
  const raw = res.headers['set-cookie'];
  const line = (Array.isArray(raw) ? raw : [String(raw)]).find((c) => c.startsWith('textback_session='))!;
  const body = JSON.parse(res.body) as { csrf_token: string; user: { id: string } };
  return { cookie: line.split(';')[0]!, csrf: body.csrf_token, userId: body.user.id };
}

/** A request as the browser: its cookie and CSRF header. */
export function asBrowser(app: TestApp, browser: Browser, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown): Promise<ApiCall> {
  return api(app, null, method, url, body, { cookie: browser.cookie, 'x-csrf-token': browser.csrf });
}
