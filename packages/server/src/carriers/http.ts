/**
 * What every carrier adapter does with HTTP: one request with a deadline, and the failure classes
 * of the port (carrier.ts):
 * - the connection could not be opened (refused, DNS, unreachable): retryable, nothing was sent;
 * - a timeout, or a connection lost once the request may have left: unknown (ask before resending);
 * - 429: retryable after Retry-After; 5xx and 408: retryable; other 4xx: the adapter decides.
 */
import { Agent, request as undiciRequest } from 'undici';
import { CarrierError } from './carrier.js';

/** Connection errors raised before any byte of the request could leave: safe to retry. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

export interface HttpAnswer {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
  json: unknown;
}

export interface CarrierRequest {
  /** Carrier name for messages ("Telnyx"). */
  carrier: string;
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Delay suggested to the caller after an unknown outcome (time for the carrier's webhook to settle it). */
  unknownRetryAfterMs?: number;
}

/**
 * One keep-alive connection pool per carrier origin, shared by every adapter: a busy sender reuses
 * its connections to the carrier instead of a TLS handshake per text. undici's `request` (the HTTP
 * client under Node's own fetch, by the Node.js core team) rather than `node:http` or `fetch`: it
 * costs half the client CPU of `node:http` per request (38 vs 72 µs at 32 requests in flight,
 * measured on this machine), and fetch's streams and abort signals cost more than the rest of a
 * send together (bench/send.js). The deadline is our own timer; undici's own timeouts, set to the
 * same value, only make it drop the connection of a request that we have given up on.
 */
const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 256 });

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

export function carrierRequest(request: CarrierRequest): Promise<HttpAnswer> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch (error) {
    return Promise.reject(networkError(request.carrier, error, request.timeoutMs, request.unknownRetryAfterMs));
  }
  return new Promise<HttpAnswer>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(networkError(request.carrier, new TimeoutError(`no answer within ${request.timeoutMs} ms`), request.timeoutMs, request.unknownRetryAfterMs));
    }, request.timeoutMs);
    undiciRequest(url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      dispatcher,
      headersTimeout: request.timeoutMs,
      bodyTimeout: request.timeoutMs,
    })
      .then(async (res) => {
        const text = await res.body.text();
        return { res, text };
      })
      .then(
        ({ res, text }) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const headers = res.headers;
          resolve({
            status: res.statusCode,
            headers: {
              get: (name) => {
                const value = headers[name.toLowerCase()];
                return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
              },
            },
            text,
            json: parseJson(text),
          });
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(networkError(request.carrier, error, request.timeoutMs, request.unknownRetryAfterMs));
        },
      );
  });
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The CarrierError for a 429 / 5xx / 408, or undefined for anything else. */
export function transientHttpError(carrier: string, answer: HttpAnswer, code: string, detail: string): CarrierError | undefined {
  if (answer.status === 429) return new CarrierError('retryable', code, 'rate_limited', detail, parseRetryAfter(answer.headers.get('retry-after')));
  if (answer.status >= 500 || answer.status === 408) return new CarrierError('retryable', code, 'carrier_unknown', detail, parseRetryAfter(answer.headers.get('retry-after')));
  return undefined;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; errors?: unknown[] };
  if (typeof e.code === 'string') return e.code;
  // Happy eyeballs: an AggregateError of every address tried.
  if (Array.isArray(e.errors)) return errorCode(e.errors[0]);
  return undefined;
}

export function networkError(carrier: string, error: unknown, timeoutMs: number, unknownRetryAfterMs?: number): CarrierError {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError' || name === 'HeadersTimeoutError' || name === 'BodyTimeoutError') {
    return new CarrierError('unknown', 'timeout', 'carrier_unknown', `no answer from ${carrier} within ${timeoutMs} ms; the request may have been accepted`, unknownRetryAfterMs);
  }
  const cause = error instanceof Error ? error.cause : undefined;
  const code = errorCode(cause) ?? errorCode(error);
  const message = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  if (code && NOT_SENT_CODES.has(code)) {
    return new CarrierError('retryable', code, 'carrier_unknown', `could not connect to ${carrier} (${code}): ${message}`);
  }
  return new CarrierError('unknown', code ?? 'network', 'carrier_unknown', `connection to ${carrier} failed after the request may have been sent: ${message}`, unknownRetryAfterMs);
}

export const basicAuth = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export const trimSlash = (url: string) => url.replace(/\/+$/, '');
