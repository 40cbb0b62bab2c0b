/**
 * The contract harness (contract.test.ts, agent-calls.test.ts): Stoplight Prism 5.14 `prism mock` of
 * a carrier's OpenAPI document (test/fixtures/carriers), on loopback, behind a proxy that records what
 * Prism said of each request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import { REFERENCE_DIR } from './helpers.js';

const PRISM = createRequire(import.meta.url).resolve('@stoplight/prism-cli/dist/index.js');

export interface Violation {
  location: string[];
  severity: string;
  code: string | number;
  message: string;
}

export interface Exchange {
  method: string;
  url: string;
  status: number;
  violations: Violation[];
}

/** `prism mock` of one OpenAPI document, behind a proxy that records what Prism said of each request. */
export class ContractMock {
  readonly exchanges: Exchange[] = [];
  private prism?: ChildProcess;
  private proxy?: http.Server;
  private output = '';
  url = '';

  /**
   * Array properties of form bodies. OpenAPI's default for them (style form, explode) is repeated
   * keys, `MediaUrl=a&MediaUrl=b`, which is what Twilio documents and twilio-node sends; Prism 5.14
   * reads repeated keys as one overriding the other and flags "must be array" (stoplightio/prism
   * #2473, fix proposed in #2654). The proxy spells them `MediaUrl[]=…` for Prism, which it parses
   * as the same array, so each element is still validated.
   */
  constructor(
    private readonly spec: string,
    private readonly formArrays = new Set<string>(),
  ) {}

  async start(): Promise<void> {
    const port = await freePort();
    this.prism = spawn(process.execPath, [PRISM, 'mock', '--host', '127.0.0.1', '--port', String(port), '--dynamic', 'false', path.join(REFERENCE_DIR, this.spec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.prism.stdout!.on('data', collect);
    this.prism.stderr!.on('data', collect);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`prism did not start for ${this.spec}:\n${this.output}`)), 50_000);
      const check = () => {
        if (this.output.includes('Prism is listening')) {
          clearTimeout(timer);
          resolve();
        }
      };
      this.prism!.stdout!.on('data', check);
      this.prism!.stderr!.on('data', check);
      this.prism!.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`prism exited (${code}) for ${this.spec}:\n${this.output}`));
      });
    });
    this.proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body = Buffer.concat(chunks);
        const headers = { ...req.headers };
        if (this.formArrays.size > 0 && (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
          body = Buffer.from(bracketFormArrays(body.toString('utf8'), this.formArrays));
          headers['content-length'] = String(body.length);
        }
        const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers }, (answer) => {
          const answerChunks: Buffer[] = [];
          answer.on('data', (c: Buffer) => answerChunks.push(c));
          answer.on('end', () => {
            const text = Buffer.concat(answerChunks);
            const raw = answer.headers['sl-violations'];
            const violations = raw ? (JSON.parse(Array.isArray(raw) ? raw[0]! : raw) as Violation[]) : [];
            // Errors Prism generates itself (422, 401...) carry the violations in a problem+json body.
            if ((answer.headers['content-type'] ?? '').includes('problem+json')) {
              const problem = JSON.parse(text.toString('utf8')) as { type?: string; title?: string; detail?: string; validation?: Violation[] };
              if (problem.type?.startsWith('https://stoplight.io/prism/errors')) {
                violations.push(...(problem.validation ?? [{ location: ['request'], severity: 'Error', code: problem.type, message: `${problem.title}: ${problem.detail}` }]));
              }
            }
            // Only what we send is ours to conform: the trimmed specs' own response examples break
            // some of their formats (relative `uri`s declared as format uri).
            const ours = violations.filter((v) => v.location[0] !== 'response');
            this.exchanges.push({ method: req.method ?? '', url: req.url ?? '', status: answer.statusCode ?? 0, violations: ours });
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(text);
          });
        });
        upstream.on('error', (e) => {
          res.writeHead(502);
          res.end(String(e));
        });
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => this.proxy!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.proxy.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (this.proxy) {
      this.proxy.closeAllConnections();
      await new Promise((resolve) => this.proxy!.close(resolve));
    }
    if (this.prism && this.prism.exitCode === null) {
      const exited = new Promise((resolve) => this.prism!.once('exit', resolve));
      this.prism.kill('SIGTERM');
      await exited;
    }
  }

  /** Errors Prism found in the requests since `from`, one line each. */
  errorsSince(from: number): string[] {
    return this.exchanges
      .slice(from)
      .flatMap((e) => e.violations.filter((v) => v.severity === 'Error').map((v) => `${e.method} ${e.url}: ${v.location.join('.')}: ${v.message}`));
  }
}

/** `a=1&MediaUrl=x&MediaUrl=y` → `a=1&MediaUrl[]=x&MediaUrl[]=y` for the named array properties. */
function bracketFormArrays(form: string, arrays: Set<string>): string {
  const out = new URLSearchParams();
  for (const [k, v] of new URLSearchParams(form)) out.append(arrays.has(k) ? `${k}[]` : k, v);
  return out.toString();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = http.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Runs `fn` against a mock and fails with Prism's words if any request it made did not conform. */
export async function conforming<T>(mock: ContractMock, fn: () => Promise<T>): Promise<{ result: T; requests: Exchange[] }> {
  const from = mock.exchanges.length;
  const result = await fn();
  const requests = mock.exchanges.slice(from);
  expect(requests.length).toBeGreaterThan(0);
  expect(mock.errorsSince(from)).toEqual([]);
  return { result, requests };
}
