import { z } from 'zod';
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import type { Db } from '../db.ts';
import { DomainError, notFound } from '../errors.ts';
import { normalizePhone } from '../phone-number.ts';
import { nanpAreaCode } from './quiet-hours.ts';

/**
 * Do-Not-Call, three ways: the contact's own flag (they asked this organization not to call),
 * the organization's list of numbers, and the national registry the organization downloads per
 * area code. All three stop calls and texts; see the gate for which purposes they cover.
 */

/** The safe harbor needs registry data no older than 31 days. */
export const nationalDataMaxAgeDays = 31;

const phoneSchema = z.string().transform((value, ctx) => {
  const phone = normalizePhone(value);
  if (!phone) ctx.addIssue({ code: 'custom', message: 'phone must be a phone number, e.g. +14155550123' });
  return phone ?? z.NEVER;
});

export async function setContactDoNotCall(
  db: Db,
  orgId: string,
  contactId: string,
  doNotCall: boolean,
  actor: Actor,
): Promise<void> {
  await db.transaction(async (tx) => {
    const rows = await tx.query(
      'update contacts set do_not_call = $3, updated_at = now() where org_id = $1 and id = $2 returning id',
      [orgId, contactId, doNotCall],
    );
    if (!rows[0]) throw notFound('contact');
    await recordAudit(tx, {
      orgId,
      actor,
      action: doNotCall ? 'dnc.contact.flagged' : 'dnc.contact.unflagged',
      entityType: 'contact',
      entityId: contactId,
      contactId,
    });
  });
}

export async function addToDoNotCallList(
  db: Db,
  orgId: string,
  phone: string,
  actor: Actor,
): Promise<string> {
  const number = phoneSchema.parse(phone);
  await db.transaction(async (tx) => {
    await tx.query(
      `insert into dnc_numbers (org_id, phone, source) values ($1, $2, 'org') on conflict do nothing`,
      [orgId, number],
    );
    await recordAudit(tx, { orgId, actor, action: 'dnc.org.added', entityType: 'phone', entityId: number });
  });
  return number;
}

export async function removeFromDoNotCallList(
  db: Db,
  orgId: string,
  phone: string,
  actor: Actor,
): Promise<{ phone: string; removed: boolean }> {
  const number = phoneSchema.parse(phone);
  return db.transaction(async (tx) => {
    const rows = await tx.query(
      `delete from dnc_numbers where org_id = $1 and source = 'org' and phone = $2 returning phone`,
      [orgId, number],
    );
    if (rows[0]) {
      await recordAudit(tx, {
        orgId,
        actor,
        action: 'dnc.org.removed',
        entityType: 'phone',
        entityId: number,
      });
    }
    return { phone: number, removed: rows.length > 0 };
  });
}

/** Which lists a number is on. */
export async function doNotCallListings(
  db: Db,
  orgId: string,
  phone: string,
): Promise<{ org: boolean; national: boolean }> {
  const number = normalizePhone(phone) ?? phone;
  const rows = await db.query<{ source: 'org' | 'national' }>(
    'select source from dnc_numbers where org_id = $1 and phone = $2',
    [orgId, number],
  );
  return {
    org: rows.some((row) => row.source === 'org'),
    national: rows.some((row) => row.source === 'national'),
  };
}

export const nationalRegistryImportSchema = z.object({
  /** The registry file: one 10-digit number per line. */
  text: z.string().min(1, 'text is empty: send the registry file, one 10-digit number per line'),
  /** The area code the file is for; lines outside it are skipped. */
  areaCode: z
    .string()
    .regex(/^[2-9]\d{2}$/, 'areaCode must be a three-digit area code')
    .optional(),
  /** The date of the registry data (YYYY-MM-DD), which the 31-day freshness rule counts from. */
  dataDate: z.iso.date('dataDate must be a date, YYYY-MM-DD'),
});
export type NationalRegistryImportInput = z.input<typeof nationalRegistryImportSchema>;

export interface NationalRegistryImport {
  importId: string;
  /** Numbers now listed for the imported area codes. */
  numbers: number;
  areaCodes: string[];
  dataDate: string;
  /** Lines that are not a 10-digit North American number. */
  invalidLines: number;
  /** Valid numbers skipped because they are outside `areaCode`. */
  outsideAreaCode: number;
  warnings: string[];
}

const dayMs = 86_400_000;
const insertChunk = 5000;

/**
 * Imports national registry files. A file is the complete list for each area code it covers, so
 * the area codes' previous numbers are replaced (numbers that left the registry are callable
 * again). The import and its data date are recorded for the freshness rule.
 */
export async function importNationalRegistry(
  db: Db,
  orgId: string,
  input: NationalRegistryImportInput,
  actor: Actor,
  now: Date = new Date(),
): Promise<NationalRegistryImport> {
  const { text, areaCode, dataDate } = nationalRegistryImportSchema.parse(input);
  if (Date.parse(dataDate) > now.getTime() + dayMs) {
    throw new DomainError('invalid', 'dataDate is in the future');
  }
  const numbers = new Set<string>();
  let invalidLines = 0;
  let outsideAreaCode = 0;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    // Registry files come as "2015550123" or "201,5550123"; anything else is not a number.
    const digits = /^[\d\s,().-]+$/.test(line.trim()) ? line.replace(/\D/g, '') : '';
    const tenDigits = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
    if (!/^[2-9]\d{2}[2-9]\d{6}$/.test(tenDigits)) {
      invalidLines += 1;
      continue;
    }
    if (areaCode && !tenDigits.startsWith(areaCode)) {
      outsideAreaCode += 1;
      continue;
    }
    numbers.add(`+1${tenDigits}`);
  }
  if (numbers.size === 0) {
    throw new DomainError(
      'invalid',
      `no 10-digit numbers${areaCode ? ` in area code ${areaCode}` : ''} found: send one number per line`,
      { invalidLines, outsideAreaCode },
    );
  }
  const areaCodes = areaCode ? [areaCode] : [...new Set([...numbers].map((n) => n.slice(2, 5)))].sort();
  const list = [...numbers];
  const importId = await db.transaction(async (tx) => {
    await tx.query(
      `delete from dnc_numbers where org_id = $1 and source = 'national' and substr(phone, 3, 3) = any($2)`,
      [orgId, areaCodes],
    );
    for (let i = 0; i < list.length; i += insertChunk) {
      await tx.query(
        `insert into dnc_numbers (org_id, phone, source, added_at)
         select $1, phone, 'national', $3 from unnest($2::text[]) as phone on conflict do nothing`,
        [orgId, list.slice(i, i + insertChunk), now],
      );
    }
    const rows = await tx.query<{ id: string }>(
      `insert into dnc_imports (org_id, source, area_codes, numbers, data_date, imported_at)
       values ($1, 'national', $2, $3, $4, $5) returning id`,
      [orgId, areaCodes, list.length, dataDate, now],
    );
    await recordAudit(tx, {
      orgId,
      actor,
      action: 'dnc.national.imported',
      entityType: 'dnc_import',
      entityId: rows[0]!.id,
      details: { areaCodes, numbers: list.length, dataDate, invalidLines, outsideAreaCode },
    });
    return rows[0]!.id;
  });
  const warnings = isStale(dataDate, now) ? ['dnc_national_stale'] : [];
  return { importId, numbers: list.length, areaCodes, dataDate, invalidLines, outsideAreaCode, warnings };
}

export interface NationalRegistryStatus {
  /** Each imported area code with the date of its newest data. */
  areaCodes: { areaCode: string; dataDate: string; stale: boolean }[];
  /** `dnc_national_not_imported` (nothing, or not this area code) or `dnc_national_stale`. */
  warnings: string[];
}

/**
 * How current the organization's copy of the national registry is, overall or for one number's
 * area code. Stale or missing data is a warning, not a refusal: the organization must refresh it.
 */
export async function nationalRegistryStatus(
  db: Db,
  orgId: string,
  options: { phone?: string; now?: Date } = {},
): Promise<NationalRegistryStatus> {
  const now = options.now ?? new Date();
  const areaCode = options.phone ? nanpAreaCode(options.phone) : null;
  const rows = await db.query<{ area_code: string; data_date: string }>(
    `select area_code, to_char(max(data_date), 'YYYY-MM-DD') as data_date
     from dnc_imports, unnest(area_codes) as area_code
     where org_id = $1 and source = 'national' and ($2::text is null or area_code = $2)
     group by area_code order by area_code`,
    [orgId, areaCode],
  );
  const areaCodes = rows.map((row) => ({
    areaCode: row.area_code,
    dataDate: row.data_date,
    stale: isStale(row.data_date, now),
  }));
  const warnings: string[] = [];
  if (areaCodes.length === 0) warnings.push('dnc_national_not_imported');
  if (areaCodes.some((entry) => entry.stale)) warnings.push('dnc_national_stale');
  return { areaCodes, warnings };
}

/** Whole days since the data date (UTC): data of 1 October is 31 days old on 1 November. */
function isStale(dataDate: string, now: Date): boolean {
  const ageDays = Math.floor((now.getTime() - Date.parse(`${dataDate}T00:00:00Z`)) / dayMs);
  return ageDays > nationalDataMaxAgeDays;
}
