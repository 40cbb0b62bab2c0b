/** Which use case runs each kind of job. */
import type { AppContext } from '../app-context.js';
import { runSandboxReceipt } from '../carriers/sandbox/sandbox-network.js';
import { SANDBOX_RECEIPT_JOB, type SandboxReceiptPayload } from '../carriers/sandbox/sandbox-carrier.js';
import { runSendJob, SEND_JOB } from '../use-cases/messages.js';
import { ADVANCE_JOB, NOT_REPLIED_JOB, runAdvanceJob, runNotRepliedCheck, WEBHOOK_JOB } from '../use-cases/automations/engine.js';
import { runWebhookJob, type WebhookJobPayload } from '../use-cases/automations/webhook.js';
import type { InboundMessage } from '../carriers/carrier.js';
import { INBOUND_JOB, runInboundJob } from '../use-cases/ingest.js';
import { runTeamInboundJob, TEAM_INBOUND_JOB, type TeamInboundPayload } from '../use-cases/teams/inbound.js';
import { QUEUE_DISPATCH_JOB } from '../use-cases/teams/common.js';
import { INVITE_TIMEOUT_JOB, runInviteTimeout, runQueueDispatch } from '../use-cases/teams/sessions.js';
import {
  AGENT_CANCEL_JOB,
  AGENT_DIAL_JOB,
  AGENT_STEP_JOB,
  RING_TIMEOUT_JOB,
  runAgentCallCancel,
  runAgentCallDial,
  runAgentCallStep,
  runRingTimeout,
  type AgentCallStep,
} from '../use-cases/teams/speed-to-lead.js';
import { CARRIER_CALL_JOB, CARRIER_RECEIPT_JOB, runCarrierCallJob, runCarrierReceiptJob, type CallJobPayload, type ReceiptJobPayload } from '../use-cases/carrier-events.js';
import type { BatchJobHandlers, JobHandlers } from './worker.js';
import { PRUNE_JOB, pruneFinishedJobs } from './retention.js';
import { runSendBatch } from '../use-cases/send-batch.js';
import { runInboundBatch } from '../use-cases/receive-batch.js';
import { FAILURE_JOB, runFailureJob, type FailurePayload } from '../use-cases/notifications/failures.js';
import { NEW_TEXTS_JOB, runNewTextsJob, type NewTextsPayload } from '../use-cases/notifications/new-texts.js';
import { runWebhookDelivery, WEBHOOK_DELIVERY_JOB } from '../use-cases/webhook-endpoints.js';
import { CALLBACK_DUE_JOB, REPLY_TURN_JOB, runCallbackDue, runReplyTurnJob } from '../use-cases/reply-agent.js';

export function jobHandlers(ctx: AppContext): JobHandlers {
  return {
    [INBOUND_JOB]: async (payload: InboundMessage, { job }) => {
      await runInboundJob(ctx, payload, job.id);
    },
    [SEND_JOB]: async (payload: { messageId: string }, { job }) => {
      // A text held by the compliance gate, or waiting for its sender's rate slot, snoozes.
      return runSendJob(ctx, payload.messageId, { number: job.attempts, max: job.max_attempts });
    },
    // The scheduler's own upkeep (jobs/retention.ts).
    [PRUNE_JOB]: async () => pruneFinishedJobs(ctx),
    [SANDBOX_RECEIPT_JOB]: async (payload: SandboxReceiptPayload) => {
      await runSandboxReceipt(ctx, payload);
    },
    // Carriers' webhooks (docs/carriers/): delivery receipts and finished calls.
    [CARRIER_RECEIPT_JOB]: async (payload: ReceiptJobPayload) => {
      await runCarrierReceiptJob(ctx, payload);
    },
    [CARRIER_CALL_JOB]: async (payload: CallJobPayload, { job }) => {
      await runCarrierCallJob(ctx, payload, job.id);
    },
    [ADVANCE_JOB]: async (payload: { runId: string }) => {
      await runAdvanceJob(ctx, payload.runId);
    },
    [NOT_REPLIED_JOB]: async (payload: Parameters<typeof runNotRepliedCheck>[1]) => {
      await runNotRepliedCheck(ctx, payload);
    },
    [WEBHOOK_JOB]: async (payload: WebhookJobPayload) => {
      await runWebhookJob(ctx, payload);
    },
    // The reply agent's callback reminders (docs/reply-agent.md).
    [CALLBACK_DUE_JOB]: async (payload: { callbackId: string }) => {
      await runCallbackDue(ctx, payload);
    },
    [REPLY_TURN_JOB]: async (payload: { messageId: string }) => {
      await runReplyTurnJob(ctx, payload);
    },
    // Teams (docs/teams.md): inbound routing, lead ring timeouts, queue invite timeouts.
    [TEAM_INBOUND_JOB]: async (payload: TeamInboundPayload) => {
      await runTeamInboundJob(ctx, payload);
    },
    [RING_TIMEOUT_JOB]: async (payload: { ringId: string }) => {
      await runRingTimeout(ctx, payload);
    },
    [AGENT_DIAL_JOB]: async (payload: { callId: string }) => {
      await runAgentCallDial(ctx, payload);
    },
    [AGENT_CANCEL_JOB]: async (payload: { callId: string }) => {
      await runAgentCallCancel(ctx, payload);
    },
    [AGENT_STEP_JOB]: async (payload: { callId: string; step: AgentCallStep }) => {
      await runAgentCallStep(ctx, payload);
    },
    [INVITE_TIMEOUT_JOB]: async (payload: { sessionId: string }) => {
      await runInviteTimeout(ctx, payload);
    },
    [QUEUE_DISPATCH_JOB]: async (payload: { queueId: string }) => {
      await runQueueDispatch(ctx, payload);
    },
    // Email notifications (docs/notifications.md).
    [NEW_TEXTS_JOB]: async (payload: NewTextsPayload, { job }) => {
      await runNewTextsJob(ctx, job.org_id ?? '', payload);
    },
    [FAILURE_JOB]: async (payload: FailurePayload, { job }) => {
      await runFailureJob(ctx, job.org_id ?? '', payload);
    },
    // Webhook subscriptions (docs/integrations.md): one attempt of one delivery, or a snooze.
    [WEBHOOK_DELIVERY_JOB]: async (payload: { deliveryId: string }) => runWebhookDelivery(ctx, payload.deliveryId),
  };
}

/** Kinds run a claimed batch at a time (a job claimed alone goes to its handler above). */
export function batchJobHandlers(ctx: AppContext): BatchJobHandlers {
  return {
    [SEND_JOB]: (jobs: Array<{ job: { attempts: number; max_attempts: number }; payload: { messageId: string } }>, { log }) =>
      runSendBatch(
        ctx,
        jobs.map(({ job, payload }) => ({ messageId: payload.messageId, attempt: { number: job.attempts, max: job.max_attempts } })),
        log,
      ),
    // Inbound texts: the common path of a claimed batch together (use-cases/receive-batch.ts).
    [INBOUND_JOB]: (jobs: Array<{ job: { id: string }; payload: InboundMessage }>, { log }) =>
      runInboundBatch(
        ctx,
        jobs.map(({ job, payload }) => ({ jobId: job.id, inbound: payload })),
        log,
      ),
  };
}
