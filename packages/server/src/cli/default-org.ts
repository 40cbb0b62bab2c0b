/**
 * Which organization a CLI command acts on: `--org`, else `TEXTBACK_ORG`, else the default chosen
 * with `textback use <org>`, else the only organization there is. The default is kept in a small
 * file beside the SQLite database (`textback-cli.json`), or under `./data` for PostgreSQL, like the
 * credentials key file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { isPostgresUrl } from '../db/database.js';
import { AppError } from '../support/errors.js';
import type { Textback } from '../textback.js';

/** Where `textback use` keeps the default organization. */
export function cliSettingsPath(config: Pick<Config, 'databaseUrl'>): string {
  if (isPostgresUrl(config.databaseUrl)) return path.resolve('data', 'textback-cli.json');
  const file = config.databaseUrl.replace(/^(sqlite|file):(\/\/)?/i, '');
  if (file === ':memory:') return path.resolve('data', 'textback-cli.json');
  return path.join(path.dirname(path.resolve(file)), 'textback-cli.json');
}

interface CliSettings {
  org?: string;
}

function readSettings(file: string): CliSettings {
  if (!fs.existsSync(file)) return {};
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as CliSettings) : {};
  } catch {
    throw new AppError('validation_failed', `${file} is not valid JSON: delete it, or choose the organization again with \`textback use <org>\``);
  }
}

type OrgRow = { id: string; name: string };

/** An organization by its id, or by its exact name (case-insensitive) when that names one only. */
export async function findOrganization(tb: Textback, idOrName: string): Promise<OrgRow | undefined> {
  const byId = await tb.ctx.db.kysely.selectFrom('organizations').select(['id', 'name']).where('id', '=', idOrName).executeTakeFirst();
  if (byId) return byId;
  const all = await tb.ctx.db.kysely.selectFrom('organizations').select(['id', 'name']).execute();
  const named = all.filter((o) => o.name.toLowerCase() === idOrName.trim().toLowerCase());
  if (named.length > 1) throw new AppError('validation_failed', `several organizations are named "${idOrName}": use its id (${named.map((o) => o.id).join(', ')})`);
  return named[0];
}

const HOW_TO_CHOOSE = 'pass --org <id>, set TEXTBACK_ORG=<id>, or make one the default with `textback use <id or name>` (`textback orgs list` lists them)';

/** The organization a command acts on (see the file's comment for the order). */
export async function resolveOrg(tb: Textback, config: Pick<Config, 'databaseUrl'>, orgOption: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const chosen: Array<[string | undefined, string]> = [
    [orgOption, '--org'],
    [env.TEXTBACK_ORG?.trim() || undefined, 'TEXTBACK_ORG'],
  ];
  for (const [value, where] of chosen) {
    if (!value) continue;
    const org = await findOrganization(tb, value);
    if (!org) throw new AppError('not_found', `${where}: there is no organization "${value}" in this database; ${HOW_TO_CHOOSE}`);
    return org.id;
  }
  const file = cliSettingsPath(config);
  const remembered = readSettings(file).org;
  if (remembered) {
    const org = await findOrganization(tb, remembered);
    if (!org) throw new AppError('not_found', `the default organization "${remembered}" (from ${file}) is not in this database; ${HOW_TO_CHOOSE}`);
    return org.id;
  }
  const orgs = await tb.ctx.db.kysely.selectFrom('organizations').select(['id', 'name']).orderBy('created_at').limit(6).execute();
  if (orgs.length === 1 && orgs[0]) return orgs[0].id;
  if (orgs.length === 0) throw new AppError('not_found', 'there is no organization yet: run `textback serve` once, or `textback orgs create`');
  const listed = orgs.slice(0, 5).map((o) => `${o.id} (${o.name})`).join(', ');
  throw new AppError('validation_failed', `there are several organizations (${listed}${orgs.length > 5 ? ', ...' : ''}): ${HOW_TO_CHOOSE}`);
}

/** `textback use <org>`: remembers the default organization for later commands on this database. */
export async function useOrganization(tb: Textback, config: Pick<Config, 'databaseUrl'>, idOrName: string): Promise<{ org: OrgRow; file: string }> {
  const org = await findOrganization(tb, idOrName);
  if (!org) throw new AppError('not_found', `there is no organization "${idOrName}" in this database (\`textback orgs list\` lists them)`);
  const file = cliSettingsPath(config);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify({ ...readSettings(file), org: org.id }, null, 2)}\n`);
  return { org, file };
}

/** The default chosen with `textback use`, if any (for `textback orgs list`). */
export function defaultOrganization(config: Pick<Config, 'databaseUrl'>): string | undefined {
  return readSettings(cliSettingsPath(config)).org;
}
