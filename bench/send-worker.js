/**
 * A Textback worker process whose 'twilio' carrier is the real Twilio adapter pointed at the local
 * fake (`textback worker` cannot be given a carrier from the command line). It opens Textback,
 * says "ready" over IPC, starts its workers on "go" and stops them on "stop" (answering "stopped"). DATABASE_URL, FAKE_TWILIO_URL,
 * TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, WORKER_CONCURRENCY, PG_POOL_SIZE from the environment.
 */
import { TwilioCarrier } from '../packages/server/dist/carriers/twilio/twilio-carrier.js';
import { loadConfig } from '../packages/server/dist/config/config.js';
import { createLogger } from '../packages/server/dist/support/logger.js';
import { createTextback } from '../packages/server/dist/textback.js';

const config = loadConfig({
  DATABASE_URL: process.env.DATABASE_URL,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  TEXTBACK_WORKERS: 'true',
  WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY ?? '32',
  PG_POOL_SIZE: process.env.PG_POOL_SIZE ?? '10',
});
const tb = await createTextback({
  config,
  logger: createLogger(config.logLevel),
  carriers: [
    new TwilioCarrier({
      kind: 'twilio',
      accountSid: process.env.TWILIO_ACCOUNT_SID,
      authToken: process.env.TWILIO_AUTH_TOKEN,
      baseUrl: process.env.FAKE_TWILIO_URL,
      publicBaseUrl: 'http://127.0.0.1:1',
      timeoutMs: 10_000,
    }),
  ],
});
process.on('message', (m) => {
  if (m?.type === 'go') tb.startWorkers();
  if (m?.type === 'stop') void tb.worker.stop().then(() => process.send?.({ type: 'stopped' }));
});
process.send?.({ type: 'ready' });

const shutdown = async () => {
  await tb.close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
