/**
 * Benchmark plumbing: child processes that are always killed, throw-away databases that are always
 * dropped, the load generator, and number formatting. Everything talks to 127.0.0.1 only.
 */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH_DIR = path.join(ROOT, 'bench');
export const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const HOST = '127.0.0.1';

// ---------------------------------------------------------------------------------------------
// Cleanup registry: children, databases and temp directories, released in reverse order.

const children = new Set();
const databases = new Set();
const tempDirs = new Set();

/** Kills every child still alive and drops every database and temp dir created. Idempotent. */
export async function cleanupAll() {
  await Promise.allSettled([...children].map((c) => stopChild(c)));
  for (const name of [...databases]) await dropPgDatabase(name).catch((e) => console.error(`bench: could not drop ${name}: ${e.message}`));
  for (const dir of [...tempDirs]) removeTempDir(dir);
}

/** Last resort on a hard exit: synchronous kill of what is left (databases are dropped by cleanupAll). */
process.on('exit', () => {
  for (const c of children) {
    try {
      c.proc.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (const dir of tempDirs) removeTempDir(dir);
});

// ---------------------------------------------------------------------------------------------
// Child processes

/**
 * Starts `node <script> <args>` with `env` added to ours (plus an IPC channel). Keeps the last
 * lines of its output for error reports.
 */
export function startChild(name, script, args, env) {
  const proc = spawn(process.execPath, [...(process.env.BENCH_CHILD_NODE_ARGS ?? "").split(" ").filter(Boolean), script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const child = { name, proc, tail: [], exited: false, exitCode: null };
  const keep = (chunk) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) child.tail.push(line);
    if (child.tail.length > 40) child.tail.splice(0, child.tail.length - 40);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  child.done = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      child.exited = true;
      child.exitCode = code ?? signal;
      children.delete(child);
      resolve();
    });
  });
  children.add(child);
  return child;
}

export async function stopChild(child, graceMs = 4000) {
  if (child.exited) return;
  child.proc.kill('SIGTERM');
  const timer = sleep(graceMs).then(() => 'timeout');
  if ((await Promise.race([child.done, timer])) === 'timeout' && !child.exited) {
    child.proc.kill('SIGKILL');
    await child.done;
  }
}

export function childFailure(child, what) {
  return new Error(`${child.name} ${what} (exit ${child.exitCode ?? 'n/a'}):\n    ${child.tail.slice(-15).join('\n    ')}`);
}

/** Resolves with the first IPC message matching `type`, or rejects when the child dies or time runs out. */
export function waitForMessage(child, type, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m && m.type === type) finish(() => resolve(m));
      else if (m && m.type === 'error') finish(() => reject(new Error(`${child.name}: ${m.message}`)));
    };
    const timer = setTimeout(() => finish(() => reject(childFailure(child, `sent no "${type}" within ${timeoutMs} ms`))), timeoutMs);
    const onExit = () => finish(() => reject(childFailure(child, `exited before "${type}"`)));
    function finish(fn) {
      clearTimeout(timer);
      child.proc.off('message', onMessage);
      child.proc.off('exit', onExit);
      fn();
    }
    child.proc.on('message', onMessage);
    child.proc.on('exit', onExit);
  });
}

export function httpGet(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Polls `url` until it answers 200; fails early if the child exits. */
export async function waitForHttp(child, url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exited) throw childFailure(child, 'exited while starting');
    try {
      if ((await httpGet(url)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  throw childFailure(child, `did not answer ${url} within ${timeoutMs} ms`);
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Databases

let dbCounter = 0;

/** Creates an empty PostgreSQL database and returns its URL; dropped by cleanupAll. */
export async function createPgDatabase(label) {
  const name = `textback_bench_${process.pid}_${++dbCounter}_${label}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  databases.add(name);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropPgDatabase(name) {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    databases.delete(name);
  } finally {
    await client.end();
  }
}

/** Drops the database of a URL made by createPgDatabase (early, to free resources). */
export async function dropPgDatabaseOf(url) {
  await dropPgDatabase(new URL(url).pathname.slice(1));
}

export function makeTempDir(label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `textback-bench-${label}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir) {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    /* best effort */
  }
  tempDirs.delete(dir);
}

/**
 * A fresh database of `kind` ('sqlite' | 'postgres'): its URL, how to release it, and `analyze()`.
 *
 * `analyze()` gives PostgreSQL's planner the statistics that autovacuum gathers within a minute of
 * a table filling up in a running deployment. A benchmark's tables are created seconds before it
 * measures, so without it PostgreSQL plans every lookup for tables it believes empty (a sequential
 * scan of 8,000 contacts instead of 32 index probes: 3× the CPU of the lookups, measured). Call it
 * once the warm-up has put rows in the tables. SQLite plans from its indexes without statistics:
 * a no-op there.
 */
export async function freshDatabase(kind, label) {
  if (kind === 'postgres') {
    const url = await createPgDatabase(label);
    return { url, release: () => dropPgDatabaseOf(url), analyze: () => analyzePg(url) };
  }
  const dir = makeTempDir(label);
  return { url: path.join(dir, 'textback.db'), release: async () => removeTempDir(dir), analyze: async () => {} };
}

async function analyzePg(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Load generation

/**
 * Runs autocannon (in this process) and summarises it. `opts` are autocannon's; `url` may be an
 * array (connections are spread over the URLs round-robin).
 */
export async function load(opts) {
  const result = await autocannon({ connections: 32, duration: 10, ...opts });
  const ok = result['2xx'];
  return {
    rps: ok / ((result.duration ?? opts.duration ?? 10) || 1),
    rpsAverage: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    total: result.requests.total,
  };
}

/**
 * An open-loop load at `rate` requests/s for `seconds`, arrivals a Poisson process (exponential
 * gaps, as independent callers make): each request is built and sent at its arrival time whatever
 * the answers so far, so a slow server makes requests wait (their latency counts from arrival) and
 * never lowers the rate offered. autocannon's `overallRate` instead sends each second's quota back
 * to back and then pauses (90% of a second's requests in its first half), which is twice the rate
 * for half of every second. `requests` are autocannon's (method, path, headers, setupRequest);
 * `connections` caps the requests in flight (the rest wait for a connection, as in a client pool).
 * Returns what `load` returns; `rps` is over the time until the last answer.
 */
export async function openLoad({ url, rate, seconds, connections = 32, requests }) {
  const urls = (Array.isArray(url) ? url : [url]).map((u) => new URL(u));
  const agents = urls.map(() => new http.Agent({ keepAlive: true, maxSockets: Math.max(1, Math.floor(connections / urls.length)) }));
  const template = requests[0];
  const latencies = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  const inFlight = new Set();
  let lastEnd = 0;
  const send = () => {
    const target = sent % urls.length;
    sent++;
    const req = template.setupRequest ? template.setupRequest({ method: template.method, path: template.path, headers: template.headers }) : template;
    const started = performance.now();
    const done = new Promise((resolve) => {
      const r = http.request(
        { host: urls[target].hostname, port: urls[target].port, method: req.method, path: req.path, headers: req.headers, agent: agents[target] },
        (res) => {
          res.resume();
          res.on('end', () => {
            lastEnd = performance.now();
            latencies.push(lastEnd - started);
            if (res.statusCode >= 200 && res.statusCode < 300) ok++;
            else non2xx++;
            resolve();
          });
        },
      );
      r.on('error', () => {
        errors++;
        resolve();
      });
      if (req.body !== undefined) r.setHeader('content-length', Buffer.byteLength(req.body));
      r.end(req.body);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  const meanGap = 1000 / rate;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let next = t0;
  while (next < end) {
    const now = performance.now();
    while (next <= now && next < end) {
      send();
      next += -Math.log(1 - Math.random()) * meanGap;
    }
    await sleep(Math.max(0, Math.min(next, end) - performance.now() - 0.5));
  }
  await Promise.all(inFlight);
  for (const a of agents) a.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  // Answered per second from the first request to the last answer: below `rate` when the server fell behind.
  const span = Math.max(seconds * 1000, lastEnd - t0) / 1000;
  return {
    rps: ok / span,
    rpsAverage: ok / span,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? 0,
    ok,
    non2xx,
    errors,
    timeouts: 0,
    total: sent,
  };
}

/** A short run to warm the JIT and the connection pools before a measured one. */
export async function warmUp(opts, seconds = 2) {
  await autocannon({ connections: 32, ...opts, duration: seconds });
}

export function describeErrors(r) {
  const bad = [];
  if (r.non2xx) bad.push(`${r.non2xx} non-2xx`);
  if (r.errors) bad.push(`${r.errors} errors`);
  if (r.timeouts) bad.push(`${r.timeouts} timeouts`);
  return bad.length ? ` [${bad.join(', ')}]` : '';
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc; zeros elsewhere): where the cores went during a measurement.

const TICK_MS = 10; // USER_HZ is 100 on Linux

function readProcStat(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return { comm, ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
  } catch {
    return null;
  }
}

/**
 * Whether a PostgreSQL server process works for this benchmark run: a backend (or autovacuum
 * worker) of one of this run's databases, or one of the server's shared processes (WAL writer,
 * checkpointer, ...). Backends of other databases (another run, a test suite) are left out, so the
 * figure stays this run's own when something else uses the server at the same time.
 */
const ownDatabase = `textback_bench_${process.pid}_`;
function ownPostgresProcess(pid) {
  try {
    const title = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    if (title.includes(ownDatabase)) return true;
    // A backend's title is "postgres: <cluster>: <user> <database> <client> <state>"; shared processes have no client.
    return !/\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/.test(title);
  } catch {
    return false;
  }
}

/** CPU time used so far by each of `pids`, by this run's PostgreSQL processes (see ownPostgresProcess), and the machine. */
export function cpuSnapshot(pids) {
  const byPid = Object.fromEntries(pids.map((pid) => [pid, readProcStat(pid)?.ms ?? 0]));
  let postgres = 0;
  try {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readProcStat(entry);
      if (stat && stat.comm.startsWith('postgres') && ownPostgresProcess(entry)) postgres += stat.ms;
    }
  } catch {
    /* not Linux */
  }
  let busy = 0;
  let total = 0;
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    total = cpu.reduce((a, b) => a + b, 0) * TICK_MS;
    busy = total - (cpu[3] + cpu[4]) * TICK_MS; // minus idle and iowait
  } catch {
    /* not Linux */
  }
  return { at: Date.now(), byPid, postgres, busy, total, self: process.cpuUsage() };
}

/**
 * CPU spent between two snapshots, per unit of work: `{ procs, postgres, self }` in CPU-ms per
 * unit, and how busy the whole machine was (share of all cores). PostgreSQL's figure counts this
 * run's backends and the server's shared processes (the latter also work for anything else using it).
 */
export function cpuPerUnit(before, after, units) {
  const procs = Object.keys(after.byPid).reduce((a, pid) => a + (after.byPid[pid] - (before.byPid[pid] ?? 0)), 0);
  const self = (after.self.user + after.self.system - before.self.user - before.self.system) / 1000;
  return {
    procs: procs / units,
    postgres: (after.postgres - before.postgres) / units,
    self: self / units,
    machineBusy: after.total > before.total ? (after.busy - before.busy) / (after.total - before.total) : NaN,
  };
}

export function describeCpu(cpu, { procsLabel = 'server', includeSelf = false, unit = 'req' } = {}) {
  const parts = [];
  if (cpu.procs > 0) parts.push(`${procsLabel} ${cpu.procs.toFixed(2)}`);
  if (includeSelf) parts.push(`bench process ${cpu.self.toFixed(2)}`);
  if (cpu.postgres > 0) parts.push(`postgres ${cpu.postgres.toFixed(2)}`);
  const busy = Number.isFinite(cpu.machineBusy) ? `; machine ${Math.round(cpu.machineBusy * 100)}% busy` : '';
  return `CPU-ms/${unit}: ${parts.join(', ')}${busy}`;
}

// ---------------------------------------------------------------------------------------------
// Numbers

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const fmtMs = (n) => (Number.isFinite(n) ? (n >= 100 ? `${Math.round(n)} ms` : `${Number(n.toFixed(1))} ms`) : 'n/a');
export const fmtPct = (n) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : 'n/a');

export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function log(message) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export { sleep };

/** One load result in words: rate, p50, p99 and any errors. */
export const summary = (r) => `${fmtInt(r.rps)} req/s (p50 ${fmtMs(r.p50)}, p99 ${fmtMs(r.p99)})${describeErrors(r)}`;

/** A load run with the CPU each side spent per successful request. */
export async function measured(opts, children) {
  const pids = children.map((c) => c.proc.pid);
  const before = cpuSnapshot(pids);
  const result = await load(opts);
  const cpu = cpuPerUnit(before, cpuSnapshot(pids), Math.max(1, result.ok));
  return { ...result, cpu, cpuText: describeCpu(cpu, { includeSelf: true }).replace('bench process', 'load generator') };
}
