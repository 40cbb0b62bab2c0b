/** A Textback instance on a test database with a fake clock, and organizations to act as. */
import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { CarrierAdapter } from '../../src/carriers/carrier.js';
import type { JobHandlers } from '../../src/jobs/worker.js';
import { FakeClock } from '../../src/support/clock.js';
import { createLogger, type Logger } from '../../src/support/logger.js';
import { createTextback, type Textback } from '../../src/textback.js';
import { addNumber } from '../../src/use-cases/numbers.js';
import { createOrganization } from '../../src/use-cases/organizations.js';
import { createTestDatabase, type DialectName, type TestDatabase } from './databases.js';
import { responseGuard } from './response-schemas.js';

export interface TestApp {
  tb: Textback;
  clock: FakeClock;
  http: FastifyInstance;
  database: TestDatabase;
  /** Runs every job due at the fake clock's current time. */
  drain(): Promise<number>;
  /** Moves the fake clock and runs what became due. */
  advance(ms: number): Promise<number>;
  /** 2xx JSON answers of /v1 routes that did not match their declared response schema (close() fails on any). */
  responseViolations: string[];
  close(): Promise<void>;
}

export interface TestOrg {
  orgId: string;
  apiKey: string;
  number: string;
  numberId: string;
  userId: string;
}

export async function createTestApp(
  dialect: DialectName,
  options: { config?: Partial<Config>; carriers?: CarrierAdapter[]; handlers?: JobHandlers; logger?: Logger } = {},
): Promise<TestApp> {
  const database = await createTestDatabase(dialect);
  const clock = new FakeClock();
  // Test receivers listen on 127.0.0.1: private addresses are allowed unless a test says otherwise.
  const config = { ...loadConfig({}), sandboxReceiptDelayMs: 1000, webhookAllowPrivateUrls: true, ...options.config };
  const server: { http?: FastifyInstance } = {};
  const guard = responseGuard(() => server.http?.getSchemas() ?? {});
  const tb = await createTextback({
    instrumentHttp: guard.instrument,
    config,
    clock,
    db: database.db,
    logger: options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    ...(options.carriers ? { carriers: options.carriers } : {}),
    ...(options.handlers ? { handlers: options.handlers } : {}),
  });
  const http = await tb.http();
  server.http = http;
  return {
    tb,
    clock,
    http,
    database,
    responseViolations: guard.violations,
    drain: () => tb.worker.drain(),
    advance: async (ms) => {
      clock.advance(ms);
      return tb.worker.drain();
    },
    close: async () => {
      await tb.close();
      await database.destroy();
      // An answer the schema does not describe loses the fields it forgets (serialization drops them).
      if (guard.violations.length) throw new Error(`answers that do not match their response schema:\n${[...new Set(guard.violations)].join('\n')}`);
    },
  };
}

let orgCounter = 0;

/** An organization with an owner key and one sandbox number. */
export async function createTestOrg(app: TestApp, number = `+1415555${String(100 + (orgCounter++ % 100)).padStart(4, '0')}`): Promise<TestOrg> {
  const created = await createOrganization(app.tb.ctx, { name: `Org ${orgCounter}`, ownerEmail: `owner${orgCounter}@example.com`, timeZone: 'America/New_York' });
  const n = await addNumber(app.tb.ctx, created.org.id, { e164: number, name: 'Main' });
  return { orgId: created.org.id, apiKey: created.apiKey, number: n.e164, numberId: n.id, userId: created.owner.id };
}

export interface ApiCall {
  status: number;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: LightMyRequestResponse['headers'];
  raw: LightMyRequestResponse;
}

/** Calls the API as an organization (through Fastify's inject: the whole HTTP stack, no socket). */
export async function api(
  app: TestApp,
  org: Pick<TestOrg, 'apiKey'> | null,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiCall> {
  const res = await app.http.inject({
    method,
    url,
    headers: { ...(org ? { authorization: `Bearer ${org.apiKey}` } : {}), ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  let json: unknown = undefined;
  try {
    json = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json, headers: res.headers, raw: res };
}

/** A logger that keeps every line it writes, at `level` and above (tests assert what is, and is not, logged). */
export function capturingLogger(level: string): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger(level, sink), lines };
}
