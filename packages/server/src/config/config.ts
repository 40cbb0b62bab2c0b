/**
 * Configuration, from environment variables only. Every variable has a type, a default that boots
 * with no secrets, a description and a `sensitive` flag (never printed). `.env.example` documents them.
 */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  logLevel: string;
  /** Run the job workers inside `serve` (turn off when running `textback worker` processes apart). */
  runWorkers: boolean;
  workerConcurrency: number;
  jobLeaseMs: number;
  jobRetentionDays: number;
  pollIntervalMs: number;
  /** Largest HTTP request body accepted, in bytes. */
  bodyLimitBytes: number;
  /** Create the demo organization on first start. */
  demo: boolean;
  /** Becomes the admin API key on first start, for scripted setups. */
  apiKey: string | undefined;
  /** Delay before the sandbox carrier reports a delivery, in ms. */
  sandboxReceiptDelayMs: number;
  pgPoolSize: number;
  /** Longest wait for a webhook endpoint's answer, per attempt, in ms. */
  webhookTimeoutMs: number;
  webhookAllowPrivateUrls: boolean;
  /**
   * Key (32 bytes, base64 or hex) that encrypts carrier credentials at rest (AES-256-GCM). Unset:
   * a key file generated beside a SQLite database, or under ./data (docs/carriers/README.md).
   */
  secretKey: string | undefined;
  /** Where carriers reach this server (https://sms.example.com): the default of each carrier account. */
  publicBaseUrl: string | undefined;
  /** On first start, the owner's password (otherwise one is generated and printed once). */
  adminPassword: string | undefined;
  /** A signed-in session ends after this many hours without a request... */
  sessionIdleHours: number;
  /** ...and this many days after sign-in in any case. */
  sessionMaxDays: number;
  /** Behind a reverse proxy: trust X-Forwarded-For / X-Forwarded-Proto (client address for sign-in limits, Secure cookies). */
  trustProxy: boolean;
  /** The built web app (index.html and assets/); default packages/web/dist beside the server package. */
  webRoot: string | undefined;
  /** smtp://user:password@host:587 or smtps://…: where notification emails go (unset: logged as ids). */
  smtpUrl: string | undefined;
  /** The From of notification emails. */
  mailFrom: string;
  /** How long a new-text email waits to collect the rest of a burst, in seconds. */
  notifyDigestSeconds: number;
  /** The reply agent's optional language model: an OpenAI-compatible chat-completions URL (docs/reply-agent.md). */
  replyAgentModelUrl?: string | undefined;
  replyAgentModelKey?: string | undefined;
  replyAgentModel?: string | undefined;
  replyAgentModelTimeoutMs?: number;
}

interface VarSpec {
  name: string;
  key: keyof Config;
  type: 'int' | 'bool' | 'string' | 'log-level';
  default: string | undefined;
  description: string;
  sensitive?: boolean;
}

export const CONFIG_VARS: VarSpec[] = [
  { name: 'PORT', key: 'port', type: 'int', default: '3000', description: 'HTTP port' },
  { name: 'HOST', key: 'host', type: 'string', default: '127.0.0.1', description: 'Interface to listen on (0.0.0.0 for all)' },
  {
    name: 'DATABASE_URL',
    key: 'databaseUrl',
    type: 'string',
    default: './data/textback.db',
    description: 'A SQLite file path, or postgres://user:password@host:5432/db',
    sensitive: true,
  },
  { name: 'LOG_LEVEL', key: 'logLevel', type: 'log-level', default: 'info', description: 'fatal, error, warn, info, debug, trace or silent' },
  { name: 'TEXTBACK_WORKERS', key: 'runWorkers', type: 'bool', default: 'true', description: 'Run job workers inside `serve`' },
  { name: 'WORKER_CONCURRENCY', key: 'workerConcurrency', type: 'int', default: '32', description: 'Jobs run at once per worker process' },
  { name: 'JOB_LEASE_MS', key: 'jobLeaseMs', type: 'int', default: '60000', description: 'How long a claimed job stays locked before another worker may take it over' },
  {
    name: 'JOB_RETENTION_DAYS',
    key: 'jobRetentionDays',
    type: 'int',
    default: '7',
    description: 'Days that completed and cancelled jobs stay listed before they are deleted (0: never deleted); dead jobs are kept',
  },
  { name: 'JOB_POLL_INTERVAL_MS', key: 'pollIntervalMs', type: 'int', default: '50', description: 'Longest wait between looks for due jobs' },
  { name: 'BODY_LIMIT_BYTES', key: 'bodyLimitBytes', type: 'int', default: '1048576', description: 'Largest HTTP request body (413 above it)' },
  { name: 'TEXTBACK_DEMO', key: 'demo', type: 'bool', default: 'true', description: 'Create the demo organization on first start' },
  { name: 'TEXTBACK_API_KEY', key: 'apiKey', type: 'string', default: undefined, description: 'On first start, becomes the admin API key', sensitive: true },
  { name: 'SANDBOX_RECEIPT_DELAY_MS', key: 'sandboxReceiptDelayMs', type: 'int', default: '1000', description: 'Delay before the sandbox carrier reports delivery' },
  {
    name: 'WEBHOOK_ALLOW_PRIVATE_URLS',
    key: 'webhookAllowPrivateUrls',
    type: 'bool',
    default: 'false',
    description: 'Let webhook endpoints be on this machine or a private network (localhost, 10.x, 192.168.x, 169.254.x...); off, such deliveries are refused (docs/integrations.md)',
  },
  { name: 'WEBHOOK_TIMEOUT_MS', key: 'webhookTimeoutMs', type: 'int', default: '10000', description: "Longest wait for a webhook endpoint's answer per attempt (docs/integrations.md)" },
  { name: 'PG_POOL_SIZE', key: 'pgPoolSize', type: 'int', default: '10', description: 'PostgreSQL connections per process' },
  {
    name: 'TEXTBACK_SECRET_KEY',
    key: 'secretKey',
    type: 'string',
    default: undefined,
    description: 'Encrypts carrier credentials at rest: 32 bytes, base64 or hex (openssl rand -base64 32)',
    sensitive: true,
  },
  {
    name: 'PUBLIC_BASE_URL',
    key: 'publicBaseUrl',
    type: 'string',
    default: undefined,
    description: 'Where carriers reach this server, e.g. https://sms.example.com (webhook URLs and their signatures)',
  },
  {
    name: 'TEXTBACK_ADMIN_PASSWORD',
    key: 'adminPassword',
    type: 'string',
    default: undefined,
    description: "On first start, becomes the owner's sign-in password (10 to 200 characters)",
    sensitive: true,
  },
  { name: 'SESSION_IDLE_HOURS', key: 'sessionIdleHours', type: 'int', default: '72', description: 'A signed-in session ends after this many hours without a request' },
  { name: 'SESSION_MAX_DAYS', key: 'sessionMaxDays', type: 'int', default: '30', description: 'A signed-in session ends this many days after sign-in' },
  { name: 'TRUST_PROXY', key: 'trustProxy', type: 'bool', default: 'false', description: 'Trust X-Forwarded-For and X-Forwarded-Proto from a reverse proxy' },
  { name: 'TEXTBACK_WEB_ROOT', key: 'webRoot', type: 'string', default: undefined, description: 'Directory of the built web app (default: packages/web/dist)' },
  {
    name: 'SMTP_URL',
    key: 'smtpUrl',
    type: 'string',
    default: undefined,
    description: 'Notification emails: smtp://user:password@host:587 (STARTTLS) or smtps://…:465; unset: notifications are logged as ids',
    sensitive: true,
  },
  { name: 'MAIL_FROM', key: 'mailFrom', type: 'string', default: 'Textback <textback@localhost>', description: 'The From of notification emails' },
  { name: 'NOTIFY_DIGEST_SECONDS', key: 'notifyDigestSeconds', type: 'int', default: '120', description: 'A new-text email waits this long to collect a burst of texts into one email' },
  {
    name: 'REPLY_AGENT_MODEL_URL',
    key: 'replyAgentModelUrl',
    type: 'string',
    default: undefined,
    description: "The reply agent's optional language model: an OpenAI-compatible chat completions URL, e.g. http://127.0.0.1:8080/v1/chat/completions (unset: rules only)",
  },
  { name: 'REPLY_AGENT_MODEL_KEY', key: 'replyAgentModelKey', type: 'string', default: undefined, description: 'Bearer key for REPLY_AGENT_MODEL_URL', sensitive: true },
  { name: 'REPLY_AGENT_MODEL', key: 'replyAgentModel', type: 'string', default: undefined, description: 'Model name sent to REPLY_AGENT_MODEL_URL' },
  { name: 'REPLY_AGENT_MODEL_TIMEOUT_MS', key: 'replyAgentModelTimeoutMs', type: 'int', default: '8000', description: 'Longest wait for the model; then the rules answer' },
];

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const v of CONFIG_VARS) {
    const shown = () => (v.sensitive ? '(hidden: it is a secret)' : `"${raw}"`);
    const raw = env[v.name] === undefined || env[v.name] === '' ? v.default : env[v.name];
    if (raw === undefined) {
      out[v.key] = undefined;
      continue;
    }
    switch (v.type) {
      case 'int': {
        const n = Number(raw);
        if (!Number.isInteger(n) || n < 0) problems.push(`${v.name} must be a whole number ≥ 0 (${v.description}); got ${shown()}`);
        out[v.key] = n;
        break;
      }
      case 'bool': {
        const s = raw.toLowerCase();
        if (!['true', 'false', '1', '0', 'yes', 'no'].includes(s)) problems.push(`${v.name} must be true or false; got ${shown()}`);
        out[v.key] = ['true', '1', 'yes'].includes(s);
        break;
      }
      case 'log-level':
        if (!LOG_LEVELS.includes(raw)) problems.push(`${v.name} must be one of ${LOG_LEVELS.join(', ')}; got ${shown()}`);
        out[v.key] = raw;
        break;
      default:
        out[v.key] = raw;
    }
  }
  const config = out as unknown as Config;
  if (config.port > 65535) problems.push(`PORT must be at most 65535; got ${config.port}`);
  if (config.workerConcurrency < 1) problems.push('WORKER_CONCURRENCY must be at least 1');
  if (config.jobRetentionDays < 0) problems.push('JOB_RETENTION_DAYS must be 0 (keep every job) or more');
  if (config.apiKey !== undefined && !/^[A-Za-z0-9_-]{24,128}$/.test(config.apiKey)) {
    problems.push('TEXTBACK_API_KEY must be 24 to 128 letters, digits, _ or - (it is a secret: make it long)');
  }
  if (config.adminPassword !== undefined && ([...config.adminPassword].length < 10 || [...config.adminPassword].length > 200)) {
    problems.push('TEXTBACK_ADMIN_PASSWORD must be 10 to 200 characters long');
  }
  if (config.sessionIdleHours < 1) problems.push('SESSION_IDLE_HOURS must be at least 1');
  if (config.sessionMaxDays < 1) problems.push('SESSION_MAX_DAYS must be at least 1');
  if (config.secretKey !== undefined && !isSecretKey(config.secretKey)) {
    problems.push('TEXTBACK_SECRET_KEY must be 32 bytes in base64 (44 characters) or hex (64 characters), e.g. the output of `openssl rand -base64 32`');
  }
  if (config.publicBaseUrl !== undefined && !/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(config.publicBaseUrl)) {
    problems.push(`PUBLIC_BASE_URL must be an http(s) URL without query, e.g. https://sms.example.com; got "${config.publicBaseUrl}"`);
  }
  if (config.smtpUrl !== undefined && !/^smtps?:\/\/[^/?#\s]+\/?(\?[^#\s]*)?$/.test(config.smtpUrl)) {
    problems.push('SMTP_URL must be smtp://user:password@host:port or smtps://user:password@host:port (it is a secret: not shown)');
  }
  if (!/^[^\r\n]*@[^\r\n]*$/.test(config.mailFrom)) problems.push(`MAIL_FROM must be an address such as "Textback <sms@example.com>"; got "${config.mailFrom}"`);
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}

/** 32 bytes, as 64 hex digits or base64 (standard or URL-safe). */
export function isSecretKey(value: string): boolean {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return true;
  return /^[A-Za-z0-9+/_-]{43}=?$/.test(value) && Buffer.from(value, 'base64').length === 32;
}
