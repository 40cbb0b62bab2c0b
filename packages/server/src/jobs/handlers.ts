/** Which use case runs each kind of job. */
import type { AppContext } from '../app-context.js';
import { runSandboxReceipt } from '../carriers/sandbox/sandbox-network.js';
import { SANDBOX_RECEIPT_JOB, type SandboxReceiptPayload } from '../carriers/sandbox/sandbox-carrier.js';
import { runSendJob, SEND_JOB } from '../use-cases/messages.js';
import type { JobHandlers } from './worker.js';

export function jobHandlers(ctx: AppContext): JobHandlers {
  return {
    [SEND_JOB]: async (payload: { messageId: string }, { job }) => {
      await runSendJob(ctx, payload.messageId, { number: job.attempts, max: job.max_attempts });
    },
    [SANDBOX_RECEIPT_JOB]: async (payload: SandboxReceiptPayload) => {
      await runSandboxReceipt(ctx, payload);
    },
  };
}
