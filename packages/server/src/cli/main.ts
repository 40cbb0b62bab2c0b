#!/usr/bin/env node
/**
 * `textback`: the command line. Serve the API, run workers, migrate, manage users and keys, send,
 * play the sandbox, and inspect jobs. `textback --help` and `textback <command> --help` for details.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import fs from 'node:fs';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { listJobs, retryJob } from '../jobs/job-queue.js';
import { createTextback, type Textback } from '../textback.js';
import { transaction } from '../app-context.js';
import { AppError } from '../support/errors.js';
import { createLogger } from '../support/logger.js';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  resendWebhookDelivery,
  WEBHOOK_EVENT_TYPES,
} from '../use-cases/webhook-endpoints.js';
import { CALL_OUTCOMES, handsetMessages, sandboxCall, sandboxText, setSandboxFailure, type SandboxCallOutcome } from '../carriers/sandbox/sandbox-network.js';
import { SANDBOX_FAILURES, type SandboxFailure } from '../carriers/sandbox/sandbox-carrier.js';
import { createDemoOrganization, isFirstStart } from '../use-cases/demo.js';
import { sendMessage } from '../use-cases/messages.js';
import { checkedPasswordHash, createApiKey, createOrganization, createUser, revokeApiKey } from '../use-cases/organizations.js';
import { generatePassword } from '../use-cases/auth/passwords.js';
import { setPassword } from '../use-cases/auth/sessions.js';
import { registerNumber } from '../use-cases/numbers.js';
import { createCarrierAccount, deleteCarrierAccount, getCarrierAccount, importNumbers, listCarrierAccounts, updateCarrierAccount, webhookSetup } from '../use-cases/carrier-accounts.js';
import { sandboxAccountId } from '../use-cases/carrier-accounts.js';
import { buyNumber, releaseNumber, searchAvailableNumbers } from '../use-cases/number-ordering.js';
import { listAutomations } from '../use-cases/automations/automation-store.js';
import { createMissedCallPreset } from '../use-cases/automations/presets.js';
import { breakdownReport, DIMENSIONS, experimentReport, summaryReport, timeseriesReport, type Dimension, type ReportInput } from '../analytics/report.js';
import { breakdownCsv, experimentCsv, summaryCsv, timeseriesCsv } from '../analytics/csv.js';
import { INTERVALS, type Interval } from '../analytics/range.js';
import { describeStartupError } from './startup-errors.js';
import { defaultOrganization, resolveOrg as resolveOrgOf, useOrganization } from './default-org.js';
import { contactsCsv, parseSearch, searchContactsParsed } from '../use-cases/search.js';
import type { Principal } from '../use-cases/organizations.js';

// A `.env` file in the working directory, if there is one (variables already set win).
if (fs.existsSync('.env')) process.loadEnvFile('.env');

const program = new Command();
program.name('textback').description('Textback: self-hosted SMS engine for sales and support teams').version('0.1.0');

function config(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

/** Opens Textback without the HTTP server or workers, for one command. */
async function withTextback<T>(fn: (tb: Textback) => Promise<T>): Promise<T> {
  const tb = await createTextback({ config: config(), logger: createLogger(process.env.LOG_LEVEL ?? 'warn') });
  try {
    return await fn(tb);
  } finally {
    await tb.close();
  }
}

/** `--org`, else TEXTBACK_ORG, else the default of `textback use`, else the only organization (cli/default-org.ts). */
const resolveOrg = (tb: Textback, orgOption: string | undefined): Promise<string> => resolveOrgOf(tb, tb.ctx.config, orgOption);

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

program
  .command('serve')
  .description('Run the HTTP API (and, unless TEXTBACK_WORKERS=false, the job workers). Creates the demo organization on first start.')
  .action(async () => {
    const cfg = config();
    const started = performance.now();
    const tb = await createTextback({ config: cfg });
    const log = tb.ctx.log;
    // Signals first, so that a stop requested while starting is still graceful.
    const shutdown = async (signal: string) => {
      log.info({ signal }, 'shutting down');
      await tb.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    // The port first: a port in use ends the start before anything is set up or any worker runs.
    let address: string;
    tb.setStarting(true); // /health says 503 until the first organization and its key exist
    try {
      address = await tb.listen();
    } catch (error) {
      await tb.close().catch(() => undefined);
      throw error;
    }
    let signInAs: string | undefined;
    if (await isFirstStart(tb.ctx)) {
      const password = cfg.adminPassword ?? generatePassword();
      const created = cfg.demo
        ? await createDemoOrganization(tb.ctx, { ...(cfg.apiKey ? { apiKey: cfg.apiKey } : {}), ownerPassword: password })
        : await createOrganization(tb.ctx, { name: 'My organization', ownerEmail: 'owner@localhost', ownerPassword: password, ...(cfg.apiKey ? { apiKey: cfg.apiKey } : {}) });
      signInAs = created.owner.email;
      // Shown once, on the terminal only (never in the structured logs).
      process.stdout.write(
        `\n  Textback is set up${cfg.demo ? ' with a demo organization' : ''} (${created.org.name}).\n` +
          (cfg.adminPassword
            ? `  Owner sign-in: ${created.owner.email}, password: the value of TEXTBACK_ADMIN_PASSWORD\n`
            : `  Owner sign-in: ${created.owner.email}, password (shown once, keep it or change it after signing in): ${password}\n`) +
          (cfg.apiKey ? '  Admin API key: the value of TEXTBACK_API_KEY\n' : `  Admin API key (shown once, keep it): ${created.apiKey}\n`) +
          (cfg.demo ? '  Demo business number: +14159434591 (sandbox carrier)\n' : ''),
      );
    }
    if (cfg.runWorkers) tb.startWorkers();
    tb.setStarting(false);
    const url = address.replace('127.0.0.1', 'localhost');
    if (signInAs) process.stdout.write(`\n  Open ${url}/ and sign in as ${signInAs}\n`);
    process.stdout.write(`\n  Textback is running at ${url}  (API docs: ${url}/docs)\n\n`);
    log.info({ db: tb.ctx.db.description, startupMs: Math.round(performance.now() - started) }, 'ready');
  });

program
  .command('worker')
  .description('Run job workers without the HTTP server (scale out on PostgreSQL: run several)')
  .action(async () => {
    const tb = await createTextback({ config: config() });
    tb.startWorkers();
    tb.ctx.log.info({ db: tb.ctx.db.description }, 'worker process ready');
    const shutdown = async () => {
      await tb.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void shutdown());
    process.once('SIGTERM', () => void shutdown());
  });

program
  .command('migrate')
  .description('Apply pending database migrations (serve and worker apply them too)')
  .action(async () => {
    const cfg = config();
    const db = openDatabase(cfg.databaseUrl);
    try {
      const applied = await migrateToLatest(db);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'the database is up to date');
    } finally {
      await db.close();
    }
  });

const orgs = program.command('orgs').description('Organizations (tenants)');
orgs
  .command('create')
  .description('Create an organization with its owner; prints the owner\'s API key once')
  .requiredOption('--name <name>', 'organization name')
  .requiredOption('--owner-email <email>', "the owner's email")
  .option('--time-zone <zone>', 'IANA time zone', 'America/New_York')
  .action(async (o: { name: string; ownerEmail: string; timeZone: string }) => {
    await withTextback(async (tb) => {
      const created = await createOrganization(tb.ctx, { name: o.name, ownerEmail: o.ownerEmail, timeZone: o.timeZone });
      print({ org_id: created.org.id, owner_id: created.owner.id, api_key: created.apiKey });
    });
  });

orgs
  .command('list')
  .description('Organizations: id, name, and which one is the default (`textback use`)')
  .action(async () => {
    await withTextback(async (tb) => {
      const fallback = defaultOrganization(tb.ctx.config);
      const rows = await tb.ctx.db.kysely.selectFrom('organizations').select(['id', 'name']).orderBy('created_at').execute();
      for (const o of rows) console.log(`${o.id}  ${o.name}${o.id === fallback ? '  (default)' : ''}`);
      if (rows.length === 0) console.log('no organizations yet');
    });
  });

program
  .command('use <org>')
  .description('Make an organization (id or name) the default of later commands on this database (--org and TEXTBACK_ORG still win)')
  .action(async (org: string) => {
    await withTextback(async (tb) => {
      const { org: chosen, file } = await useOrganization(tb, tb.ctx.config, org);
      console.log(`commands now act on ${chosen.id} (${chosen.name}) by default (kept in ${file})`);
    });
  });

const users = program.command('users').description('Users of an organization');
users
  .command('create')
  .description('Create a user')
  .requiredOption('--email <email>')
  .requiredOption('--name <name>')
  .addOption(new Option('--role <role>').choices(['owner', 'admin', 'supervisor', 'agent']).default('agent'))
  .option('--password <password>', 'their sign-in password, 10 to 200 characters (visible to other users of this machine: prefer --password-stdin)')
  .option('--password-stdin', 'read the sign-in password from standard input (one line)')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (o: { email: string; name: string; role: 'owner' | 'admin' | 'supervisor' | 'agent'; org?: string; password?: string; passwordStdin?: boolean }) => {
    const password = await passwordOption(o);
    await withTextback(async (tb) => {
      const orgId = await resolveOrg(tb, o.org);
      const passwordHash = password !== undefined ? await checkedPasswordHash(password) : undefined;
      const user = await transaction(tb.ctx, (tx) => createUser(tb.ctx, tx, { orgId, email: o.email, name: o.name, role: o.role, ...(passwordHash ? { passwordHash } : {}) }));
      print({ id: user.id, email: user.email, role: user.role, has_password: user.password_hash !== null });
    });
  });
users
  .command('set-password <email>')
  .description("Set a user's sign-in password (their sessions end)")
  .option('--password <password>', 'the new password, 10 to 200 characters (prefer --password-stdin)')
  .option('--password-stdin', 'read the password from standard input (one line)')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (email: string, o: { org?: string; password?: string; passwordStdin?: boolean }) => {
    const password = await passwordOption(o);
    if (password === undefined) throw new AppError('validation_failed', 'give the password with --password-stdin (or --password)');
    await withTextback(async (tb) => {
      const orgId = await resolveOrg(tb, o.org);
      const user = await tb.ctx.db.kysely.selectFrom('users').select('id').where('org_id', '=', orgId).where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
      if (!user) throw new AppError('not_found', `no user with email ${email} in organization ${orgId}`);
      await setPassword(tb.ctx, orgId, user.id, password);
      print({ id: user.id, email: email.trim().toLowerCase(), has_password: true });
    });
  });

/** --password or --password-stdin (the first line of standard input, without its line ending). */
async function passwordOption(o: { password?: string; passwordStdin?: boolean }): Promise<string | undefined> {
  if (o.password !== undefined && o.passwordStdin) throw new AppError('validation_failed', 'give --password or --password-stdin, not both');
  if (!o.passwordStdin) return o.password;
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  return input.split(/\r?\n/)[0] ?? '';
}

const keys = program.command('keys').description('API keys');
keys
  .command('create')
  .description("Create an API key for a user (printed once; stored hashed)")
  .requiredOption('--user <id>', 'user id')
  .option('--name <name>', 'a label', 'cli')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (o: { user: string; name: string; org?: string }) => {
    await withTextback(async (tb) => {
      const orgId = await resolveOrg(tb, o.org);
      const key = await transaction(tb.ctx, (tx) => createApiKey(tb.ctx, tx, { orgId, userId: o.user, name: o.name }));
      print({ id: key.id, key: key.key });
    });
  });
keys
  .command('revoke <id>')
  .description('Revoke an API key')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (id: string, o: { org?: string }) => {
    await withTextback(async (tb) => {
      await revokeApiKey(tb.ctx, await resolveOrg(tb, o.org), id);
      console.log(`revoked ${id}`);
    });
  });

const numbers = program.command('numbers').description('Business numbers');
numbers
  .command('add <e164>')
  .description('Register a business number (sandbox carrier by default); the same checks as POST /v1/numbers')
  .option('--name <name>')
  .option('--team <id>', 'the team its texts and calls go to')
  .option('--carrier-account <id>', 'the carrier account it sends through (default: the sandbox carrier)')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (e164: string, o: { name?: string; team?: string; carrierAccount?: string; org?: string }) => {
    await withTextback(async (tb) => {
      const n = await registerNumber(tb.ctx, await resolveOrg(tb, o.org), { phone: e164, name: o.name, teamId: o.team, carrierAccountId: o.carrierAccount });
      print({ id: n.id, phone: n.e164, carrier: n.carrier, team_id: n.team_id });
    });
  });

const carriers = program.command('carriers').description('Carrier accounts: Twilio, Telnyx, Bandwidth (docs/carriers/)');
carriers
  .command('add <kind>')
  .description('Add a carrier account (twilio | telnyx | bandwidth | sandbox); secrets may come from TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN, TELNYX_API_KEY, BANDWIDTH_API_USER / BANDWIDTH_API_PASSWORD')
  .option('--name <name>')
  .option('--public-url <url>', 'where the carrier reaches this server (default PUBLIC_BASE_URL)')
  .option('--api-url <url>', "the carrier's API origin, when not production")
  .option('--account-sid <sid>', 'Twilio Account SID')
  .option('--auth-token <token>', 'Twilio Auth Token')
  .option('--api-key <key>', 'Telnyx API key')
  .option('--public-key <base64>', 'Telnyx webhook public key (Mission Control → Keys & Credentials)')
  .option('--messaging-profile <id>', 'Telnyx messaging profile id')
  .option('--connection <id>', 'Telnyx Call Control connection id (speed to lead rings agents from it)')
  .option('--bandwidth-account <id>', 'Bandwidth account id')
  .option('--application <id>', 'Bandwidth messaging application id')
  .option('--voice-application <id>', 'Bandwidth voice application id (speed to lead rings agents through it)')
  .option('--api-user <user>', 'Bandwidth API user')
  .option('--api-password <password>', 'Bandwidth API password')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (kind: string, o: Record<string, string | undefined>) => {
    const env = process.env;
    const pick = (entries: Record<string, string | undefined>) =>
      Object.fromEntries(Object.entries(entries).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
    const credentials = pick(
      kind === 'twilio'
        ? { account_sid: o.accountSid ?? env.TWILIO_ACCOUNT_SID, auth_token: o.authToken ?? env.TWILIO_AUTH_TOKEN }
        : kind === 'telnyx'
          ? { api_key: o.apiKey ?? env.TELNYX_API_KEY }
          : kind === 'bandwidth'
            ? { api_user: o.apiUser ?? env.BANDWIDTH_API_USER, api_password: o.apiPassword ?? env.BANDWIDTH_API_PASSWORD }
            : {},
    );
    const settings = pick(
      kind === 'telnyx'
        ? { public_key: o.publicKey ?? env.TELNYX_PUBLIC_KEY, messaging_profile_id: o.messagingProfile, connection_id: o.connection }
        : kind === 'bandwidth'
          ? { account_id: o.bandwidthAccount, application_id: o.application, voice_application_id: o.voiceApplication }
          : {},
    );
    await withTextback(async (tb) => {
      const created = await createCarrierAccount(tb.ctx, await resolveOrg(tb, o.org), {
        kind,
        name: o.name,
        publicBaseUrl: o.publicUrl,
        apiBaseUrl: o.apiUrl,
        credentials,
        settings,
      });
      print({
        id: created.account.id,
        kind: created.account.kind,
        name: created.account.name,
        webhooks: created.webhooks,
        // Shown once: set them on the Bandwidth application (user id and password of its callbacks).
        ...(created.callbackCredentials ? { callback_credentials: created.callbackCredentials } : {}),
        next: `textback carriers import ${created.account.id} [--team <id>] [--configure-webhooks]`,
      });
    });
  });
/** `--setting name=value` (repeatable) into an object; the value may contain '='. */
function collectPairs(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('expected name=value');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}
const collectList = (value: string, previous: string[] = []) => [...previous, value];

carriers
  .command('update <id>')
  .description(
    'Change a carrier account: name, public URL, settings, or credentials (rotation: the given secrets replace the stored ones; never printed). ' +
      'With --secrets-from-env, the secrets of the account\'s kind come from TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN, TELNYX_API_KEY, BANDWIDTH_API_USER / BANDWIDTH_API_PASSWORD',
  )
  .option('--name <name>')
  .option('--public-url <url>', 'where the carrier reaches this server')
  .option('--clear-public-url', 'use PUBLIC_BASE_URL instead of an account URL')
  .option('--api-url <url>', "the carrier's API origin, when not production")
  .option('--clear-api-url', "back to the carrier's production API")
  .option('--account-sid <sid>', 'Twilio Account SID')
  .option('--auth-token <token>', 'Twilio Auth Token')
  .option('--api-key <key>', 'Telnyx API key')
  .option('--public-key <base64>', 'Telnyx webhook public key')
  .option('--messaging-profile <id>', 'Telnyx messaging profile id')
  .option('--connection <id>', 'Telnyx Call Control connection id')
  .option('--bandwidth-account <id>', 'Bandwidth account id')
  .option('--application <id>', 'Bandwidth messaging application id')
  .option('--voice-application <id>', 'Bandwidth voice application id')
  .option('--api-user <user>', 'Bandwidth API user')
  .option('--api-password <password>', 'Bandwidth API password')
  .option('--callback-user <user>', 'Bandwidth callback user id')
  .option('--callback-password <password>', 'Bandwidth callback password')
  .option('--setting <name=value>', 'any setting by name (repeatable)', collectPairs)
  .option('--unset <name>', 'remove an optional setting (repeatable)', collectList)
  .option('--secrets-from-env', "read the account kind's secrets from the environment variables above")
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (id: string, o: Record<string, string | boolean | Record<string, string> | string[] | undefined>) => {
    const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const pick = (entries: Record<string, unknown>) => Object.fromEntries(Object.entries(entries).filter((e): e is [string, string] => text(e[1]) !== undefined));
    await withTextback(async (tb) => {
      const orgId = await resolveOrg(tb, typeof o.org === 'string' ? o.org : undefined);
      const env = process.env;
      let fromEnv: Record<string, unknown> = {};
      if (o.secretsFromEnv) {
        const kind = (await getCarrierAccount(tb.ctx, orgId, id)).account.kind;
        fromEnv =
          kind === 'twilio'
            ? { account_sid: env.TWILIO_ACCOUNT_SID, auth_token: env.TWILIO_AUTH_TOKEN }
            : kind === 'telnyx'
              ? { api_key: env.TELNYX_API_KEY }
              : kind === 'bandwidth'
                ? { api_user: env.BANDWIDTH_API_USER, api_password: env.BANDWIDTH_API_PASSWORD }
                : {};
      }
      const credentials = pick({
        ...fromEnv,
        ...pick({
          account_sid: o.accountSid,
          auth_token: o.authToken,
          api_key: o.apiKey,
          api_user: o.apiUser,
          api_password: o.apiPassword,
          callback_password: o.callbackPassword,
        }),
      });
      const settings: Record<string, string | null> = {
        ...(o.setting as Record<string, string> | undefined),
        ...pick({
          public_key: o.publicKey,
          messaging_profile_id: o.messagingProfile,
          connection_id: o.connection,
          account_id: o.bandwidthAccount,
          application_id: o.application,
          voice_application_id: o.voiceApplication,
          callback_username: o.callbackUser,
        }),
      };
      for (const name of (o.unset as string[] | undefined) ?? []) settings[name] = null;
      const updated = await updateCarrierAccount(tb.ctx, orgId, id, {
        name: text(o.name),
        publicBaseUrl: o.clearPublicUrl ? null : text(o.publicUrl),
        apiBaseUrl: o.clearApiUrl ? null : text(o.apiUrl),
        credentials: Object.keys(credentials).length ? credentials : undefined,
        settings: Object.keys(settings).length ? settings : undefined,
      });
      print({
        id: updated.account.id,
        kind: updated.account.kind,
        name: updated.account.name,
        public_base_url: updated.account.public_base_url,
        settings: updated.settings,
        // Which credentials are stored, never their values.
        credentials: Object.fromEntries(updated.credentialFields.map((f) => [f, 'set'])),
        webhooks: updated.webhooks,
        ...(updated.callbackCredentials ? { callback_credentials: updated.callbackCredentials } : {}),
      });
      if (o.publicUrl || o.clearPublicUrl || o.callbackUser || o.callbackPassword || updated.callbackCredentials) {
        console.error(`the carrier must now call the new URLs or send the new callback credentials: textback carriers webhooks ${id} --apply (or paste them)`);
      }
    });
  });
carriers
  .command('list')
  .description('Carrier accounts of the organization (credentials are never shown)')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (o: { org?: string }) => {
    await withTextback(async (tb) => {
      const rows = await listCarrierAccounts(tb.ctx, await resolveOrg(tb, o.org));
      for (const a of rows) console.log(`${a.account.id}  ${a.account.kind.padEnd(9)} numbers=${a.numbers}  ${a.account.name}  ${a.webhooks.messages}`);
      if (rows.length === 0) console.log('no carrier accounts: textback carriers add twilio|telnyx|bandwidth ...');
    });
  });
carriers
  .command('remove <id>')
  .description('Delete a carrier account')
  .option('--release-numbers', 'move its numbers to the sandbox carrier (otherwise refused while it has numbers)')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (id: string, o: { releaseNumbers?: boolean; org?: string }) => {
    await withTextback(async (tb) => {
      const { released } = await deleteCarrierAccount(tb.ctx, await resolveOrg(tb, o.org), id, { releaseNumbers: o.releaseNumbers === true });
      console.log(`deleted ${id}${released.length ? `; ${released.length} number(s) moved to the sandbox` : ''}`);
    });
  });
carriers
  .command('import <id>')
  .description("Import the account's numbers from the carrier (or only --number ones) and attach them to a team")
  .option('--number <e164...>', 'only these numbers')
  .option('--team <id>', 'attach the numbers to this team')
  .option('--configure-webhooks', "also point the numbers' webhooks at this server where the carrier's API allows")
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (id: string, o: { number?: string[]; team?: string; configureWebhooks?: boolean; org?: string }) => {
    await withTextback(async (tb) => {
      const result = await importNumbers(tb.ctx, await resolveOrg(tb, o.org), id, { numbers: o.number, teamId: o.team, configureWebhooks: o.configureWebhooks });
      for (const i of result.imported) console.log(`imported ${i.number.e164} (${i.number.id})${i.created ? '' : ' [already registered: moved to this account]'}${i.number.team_id ? ` team=${i.number.team_id}` : ''}`);
      for (const s of result.skipped) console.log(`skipped  ${s.phone}: ${s.reason}`);
      printWebhookSetup(result.webhooks, result.setup);
    });
  });
carriers
  .command('webhooks <id>')
  .description('Print the exact webhook URLs to paste into the carrier console (--apply sets them through its API where possible)')
  .option('--apply', "set them through the carrier's API")
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (id: string, o: { apply?: boolean; org?: string }) => {
    await withTextback(async (tb) => {
      const w = await webhookSetup(tb.ctx, await resolveOrg(tb, o.org), id, o.apply === true);
      if (!w.publicBaseUrl) console.log('warning: no public URL: set PUBLIC_BASE_URL or the account\'s public_base_url');
      for (const step of w.steps) console.log(`- ${step}`);
      printWebhookSetup(w.webhooks, w.setup);
    });
  });

/** An account id, or `sandbox` for the organization's built-in sandbox account. */
const accountArg = (orgId: string, id: string) => (id === 'sandbox' ? sandboxAccountId(orgId) : id);

numbers
  .command('search <account-id>')
  .description("Numbers a carrier account can buy (account id, or `sandbox` for the organization's sandbox account)")
  .requiredOption('--country <code>', 'US, CA or GB')
  .option('--area-code <digits>', 'US/CA: 3 digits (415); GB: without the 0 (20)')
  .option('--locality <city>')
  .option('--contains <digits>', 'digits the number contains')
  .option('--capability <sms|voice>')
  .option('--limit <n>', 'at most this many (1 to 50)', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError('a whole number');
    return n;
  })
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (id: string, o: { country: string; areaCode?: string; locality?: string; contains?: string; capability?: string; limit?: number; org?: string }) => {
    await withTextback(async (tb) => {
      const orgId = await resolveOrg(tb, o.org);
      const found = await searchAvailableNumbers(tb.ctx, orgId, accountArg(orgId, id), {
        country: o.country,
        areaCode: o.areaCode,
        locality: o.locality,
        contains: o.contains,
        capability: o.capability,
        limit: o.limit,
      });
      for (const n of found) {
        const caps = (['sms', 'mms', 'voice'] as const).filter((c) => n.capabilities[c]).join(',');
        console.log(`${n.phone}  ${[n.locality, n.region].filter(Boolean).join(', ') || '-'}  ${caps}${n.monthlyPrice ? `  ${n.monthlyPrice}/month` : ''}`);
      }
      if (found.length === 0) console.log('no numbers found: try another area code, locality or fewer digits');
    });
  });
numbers
  .command('buy <account-id> <phone>')
  .description('Buy a number onto a team, with its webhooks pointed at this server')
  .requiredOption('--team <id>', 'the team its texts go to')
  .option('--name <name>')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (id: string, phone: string, o: { team: string; name?: string; org?: string }) => {
    await withTextback(async (tb) => {
      const orgId = await resolveOrg(tb, o.org);
      const n = await buyNumber(tb.ctx, orgId, accountArg(orgId, id), { phone, teamId: o.team, name: o.name });
      print({ id: n.id, phone: n.e164, carrier: n.carrier, carrier_account_id: n.carrier_account_id, team_id: n.team_id });
    });
  });
numbers
  .command('release <account-id> <phone>')
  .description('Release a number at the carrier and remove it here (kept, detached, when it has history); cannot be undone')
  .requiredOption('--confirm <phone>', 'the same number again, in E.164')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (id: string, phone: string, o: { confirm: string; org?: string }) => {
    await withTextback(async (tb) => {
      const orgId = await resolveOrg(tb, o.org);
      const r = await releaseNumber(tb.ctx, orgId, accountArg(orgId, id), phone, o.confirm);
      console.log(`released ${r.number.e164}${r.kept ? ' (kept for its history, detached from the account and its team)' : ''}`);
    });
  });

const webhooks = program.command('webhooks').description('Webhook subscriptions: signed events to a CRM or integration (docs/integrations.md)');
webhooks
  .command('list')
  .description('Webhook endpoints of the organization (secrets are never shown)')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (o: { org?: string }) => {
    await withTextback(async (tb) => {
      const rows = await listWebhookEndpoints(tb.ctx, await resolveOrg(tb, o.org));
      for (const e of rows) console.log(`${e.id}  ${e.state.padEnd(8)} ${e.url}  events=${(JSON.parse(e.events) as string[]).join(',')}${e.disabled_reason ? `  (${e.disabled_reason})` : ''}`);
      if (rows.length === 0) console.log('no webhook endpoints: textback webhooks add <url> --events message.created,message.received');
    });
  });
webhooks
  .command('add <url>')
  .description('Subscribe a URL to events; prints its signing secret once')
  .option('--events <types>', `comma-separated event types, or * for all: ${WEBHOOK_EVENT_TYPES.join(', ')}`, '*')
  .option('--description <text>')
  .option('--no-bodies', 'leave the text of messages out of message.* events')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (url: string, o: { events: string; description?: string; bodies: boolean; org?: string }) => {
    await withTextback(async (tb) => {
      const events = o.events.split(',').map((e) => e.trim()).filter((e) => e !== '');
      const { endpoint, secret } = await createWebhookEndpoint(tb.ctx, await resolveOrg(tb, o.org), { url, events, description: o.description, includeBodies: o.bodies });
      print({ id: endpoint.id, url: endpoint.url, events: JSON.parse(endpoint.events) as string[], include_bodies: endpoint.include_bodies === 1, secret });
      console.error('the secret is shown once: store it where the receiver verifies signatures');
    });
  });
webhooks
  .command('remove <id>')
  .description('Delete a webhook endpoint (its pending deliveries are cancelled)')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (id: string, o: { org?: string }) => {
    await withTextback(async (tb) => {
      await deleteWebhookEndpoint(tb.ctx, await resolveOrg(tb, o.org), id);
      console.log(`deleted ${id}`);
    });
  });
webhooks
  .command('deliveries <id>')
  .description("An endpoint's delivery log, newest first: state, attempts, last response code")
  .option('--limit <n>', 'how many', (v) => Number.parseInt(v, 10), 20)
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (id: string, o: { limit: number; org?: string }) => {
    await withTextback(async (tb) => {
      const page = await listWebhookDeliveries(tb.ctx, await resolveOrg(tb, o.org), id, { limit: Math.min(Math.max(o.limit || 20, 1), 200) });
      for (const { delivery: d, attempts } of page.data) {
        const last = attempts.at(-1);
        console.log(`${d.id}  ${new Date(d.created_at).toISOString()}  ${d.event_type.padEnd(24)} ${d.state.padEnd(9)} attempts=${d.attempts} code=${d.last_response_code ?? '-'}${last?.error ? `  ${last.error}` : ''}`);
      }
      if (page.data.length === 0) console.log('no deliveries yet');
    });
  });
webhooks
  .command('resend <endpointId> <deliveryId>')
  .description('Send a delivery again (the same webhook-id), by the running server\'s workers')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (endpointId: string, deliveryId: string, o: { org?: string }) => {
    await withTextback(async (tb) => {
      await resendWebhookDelivery(tb.ctx, await resolveOrg(tb, o.org), endpointId, deliveryId);
      console.log(`queued ${deliveryId} for delivery`);
    });
  });

function printWebhookSetup(urls: { messages: string; calls: string; status?: string | undefined }, setup: { configured: Array<{ target: string; field: string; url: string }>; manual: Array<{ target: string; field: string; url: string; why: string }> } | null) {
  console.log(`\n  Messages webhook: ${urls.messages}\n  Calls webhook:    ${urls.calls}${urls.status ? `\n  Status callbacks: ${urls.status} (set on every send)` : ''}`);
  if (!setup) return;
  for (const c of setup.configured) console.log(`  set      ${c.target}: ${c.field} = ${c.url}`);
  for (const m of setup.manual) console.log(`  to paste ${m.target}: ${m.field} = ${m.url} (${m.why})`);
}

function parseWhen(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('expected an ISO 8601 date-time, e.g. 2026-12-01T09:30:00-05:00');
  return ms;
}

program
  .command('send <to> <body>')
  .description('Send a text (queued for the workers of a running server or `textback worker`)')
  .option('--from <number>', "one of the organization's numbers")
  .option('--at <datetime>', 'send later (ISO 8601)', parseWhen)
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (to: string, body: string, o: { from?: string; at?: number; org?: string }) => {
    await withTextback(async (tb) => {
      const orgId = await resolveOrg(tb, o.org);
      const { message } = await sendMessage(tb.ctx, {
        orgId,
        to,
        body,
        ...(o.from ? { from: o.from } : {}),
        ...(o.at ? { sendAt: o.at } : {}),
        createdBy: { type: 'system', id: 'cli' },
      });
      print({ id: message.id, status: message.status, segments: message.segments, encoding: message.encoding });
    });
  });

const sandbox = program.command('sandbox').description('Play the simulated handsets of the sandbox carrier');
sandbox
  .command('text <handset> <body>')
  .description('A handset texts a business number, e.g. textback sandbox text +15554265646 --to +14159434591 "hi"')
  .requiredOption('--to <number>', 'the business number')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (handset: string, body: string, o: { to: string; org?: string }) => {
    await withTextback(async (tb) => {
      const { message } = await sandboxText(tb.ctx, await resolveOrg(tb, o.org), { from: handset, to: o.to, body });
      print({ id: message.id, contact_id: message.contact_id, conversation_id: message.conversation_id });
    });
  });
sandbox
  .command('call <handset>')
  .description('A handset calls a business number with an outcome')
  .requiredOption('--to <number>', 'the business number')
  .addOption(new Option('--outcome <outcome>').choices([...CALL_OUTCOMES]).default('no-answer'))
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (handset: string, o: { to: string; outcome: SandboxCallOutcome; org?: string }) => {
    await withTextback(async (tb) => {
      const { call } = await sandboxCall(tb.ctx, await resolveOrg(tb, o.org), { from: handset, to: o.to, outcome: o.outcome });
      print({ id: call.id, outcome: call.outcome, reason: call.outcome_reason });
    });
  });
sandbox
  .command('inbox <handset>')
  .description('What a handset received')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (handset: string, o: { org?: string }) => {
    await withTextback(async (tb) => {
      const rows = await handsetMessages(tb.ctx, await resolveOrg(tb, o.org), handset);
      for (const r of rows.reverse()) {
        console.log(`${new Date(r.created_at).toISOString()}  ${r.direction === 'to_handset' ? '←' : '→'} ${r.business_e164}  [${r.status}]  ${r.body}`);
      }
    });
  });
sandbox
  .command('fail <handset>')
  .description('Make texts to a handset fail (or --clear)')
  .addOption(new Option('--reason <reason>').choices(Object.keys(SANDBOX_FAILURES)))
  .option('--clear', 'deliver normally again')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (handset: string, o: { reason?: SandboxFailure; clear?: boolean; org?: string }) => {
    if (!o.reason && !o.clear) throw new InvalidArgumentError('give --reason or --clear');
    await withTextback(async (tb) => {
      await setSandboxFailure(tb.ctx, await resolveOrg(tb, o.org), handset, o.clear ? null : (o.reason ?? null));
      console.log(o.clear ? `${handset} receives texts normally` : `texts to ${handset} will fail: ${o.reason}`);
    });
  });

const automations = program.command('automations').description('Automations (missed-call text-back and others)');
automations
  .command('missed-call-preset')
  .description('Create the missed-call text-back automation with good default texts, active at once')
  .option('--business <name>', 'business name used in the texts (default: the organization name)')
  .option('--numbers <e164...>', 'only these business numbers (default: all)')
  .option('--draft', 'create it as a draft (does not run until activated)')
  .option('--voicemail-delay <duration>', 'also text calls that reached voicemail, after this delay (e.g. 20m)')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (o: { business?: string; numbers?: string[]; draft?: boolean; voicemailDelay?: string; org?: string }) => {
    await withTextback(async (tb) => {
      const row = await createMissedCallPreset(tb.ctx, {
        orgId: await resolveOrg(tb, o.org),
        ...(o.business ? { businessName: o.business } : {}),
        ...(o.numbers ? { numbers: o.numbers } : {}),
        state: o.draft ? 'draft' : 'active',
        ...(o.voicemailDelay ? { voicemail: { delay: o.voicemailDelay } } : {}),
      });
      print({ id: row.id, name: row.name, state: row.state });
    });
  });
automations
  .command('list')
  .description('Automations of the organization')
  .option('--org <id>', 'organization id or name (default: TEXTBACK_ORG, `textback use`, or the only one)')
  .action(async (o: { org?: string }) => {
    await withTextback(async (tb) => {
      for (const a of await listAutomations(tb.ctx, await resolveOrg(tb, o.org))) console.log(`${a.id}  ${a.state.padEnd(7)} priority=${a.priority}  ${a.trigger_type.padEnd(20)} ${a.name}`);
    });
  });

program
  .command('search <query>')
  .description('Contacts matching a search query (docs/search.md), e.g. textback search \'sms(created:today status:error)\'')
  .option('--csv', 'every matching contact as CSV, with its counters (failed_sms, sms_sent, sms_received, missed_calls, latest_sms_status)')
  .option('--limit <n>', 'how many contacts without --csv', (v) => Number.parseInt(v, 10), 50)
  .option('--tz <zone>', "IANA time zone of the query's dates (default: the organization's)")
  .option('--user <id>', 'the user `assignee:me` means (default: the organization\'s owner)')
  .option('--org <id>', 'organization id (default: the only one)')
  .action(async (query: string, o: { csv?: boolean; limit: number; tz?: string; user?: string; org?: string }) => {
    if (!Number.isInteger(o.limit) || o.limit < 1 || o.limit > 1000) throw new InvalidArgumentError('--limit: a whole number from 1 to 1000');
    await withTextback(async (tb) => {
      const orgId = await resolveOrg(tb, o.org);
      const user = await tb.ctx.db.kysely
        .selectFrom('users')
        .select(['id', 'role'])
        .where('org_id', '=', orgId)
        .$if(o.user !== undefined, (q) => q.where('id', '=', o.user!))
        .$if(o.user === undefined, (q) => q.where('role', '=', 'owner'))
        .orderBy('created_at')
        .executeTakeFirst();
      if (!user) throw new AppError('not_found', o.user ? `user ${o.user} does not exist in ${orgId}` : `organization ${orgId} has no owner: pass --user <id>`);
      const principal: Principal = { orgId, userId: user.id, role: user.role, apiKeyId: null, sessionId: null };
      const parsed = await parseSearch(tb.ctx, orgId, query, o.tz);
      if (o.csv) {
        for await (const chunk of contactsCsv(tb.ctx, principal, parsed)) process.stdout.write(chunk);
        return;
      }
      const page = await searchContactsParsed(tb.ctx, principal, parsed, { limit: o.limit, includeTotal: true });
      for (const c of page.data) console.log(`${c.id}  ${c.e164.padEnd(16)} ${c.name ?? ''}`);
      console.error(`${page.total} contact(s)${page.next_cursor ? `; first ${page.data.length} shown (--limit, or --csv for all)` : ''}`);
    });
  });

const pct = (v: number | null) => (v === null ? '—' : `${(100 * v).toFixed(1)}%`);
const secs = (v: number | null) => (v === null ? '—' : v < 120 ? `${Math.round(v)}s` : v < 7200 ? `${(v / 60).toFixed(1)}m` : `${(v / 3600).toFixed(1)}h`);

program
  .command('report')
  .description('Analytics (docs/analytics.md): the summary of a range, or every metric per day/week/month or per automation, variant, number, team, agent, hour, weekday or source')
  .option('--from <date>', 'start: a date (2026-03-01) or an instant (default: 29 days before --to)')
  .option('--to <date>', 'end: a date (the whole day is included) or an instant (default: now)')
  .option('--tz <zone>', "IANA time zone of the days and hours (default: the organization's)")
  .addOption(new Option('--by <what>', 'group by').choices([...INTERVALS, ...DIMENSIONS]))
  .option('--experiment <automationId>', "an automation's A/B experiment and its verdict")
  .option('--business-hours', "time to first reply counts only the organization's business hours")
  .option('--csv', 'CSV instead of a table')
  .option('--org <id>', 'organization id (default: the only one)')
  .action(async (o: { from?: string; to?: string; tz?: string; by?: string; experiment?: string; businessHours?: boolean; csv?: boolean; org?: string }) => {
    await withTextback(async (tb) => {
      const orgId = await resolveOrg(tb, o.org);
      const input: ReportInput = { from: o.from, to: o.to, tz: o.tz, businessHours: o.businessHours };
      if (o.experiment) {
        const r = await experimentReport(tb.ctx, orgId, o.experiment, input);
        if (o.csv) return void process.stdout.write(experimentCsv(r));
        console.log(`${r.from} → ${r.to} (${r.tz})`);
        for (const v of r.variants) {
          const ci = v.reply_rate_interval ? `${pct(v.reply_rate_interval.low)}–${pct(v.reply_rate_interval.high)}` : '—';
          console.log(`${v.id.padEnd(12)} delivered ${String(v.delivered).padStart(7)}  replies ${String(v.replies).padStart(6)}  reply rate ${pct(v.reply_rate).padStart(6)} (95% ${ci})  chance to beat ${pct(v.chance_to_beat).padStart(6)}  expected loss ${pct(v.expected_loss)}`);
        }
        console.log(r.verdict === 'winner' ? `winner: ${r.winner} (${r.reason})` : `too early to tell: ${r.reason}${r.more_texts_needed ? `; about ${r.more_texts_needed} more delivered texts needed` : ''}`);
        return;
      }
      if (!o.by) {
        const r = await summaryReport(tb.ctx, orgId, input);
        if (o.csv) return void process.stdout.write(summaryCsv(r));
        console.log(`${r.from} → ${r.to} (${r.tz})`);
        const rows: [string, string][] = [
          ['missed calls', String(r.missed_calls)],
          ['texts sent', String(r.texts_sent)],
          ['delivered', `${r.delivered} (${pct(r.delivery_rate)})`],
          ['failed', String(r.failed)],
          ['held / blocked', `${r.held} / ${r.blocked} (${pct(r.block_rate)} blocked)`],
          ['segments', String(r.segments)],
          ['texted back (delivered)', String(r.contacts_texted_back)],
          ['replied', `${r.replied} (${pct(r.reply_rate)})`],
          ['time to first reply', `median ${secs(r.median_time_to_first_reply_seconds)}, p90 ${secs(r.p90_time_to_first_reply_seconds)}`],
          ['called back', `${r.called_back} (${pct(r.callback_conversion)})`],
          ['opted out', `${r.opted_out} (${pct(r.opt_out_rate)})`],
          ['agent first response', `median ${secs(r.median_agent_first_response_seconds)}, p90 ${secs(r.p90_agent_first_response_seconds)} (${r.agent_responses})`],
          ['queues', `SMS_VOL ${r.sms_vol}, SMS_AHT ${secs(r.sms_aht_seconds)}, wait ${secs(r.queue_avg_wait_seconds)}, abandoned ${r.queue_abandoned}`],
        ];
        for (const [k, v] of rows) console.log(`${k.padEnd(24)} ${v}`);
        return;
      }
      const isInterval = (INTERVALS as readonly string[]).includes(o.by);
      const data = isInterval
        ? (await timeseriesReport(tb.ctx, orgId, { ...input, interval: o.by as Interval })).data.map((d) => ({ ...d, key: d.bucket }))
        : (await breakdownReport(tb.ctx, orgId, { ...input, dimension: o.by as Dimension })).data;
      if (o.csv) {
        return void process.stdout.write(isInterval ? timeseriesCsv({ data: data as never }) : breakdownCsv({ by: o.by, data }));
      }
      console.log(`${o.by.padEnd(28)} ${['missed', 'sent', 'delivered', 'replied', 'reply rate', 'median reply', 'called back', 'opt-out'].map((h) => h.padStart(12)).join('')}`);
      for (const d of data) {
        const cells = [d.missed_calls, d.texts_sent, d.delivered, d.replied, pct(d.reply_rate), secs(d.median_time_to_first_reply_seconds), d.called_back, pct(d.opt_out_rate)];
        console.log(`${d.key.padEnd(28)} ${cells.map((c) => String(c).padStart(12)).join('')}`);
      }
    });
  });

const jobs = program.command('jobs').description('The durable scheduler');
jobs
  .command('list')
  .description('Jobs, newest first')
  .addOption(new Option('--state <state>').choices(['pending', 'running', 'completed', 'dead', 'cancelled']))
  .option('--kind <kind>')
  .option('--limit <n>', 'how many', (v) => Number.parseInt(v, 10), 50)
  .option('--org <id>', 'only this organization')
  .action(async (o: { state?: 'pending'; kind?: string; limit: number; org?: string }) => {
    await withTextback(async (tb) => {
      const rows = await listJobs(tb.ctx.db.kysely, { limit: o.limit, ...(o.state ? { state: o.state } : {}), ...(o.kind ? { kind: o.kind } : {}), ...(o.org ? { orgId: o.org } : {}) });
      for (const j of rows) {
        console.log(`${j.id}  ${j.state.padEnd(9)} ${j.kind.padEnd(18)} run_at=${new Date(j.run_at).toISOString()} attempts=${j.attempts}/${j.max_attempts}${j.last_error ? `  error=${j.last_error}` : ''}`);
      }
      if (rows.length === 0) console.log('no jobs');
    });
  });
jobs
  .command('retry <id>')
  .description('Run a dead or cancelled job again')
  .action(async (id: string) => {
    await withTextback(async (tb) => {
      const ok = await retryJob(tb.ctx.db.kysely, tb.ctx.clock, id);
      if (!ok) throw new AppError('invalid_state', `job ${id} is not dead or cancelled (or does not exist)`);
      console.log(`job ${id} will run again now`);
    });
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof AppError || error instanceof InvalidArgumentError) {
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
  // A port in use, PostgreSQL unreachable, a database that does not exist: one line, what to do.
  const settings = startupSettings();
  const known = settings ? describeStartupError(error, settings) : undefined;
  if (known) {
    console.error(`error: ${known}`);
    process.exit(1);
  }
  console.error(error);
  process.exit(1);
});

function startupSettings(): { databaseUrl: string; port: number; host: string } | undefined {
  try {
    return loadConfig();
  } catch {
    return undefined;
  }
}
