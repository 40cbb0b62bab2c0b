/**
 * The HTTP client of webhook deliveries, and the guard against server-side request forgery: an
 * organization's admin chooses the URL, so a delivery must not reach this machine or its private
 * network (a cloud's metadata service at 169.254.169.254, a database's admin port, an internal API)
 * unless the operator allows it with WEBHOOK_ALLOW_PRIVATE_URLS=true.
 *
 * The check is made on the addresses the connection actually uses: the host name is resolved inside
 * the connection (undici's `connect.lookup`), so a name that resolves to a public address when the
 * endpoint is saved and to a private one later (DNS rebinding) is still refused. IP ranges come from
 * ipaddr.js (the IANA special-purpose registries): only `unicast` (public) addresses pass.
 * See OWASP's SSRF prevention cheat sheet:
 * https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html
 */
import dns from 'node:dns';
import type { LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { Agent, request } from 'undici';

/** Whether an IP address is a public (globally routable unicast) one. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  return ip.range() === 'unicast';
}

/** The reason a URL's host may not be used, or null. For an IP literal or `localhost`; names are checked when connecting. */
export function privateHostReason(url: URL): string | null {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is this machine`;
  if (ipaddr.isValid(host) && !isPublicAddress(host)) return `${host} is a private address`;
  return null;
}

export class BlockedAddressError extends Error {
  readonly code = 'EBLOCKEDADDRESS';
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup, refusing names that resolve to any non-public address. */
function publicOnlyLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '');
    const blocked = addresses.find((a) => !isPublicAddress(a.address));
    if (blocked) return callback(new BlockedAddressError(`${hostname} resolves to a private address (${blocked.address})`), '');
    if (options.all) return callback(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
}

/** One keep-alive pool for all deliveries of this process (a receiver's connections are reused), guarded or not. */
const agents = new Map<boolean, Agent>();
function agentFor(allowPrivate: boolean): Agent {
  let agent = agents.get(allowPrivate);
  if (!agent) {
    agent = new Agent({ keepAliveTimeout: 10_000, connections: 64, ...(allowPrivate ? {} : { connect: { lookup: publicOnlyLookup as never } }) });
    agents.set(allowPrivate, agent);
  }
  return agent;
}

export interface WebhookAnswer {
  status: number;
  text: string;
}

/**
 * POSTs one delivery. Redirects are not followed (a 3xx is an answer, and a failure). Rejects with
 * `{ message }` naming what went wrong: the address refused, no answer in time, or the network error.
 */
export async function postWebhook(url: string, headers: Record<string, string>, body: string, options: { timeoutMs: number; allowPrivate: boolean }): Promise<WebhookAnswer> {
  const target = new URL(url);
  const literal = options.allowPrivate ? null : privateHostReason(target);
  if (literal) throw new BlockedAddressError(literal);
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await request(target, { method: 'POST', headers, body, signal, dispatcher: agentFor(options.allowPrivate) });
    const text = await response.body.text().catch(() => '');
    return { status: response.statusCode, text };
  } catch (error) {
    if (signal.aborted) throw new Error(`no answer within ${options.timeoutMs} ms`);
    throw error;
  }
}

/** The words for a failed attempt: the blocked address with the setting that allows it, a network code, or the message. */
export function deliveryErrorText(error: unknown): string {
  if (error instanceof BlockedAddressError || (error as { cause?: unknown })?.cause instanceof BlockedAddressError) {
    const e = error instanceof BlockedAddressError ? error : ((error as { cause: BlockedAddressError }).cause);
    return `blocked: ${e.message}; set WEBHOOK_ALLOW_PRIVATE_URLS=true to allow private addresses`;
  }
  const e = error as Error & { code?: string; cause?: { code?: string } };
  return e.cause?.code ?? (e.code && e.code !== 'UND_ERR_SOCKET' ? e.code : e.message);
}
