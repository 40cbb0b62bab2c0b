import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import type { EventHub } from '../../events/event-hub.js';
import { eventsSince, latestEventSeq } from '../../use-cases/events.js';
import { principalOf } from '../auth.js';

const POLL_MS = 1000;
const HEARTBEAT_MS = 15_000;

/**
 * `GET /v1/events`: a live stream (server-sent events) of the organization's events: new messages,
 * status changes, calls. Each event's id is its sequence number: reconnect with Last-Event-ID (or
 * ?after=) to resume without a gap. Events carry ids and states; fetch the resource for the rest.
 */
export const eventRoutes =
  (ctx: AppContext & { hub?: EventHub }): FastifyPluginAsyncTypebox =>
  async (app) => {
    // Open streams end when the server closes; otherwise one connected client keeps it from shutting down.
    const open = new Set<AbortController>();
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
      for (const a of open) a.abort();
    });

    app.get(
      '/events',
      {
        schema: {
          tags: ['events'],
          summary: 'Live event stream (text/event-stream); resume with Last-Event-ID',
          querystring: Type.Object({
            after: Type.Optional(Type.Integer({ minimum: 0, description: 'Start after this sequence number (default: now)' })),
            once: Type.Optional(Type.Boolean({ description: 'Send what is there and close (for polling clients and tests)' })),
          }),
        },
      },
      async (request, reply) => {
        const orgId = principalOf(request).orgId;
        const lastEventId = Number(request.headers['last-event-id']);
        let after = Number.isFinite(lastEventId) && lastEventId >= 0 ? lastEventId : (request.query.after ?? (await latestEventSeq(ctx, orgId)));
        const abort = new AbortController();
        request.raw.on('close', () => abort.abort());
        open.add(abort);
        abort.signal.addEventListener('abort', () => open.delete(abort), { once: true });
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        res.write(': textback event stream\n\n');
        let lastWrite = Date.now();
        while (!abort.signal.aborted) {
          const events = await eventsSince(ctx, orgId, after);
          for (const e of events) {
            res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify({ seq: e.seq, type: e.type, subject_type: e.subject_type, subject_id: e.subject_id, data: JSON.parse(e.data) as unknown, created_at: new Date(e.created_at).toISOString() })}\n\n`);
            after = e.seq;
            lastWrite = Date.now();
          }
          if (request.query.once) break;
          if (events.length === 500) continue;
          if (Date.now() - lastWrite > HEARTBEAT_MS) {
            res.write(': heartbeat\n\n');
            lastWrite = Date.now();
          }
          if (ctx.hub) await ctx.hub.wait(orgId, POLL_MS, abort.signal);
          else await new Promise((r) => setTimeout(r, POLL_MS));
        }
        open.delete(abort);
        // On shutdown, end the connection with the stream: left open and idle, it holds close() up
        // until the client's keep-alive timeout.
        const socket = request.raw.socket;
        res.end();
        if (closing) res.once('finish', () => socket.end());
      },
    );
  };
