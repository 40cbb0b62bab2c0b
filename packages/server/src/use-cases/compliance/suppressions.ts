/**
 * The organization's suppression (do-not-contact) list: numbers never texted, whatever their
 * consent, with the reason and source of each. Added through the API, imported from a CSV (a DNC
 * list), or automatically when carriers keep reporting that a number cannot receive texts.
 *
 * Sources: compliance.md; carrier error classes in core's carrier-error-codes.ts (the `suppress`
 * outcome: invalid, landline, deactivated, blocklisted numbers; Twilio 30003/30005/30006, Telnyx
 * 40001, Bandwidth 4434/4700/...).
 */
import { checkCarrierRejecting } from '../notifications/failures.js';
import { mapCarrierError, normalizePhone, parseE164Loose, type Carrier, type CountryCode } from '@textback/core';
import { transaction, type AppContext, type Tx } from '../../app-context.js';
import type { Message, Suppression } from '../../db/schema.js';
import { AppError, notFound } from '../../support/errors.js';
import { appendEvent } from '../events.js';
import { textProblem, validateStoredTexts } from '../message-text.js';
import { getOrganization, orgSettings } from '../organizations.js';
import { decodeCursor, toPage, type Page } from '../pagination.js';
import { changeConsent } from './consent.js';
import { csvField } from './csv.js';

export const MAX_REASON_LENGTH = 200;
/** At most MAX_REASON_LENGTH code points: a cut never splits a surrogate pair. */
const clip = (reason: string) => [...reason].slice(0, MAX_REASON_LENGTH).join('');

export async function findSuppression(db: Tx, orgId: string, e164: string): Promise<Suppression | undefined> {
  return db.selectFrom('suppressions').selectAll().where('org_id', '=', orgId).where('e164', '=', e164).executeTakeFirst();
}

/** A number given to the suppression API: a valid number, or any E.164 written with its "+". */
export function parseSuppressedNumber(field: string, input: string, country: CountryCode): string {
  try {
    return normalizePhone(input, country).e164;
  } catch {
    const loose = input.trim().startsWith('+') ? parseE164Loose(input) : null;
    if (loose) return loose;
    throw new AppError('invalid_number', `${field}: "${input}" is not a phone number`, [{ field, message: 'not a phone number' }]);
  }
}

export async function listSuppressions(ctx: AppContext, orgId: string, filter: { limit: number; cursor?: string; reason?: string; source?: string }): Promise<Page<Suppression>> {
  const cursor = decodeCursor(filter.cursor);
  let q = ctx.db.kysely.selectFrom('suppressions').selectAll().where('org_id', '=', orgId);
  if (filter.reason) q = q.where('reason', '=', filter.reason);
  if (filter.source) q = q.where('source', '=', filter.source);
  if (cursor) {
    q = q.where((eb) => eb.or([eb('created_at', '<', cursor.createdAt), eb.and([eb('created_at', '=', cursor.createdAt), eb('e164', '<', cursor.id)])]));
  }
  const rows = await q.orderBy('created_at', 'desc').orderBy('e164', 'desc').limit(filter.limit + 1).execute();
  const page = toPage(
    rows.map((r) => ({ ...r, id: r.e164 })),
    filter.limit,
    (r) => r,
  );
  return { data: page.data.map(({ id: _id, ...r }) => r), next_cursor: page.next_cursor };
}

export async function getSuppression(ctx: AppContext, orgId: string, phone: string): Promise<Suppression> {
  const org = await getOrganization(ctx, orgId);
  const e164 = parseSuppressedNumber('number', phone, orgSettings(org).default_country);
  const row = await findSuppression(ctx.db.kysely, orgId, e164);
  if (!row) throw notFound('suppression', e164);
  return row;
}

/** Adds a number (or returns the existing entry, `created: false`). */
export async function addSuppression(
  ctx: AppContext,
  input: { orgId: string; phone: string; reason?: string; source?: string; createdBy: string | null },
): Promise<{ suppression: Suppression; created: boolean }> {
  validateStoredTexts({ reason: input.reason });
  const org = await getOrganization(ctx, input.orgId);
  const e164 = parseSuppressedNumber('phone', input.phone, orgSettings(org).default_country);
  return transaction(ctx, async (tx) => {
    const row: Suppression = {
      org_id: input.orgId,
      e164,
      reason: clip(input.reason ?? 'do_not_contact'),
      source: input.source ?? 'api',
      created_at: ctx.clock.now(),
      created_by: input.createdBy,
    };
    const inserted = await insertSuppression(ctx, tx, row);
    if (!inserted) return { suppression: (await findSuppression(tx, input.orgId, e164))!, created: false };
    return { suppression: row, created: true };
  });
}

async function insertSuppression(ctx: AppContext, tx: Tx, row: Suppression): Promise<boolean> {
  const result = await tx
    .insertInto('suppressions')
    .values(row)
    .onConflict((oc) => oc.columns(['org_id', 'e164']).doNothing())
    .executeTakeFirst();
  if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) return false;
  const contact = await tx.selectFrom('contacts').select('id').where('org_id', '=', row.org_id).where('e164', '=', row.e164).executeTakeFirst();
  await appendEvent(tx, ctx, {
    orgId: row.org_id,
    type: 'suppression.added',
    subjectType: contact ? 'contact' : 'organization',
    subjectId: contact?.id ?? row.org_id,
    data: { reason: row.reason, source: row.source },
  });
  return true;
}

/** Removes a number from the list (an admin's decision: the API checks the role). */
export async function removeSuppression(ctx: AppContext, orgId: string, phone: string): Promise<void> {
  const org = await getOrganization(ctx, orgId);
  const e164 = parseSuppressedNumber('number', phone, orgSettings(org).default_country);
  await transaction(ctx, async (tx) => {
    const removed = await tx.deleteFrom('suppressions').where('org_id', '=', orgId).where('e164', '=', e164).executeTakeFirst();
    if (Number(removed.numDeletedRows) === 0) throw notFound('suppression', e164);
    const contact = await tx.selectFrom('contacts').select('id').where('org_id', '=', orgId).where('e164', '=', e164).executeTakeFirst();
    await appendEvent(tx, ctx, { orgId, type: 'suppression.removed', subjectType: contact ? 'contact' : 'organization', subjectId: contact?.id ?? orgId, data: {} });
  });
}

// ---------------------------------------------------------------------------------------------
// CSV import and export

export type RejectionCode = 'invalid_number' | 'duplicate' | 'malformed';

export interface ImportReport {
  /** Data lines read (blank lines and the header excluded). */
  lines: number;
  header: boolean;
  /** Newly added to the list. */
  imported: number;
  /** Valid numbers that were already on the list (left as they were). */
  already_suppressed: number;
  rejected_count: number;
  rejected_by_code: Record<RejectionCode, number>;
  /** Each rejected line (the first MAX_REPORTED_REJECTIONS): line number, the value, why. */
  rejected: { line: number; value: string; code: RejectionCode; detail: string }[];
  rejected_truncated: boolean;
}

export const MAX_REPORTED_REJECTIONS = 10_000;
/** Rows per INSERT: 6 columns each stays far below SQLite's 32,766 and PostgreSQL's 65,535 parameters. */
const IMPORT_BATCH = 2_000;
const PHONE_HEADERS = new Set(['phone', 'phone_number', 'phonenumber', 'number', 'e164', 'mobile', 'telephone', 'tel', 'msisdn', 'cell']);
const REASON_HEADERS = new Set(['reason', 'note', 'notes', 'comment']);

/** Splits one CSV line (RFC 4180 quoting) into fields; null when its quotes are unbalanced. */
export function splitCsvLine(line: string): string[] | null {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return null; // unclosed quote
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      if (i < line.length && line[i] !== ',') return null; // text after a closing quote
      fields.push(value);
    } else {
      const comma = line.indexOf(',', i);
      const raw = comma < 0 ? line.slice(i) : line.slice(i, comma);
      if (raw.includes('"')) return null; // a quote inside an unquoted field
      fields.push(raw);
      i = comma < 0 ? line.length : comma;
    }
    if (i >= line.length) return fields;
    i++; // the comma
    if (i === line.length) {
      fields.push('');
      return fields;
    }
  }
}

function looksLikeHeader(fields: string[]): boolean {
  const first = (fields[0] ?? '').trim().toLowerCase();
  return PHONE_HEADERS.has(first) || fields.some((f) => PHONE_HEADERS.has(f.trim().toLowerCase())) || !/\d/.test(fields.join(''));
}

/**
 * Imports a CSV of numbers (`phone[,reason]`, header optional: a header may name the columns
 * `phone`/`number`/`e164` and `reason`). Valid new numbers are added in batched multi-row inserts in
 * one transaction; every rejected line is reported with its number and why.
 */
export async function importSuppressions(
  ctx: AppContext,
  input: { orgId: string; csv: string; createdBy: string | null; defaultReason?: string },
): Promise<ImportReport> {
  validateStoredTexts({ reason: input.defaultReason });
  const org = await getOrganization(ctx, input.orgId);
  const country = orgSettings(org).default_country;
  const now = ctx.clock.now();
  const defaultReason = clip(input.defaultReason ?? 'do_not_contact');
  const report: ImportReport = {
    lines: 0,
    header: false,
    imported: 0,
    already_suppressed: 0,
    rejected_count: 0,
    rejected_by_code: { invalid_number: 0, duplicate: 0, malformed: 0 },
    rejected: [],
    rejected_truncated: false,
  };
  const reject = (line: number, value: string, code: RejectionCode, detail: string) => {
    report.rejected_count++;
    report.rejected_by_code[code]++;
    if (report.rejected.length < MAX_REPORTED_REJECTIONS) report.rejected.push({ line, value: value.slice(0, 100), code, detail });
    else report.rejected_truncated = true;
  };

  const seen = new Map<string, number>();
  const rows: Suppression[] = [];
  let phoneColumn = 0;
  let reasonColumn = 1;
  let first = true;
  const text = input.csv.charCodeAt(0) === 0xfeff ? input.csv.slice(1) : input.csv; // a byte-order mark
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    lineNo++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') {
      if (start > text.length) break;
      continue;
    }
    const fields = line.includes('\0') ? null : splitCsvLine(line);
    if (first) {
      first = false;
      if (fields && looksLikeHeader(fields)) {
        report.header = true;
        const names = fields.map((f) => f.trim().toLowerCase());
        const p = names.findIndex((n) => PHONE_HEADERS.has(n));
        const r = names.findIndex((n) => REASON_HEADERS.has(n));
        phoneColumn = p >= 0 ? p : 0;
        reasonColumn = r >= 0 ? r : -1;
        continue;
      }
    }
    report.lines++;
    if (!fields) {
      reject(lineNo, line, 'malformed', line.includes('\0') ? 'contains a NUL byte' : 'unbalanced quotes');
      continue;
    }
    const phone = (fields[phoneColumn] ?? '').trim();
    const reason = reasonColumn >= 0 ? (fields[reasonColumn] ?? '').trim() : '';
    if (phone === '') {
      reject(lineNo, line, 'malformed', `no number in column ${phoneColumn + 1}`);
      continue;
    }
    if (phone.length > 40 || reason.length > MAX_REASON_LENGTH) {
      reject(lineNo, phone, 'malformed', phone.length > 40 ? 'the number field is longer than 40 characters' : `the reason is longer than ${MAX_REASON_LENGTH} characters`);
      continue;
    }
    const reasonProblem = reason === '' ? null : textProblem(reason, MAX_REASON_LENGTH, 'reason');
    if (reasonProblem) {
      reject(lineNo, phone, 'malformed', reasonProblem.detail);
      continue;
    }
    let e164: string;
    try {
      e164 = normalizePhone(phone, country).e164;
    } catch (error) {
      reject(lineNo, phone, 'invalid_number', error instanceof Error ? error.message : 'not a valid phone number');
      continue;
    }
    const earlier = seen.get(e164);
    if (earlier !== undefined) {
      reject(lineNo, phone, 'duplicate', `same number as line ${earlier} (${e164})`);
      continue;
    }
    seen.set(e164, lineNo);
    rows.push({ org_id: input.orgId, e164, reason: reason || defaultReason, source: 'import', created_at: now, created_by: input.createdBy });
  }

  await transaction(ctx, async (tx) => {
    for (let i = 0; i < rows.length; i += IMPORT_BATCH) {
      const batch = rows.slice(i, i + IMPORT_BATCH);
      const result = await tx
        .insertInto('suppressions')
        .values(batch)
        .onConflict((oc) => oc.columns(['org_id', 'e164']).doNothing())
        .executeTakeFirst();
      report.imported += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    if (report.imported > 0) {
      await appendEvent(tx, ctx, {
        orgId: input.orgId,
        type: 'suppression.imported',
        subjectType: 'organization',
        subjectId: input.orgId,
        data: { imported: report.imported, rejected: report.rejected_count },
      });
    }
  });
  report.already_suppressed = rows.length - report.imported;
  return report;
}

/** The list as CSV lines (header first), read in pages: the whole list never sits in memory. */
export async function* exportSuppressionsCsv(ctx: AppContext, orgId: string): AsyncGenerator<string> {
  yield 'phone,reason,source,created_at,created_by\n';
  let after = '';
  for (;;) {
    const rows = await ctx.db.kysely
      .selectFrom('suppressions')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('e164', '>', after)
      .orderBy('e164')
      .limit(5000)
      .execute();
    if (rows.length === 0) return;
    yield rows
      .map((r) => `${csvField(r.e164, false)},${csvField(r.reason)},${csvField(r.source)},${new Date(r.created_at).toISOString()},${csvField(r.created_by)}\n`)
      .join('');
    after = rows[rows.length - 1]!.e164;
  }
}

// ---------------------------------------------------------------------------------------------
// Automatic suppression after carrier failures

/** Failure reasons that mean the number cannot receive texts. */
const CANNOT_RECEIVE = ['landline_or_unreachable', 'invalid_number', 'blocked_by_carrier'];
const KNOWN_CARRIERS = new Set<string>(['twilio', 'telnyx', 'bandwidth']);

/** True when a failure says the number cannot (or must not) receive texts. */
export function meansCannotReceive(carrier: string, reason: string | null, code: string | null): boolean {
  if (reason === 'landline_or_unreachable' || reason === 'invalid_number') return true;
  if (code && KNOWN_CARRIERS.has(carrier)) {
    const mapped = mapCarrierError(carrier as Carrier, code);
    return mapped.suppressesNumber && mapped.reason !== 'opted_out';
  }
  return false;
}

/**
 * Called (in the caller's transaction) when an outbound text failed. A carrier-reported opt-out
 * (Twilio 21610, Telnyx 40300, Bandwidth 4775) is the contact's STOP: recorded in the ledger. A
 * failure meaning the number cannot receive texts counts towards `auto_suppress_after_failures`:
 * consecutive such failures (since the number's last delivery) suppress it with source `carrier`.
 */
export async function afterOutboundFailure(ctx: AppContext, tx: Tx, message: Message, reason: string | null, code: string | null): Promise<void> {
  // Owners and admins who asked are emailed when a number's texts all fail (docs/notifications.md).
  await checkCarrierRejecting(ctx, tx, message, reason);
  const org = await tx.selectFrom('organizations').selectAll().where('id', '=', message.org_id).executeTakeFirstOrThrow();
  const settings = orgSettings(org);
  if (reason === 'opted_out') {
    const contact = await tx.selectFrom('contacts').select(['id', 'e164']).where('id', '=', message.contact_id).executeTakeFirstOrThrow();
    await changeConsent(ctx, tx, {
      orgId: message.org_id,
      contact,
      numberId: message.number_id,
      scope: settings.consent_scope,
      type: 'opt_out',
      by: 'contact',
      via: 'carrier',
      evidence: { message_id: message.id, ...(code ? { carrier_error: code } : {}) },
    });
    return;
  }
  const threshold = settings.auto_suppress_after_failures;
  if (threshold === null || !meansCannotReceive(message.carrier, reason, code)) return;
  const lastDelivered = await tx
    .selectFrom('messages')
    .select((eb) => eb.fn.max('created_at').as('at'))
    .where('org_id', '=', message.org_id)
    .where('to_e164', '=', message.to_e164)
    .where('direction', '=', 'outbound')
    .where('status', '=', 'delivered')
    .executeTakeFirst();
  const since = lastDelivered?.at == null ? -1 : Number(lastDelivered.at);
  const failures = await tx
    .selectFrom('messages')
    .select(['carrier', 'reason', 'error_code'])
    .where('org_id', '=', message.org_id)
    .where('to_e164', '=', message.to_e164)
    .where('direction', '=', 'outbound')
    .where('status', 'in', ['failed', 'undelivered'])
    .where('reason', 'in', CANNOT_RECEIVE)
    .where('created_at', '>', since)
    .execute();
  const count = failures.filter((f) => meansCannotReceive(f.carrier, f.reason, f.error_code)).length;
  if (count < threshold) return;
  await insertSuppression(ctx, tx, {
    org_id: message.org_id,
    e164: message.to_e164,
    reason: reason ?? 'landline_or_unreachable',
    source: 'carrier',
    created_at: ctx.clock.now(),
    created_by: null,
  });
}
