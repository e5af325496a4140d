import { z } from 'zod';
import type { Actor } from './actor.ts';
import type { AuditEntry } from './audit.ts';
import type { Db } from './db.ts';
import { readEnrichedFields } from './enrichment/enrichment-provider.ts';
import { emitEvent } from './events.ts';
import { normalizePhone } from './phone-number.ts';
import { countryCode } from './scoring/geography.ts';

/**
 * Facts about a contact with where each came from. A prospect who says "I'm Dana Reyes, VP of
 * Sales at Northwind, we're 300 people" fills the lead, but a stated fact never silently replaces
 * one from a more trusted source: it is kept beside it as a conflict for a person to settle.
 *
 * Trust, highest first:
 * 1. what the organization or the prospect entered in a form: the API, the pre-chat form, an
 *    operator, a channel's own sender data, and any value whose source was never recorded
 *    (written before provenance was kept);
 * 2. enrichment with a named provider (`contacts.enrichment.fields`, which scoring also reads);
 * 3. the conversation. A later statement replaces an earlier one of the conversation.
 *
 * Email and phone identify the contact across channels, so a stated one is applied only to a
 * contact that has none, and never when another contact of the organization has it (joining the
 * two is a merge, which is not done silently).
 */
export const contactFactFields = [
  'firstName',
  'lastName',
  'email',
  'phone',
  'company',
  'title',
  'companySize',
  'industry',
  'country',
  'website',
  'tools',
] as const;
export type ContactFactField = (typeof contactFactFields)[number];

export interface ContactFacts {
  firstName?: string;
  lastName?: string;
  email?: string;
  phone?: string;
  company?: string;
  title?: string;
  /** Employees. */
  companySize?: number;
  industry?: string;
  country?: string;
  website?: string;
  tools?: string[];
}

const columns: Record<ContactFactField, string> = {
  firstName: 'first_name',
  lastName: 'last_name',
  email: 'email',
  phone: 'phone',
  company: 'company_name',
  title: 'title',
  companySize: 'company_size',
  industry: 'industry',
  country: 'country',
  website: 'website',
  tools: 'tools',
};

export const fieldSourceSchema = z.object({
  source: z.string(),
  messageId: z.string().optional(),
  conversationId: z.string().optional(),
  at: z.string().optional(),
});
export type FieldSource = z.infer<typeof fieldSourceSchema>;
export type FieldSources = Partial<Record<ContactFactField, FieldSource>>;

export const factConflictSchema = z.object({
  field: z.enum(contactFactFields),
  /** What was stated. */
  value: z.unknown(),
  source: z.string(),
  messageId: z.string().optional(),
  conversationId: z.string().optional(),
  at: z.string(),
  /** The value that stands, and where it came from. */
  current: z.unknown().optional(),
  currentSource: z.string().optional(),
  /** `trusted_value`, `enrichment_value`, `identity_set` or `other_contact`. */
  reason: z.string(),
  /** For `other_contact`: the contact that has this email or phone. */
  otherContactId: z.string().optional(),
});
export type FactConflict = z.infer<typeof factConflictSchema>;

/** Conflicts kept per contact: the newest, so a talkative prospect cannot grow the row forever. */
const maxConflicts = 50;

/** The source a form or API write records, from who wrote it and the lead's `source`. */
export function fieldSourceOf(actor: Actor, leadSource?: string | null): string {
  if (actor.type === 'api_key') return 'api';
  if (actor.type === 'rep') return 'operator';
  if (actor.type === 'prospect') {
    if (leadSource === 'web_prechat') return 'prechat';
    const inbound = /^([a-z]+)_inbound$/.exec(leadSource ?? '');
    return inbound ? `inbound:${inbound[1]}` : 'prospect';
  }
  return actor.type;
}

/** 1 conversation, 2 enrichment, 3 everything entered (and anything unrecorded). */
export function trustOf(source: string | undefined): number {
  if (source === 'conversation') return 1;
  if (source?.startsWith('enrichment:')) return 2;
  return 3;
}

export function readFieldSources(value: unknown): FieldSources {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const sources: FieldSources = {};
  for (const field of contactFactFields) {
    const parsed = fieldSourceSchema.safeParse((value as Record<string, unknown>)[field]);
    if (parsed.success) sources[field] = parsed.data;
  }
  return sources;
}

export function readFactConflicts(value: unknown): FactConflict[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => {
    const parsed = factConflictSchema.safeParse(entry);
    return parsed.success ? [parsed.data] : [];
  });
}

/** Field sources for what a form or API call wrote, as a jsonb patch. */
export function fieldSourcesFor(fields: readonly string[], source: string, at: Date): FieldSources {
  const entry: FieldSource = { source, at: at.toISOString() };
  return Object.fromEntries(
    fields.filter((field) => (contactFactFields as readonly string[]).includes(field)).map((f) => [f, entry]),
  );
}

const plainText = (max: number) => (value: unknown) => {
  if (typeof value !== 'string') return undefined;
  const text = value.replace(/\s+/g, ' ').trim();
  return text.length > 0 && text.length <= max ? text : undefined;
};
const personName = (value: unknown) => {
  const text = plainText(100)(value);
  // A name has letters and no digits or address characters.
  return text && /\p{L}/u.test(text) && !/[\d@/:]/.test(text) ? text : undefined;
};

/** "Germany", "de", and names the table holds that look like codes ("UK", "USA"). */
const countryCodeOf = (text: string) => countryCode(text) ?? countryCode(`the ${text.toLowerCase()}`);

/** The host of a website or domain ("https://www.Northwind.io/about" → "northwind.io"). */
export function websiteHost(value: string): string | null {
  const host = value
    .trim()
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/^www\./, '')
    .split(/[/?#\s]/)[0]!
    .replace(/\.$/, '');
  return /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$/.test(host) ? host : null;
}

/** Each stated value in the form it is stored in, or undefined when it is not a value of its field. */
const clean: Record<ContactFactField, (value: unknown) => unknown> = {
  firstName: personName,
  lastName: personName,
  email: (value) => {
    const text = plainText(320)(value)?.toLowerCase();
    return text && z.email().safeParse(text).success ? text : undefined;
  },
  phone: (value) => (typeof value === 'string' ? (normalizePhone(value) ?? undefined) : undefined),
  company: plainText(200),
  title: plainText(200),
  companySize: (value) =>
    typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 10_000_000
      ? value
      : undefined,
  industry: plainText(100),
  // A country the geography table knows is stored as its ISO code, as enrichment stores it.
  country: (value) => {
    const text = plainText(100)(value);
    return text ? (countryCodeOf(text) ?? text) : undefined;
  },
  website: (value) => (typeof value === 'string' ? (websiteHost(value) ?? undefined) : undefined),
  tools: (value) => {
    if (!Array.isArray(value)) return undefined;
    const tools = mergeTools(
      [],
      value.map(plainText(100)).filter((tool): tool is string => Boolean(tool)),
    );
    return tools.length > 0 ? tools.slice(0, 20) : undefined;
  },
};

function mergeTools(current: readonly string[], added: readonly string[]): string[] {
  const seen = new Set(current.map((tool) => tool.toLowerCase()));
  const merged = [...current];
  for (const tool of added) {
    if (seen.has(tool.toLowerCase())) continue;
    seen.add(tool.toLowerCase());
    merged.push(tool);
  }
  return merged;
}

const comparable = (text: string) =>
  text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
const legalSuffix = /\s+(inc|incorporated|corp|corporation|co|company|llc|ltd|limited|gmbh|ag|sa|plc|bv)$/;

/** The same fact, however it was written ("Acme Corp" and "acme", "Germany" and "DE"). */
function sameValue(field: ContactFactField, a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return false;
  switch (field) {
    case 'companySize':
      return Number(a) === Number(b);
    case 'phone':
      return normalizePhone(String(a)) === normalizePhone(String(b));
    case 'country': {
      const [ca, cb] = [countryCodeOf(String(a)), countryCodeOf(String(b))];
      return ca && cb ? ca === cb : comparable(String(a)) === comparable(String(b));
    }
    case 'website':
      return (websiteHost(String(a)) ?? String(a)) === (websiteHost(String(b)) ?? String(b));
    case 'company':
      return (
        comparable(String(a)).replace(legalSuffix, '') === comparable(String(b)).replace(legalSuffix, '')
      );
    case 'tools': {
      const have = new Set((a as string[]).map((tool) => comparable(tool)));
      return (b as string[]).every((tool) => have.has(comparable(tool)));
    }
    default:
      return comparable(String(a)) === comparable(String(b));
  }
}

/** What enrichment found for a contact field, if it maps to one. */
function enrichedValue(
  field: ContactFactField,
  enrichment: ReturnType<typeof readEnrichedFields>,
): { value: unknown; source: string } | undefined {
  switch (field) {
    case 'company':
      return enrichment.companyName;
    case 'companySize':
      return enrichment.companySize;
    case 'industry':
      return enrichment.industry;
    case 'country':
      return enrichment.country;
    case 'website':
      return enrichment.companyDomain;
    default:
      return undefined;
  }
}

export interface ContactFactsOrigin {
  conversationId?: string;
  messageId?: string;
}

export interface ApplyContactFactsResult {
  /** Fields written (API names). */
  applied: ContactFactField[];
  /** Stated facts kept beside a value that stands. */
  conflicts: FactConflict[];
  /** Fields whose stated value was not a value of the field (an email that is not one). */
  ignored: ContactFactField[];
  /** For the caller to write last in its transaction (the audit chain's lock is held until commit). */
  audits: AuditEntry[];
}

/**
 * Applies facts the prospect stated in a conversation to the contact, under the rules above, in
 * the caller's transaction: writes the fields with their provenance, keeps conflicts, and emits
 * `lead.updated` with the fields written so the lead is re-scored.
 */
export async function applyContactFacts(
  tx: Db,
  input: {
    orgId: string;
    contactId: string;
    facts: ContactFacts;
    origin: ContactFactsOrigin;
    actor: Actor;
    now: Date;
  },
): Promise<ApplyContactFactsResult> {
  const { orgId, contactId, origin, now } = input;
  const result: ApplyContactFactsResult = { applied: [], conflicts: [], ignored: [], audits: [] };
  const stated = new Map<ContactFactField, unknown>();
  for (const field of contactFactFields) {
    const raw = input.facts[field];
    if (raw === undefined) continue;
    const value = clean[field](raw);
    if (value === undefined) result.ignored.push(field);
    else stated.set(field, value);
  }
  if (stated.size === 0) return result;

  const rows = await tx.query<Record<string, unknown>>(
    `select ${Object.values(columns).join(', ')}, field_sources, fact_conflicts,
       enrichment -> 'fields' as enrichment_fields
     from contacts where org_id = $1 and id = $2 for update`,
    [orgId, contactId],
  );
  const row = rows[0];
  if (!row) return result;
  const sources = readFieldSources(row.field_sources);
  const enrichment = readEnrichedFields(row.enrichment_fields);
  const at = now.toISOString();
  const provenance: FieldSource = {
    source: 'conversation',
    ...(origin.messageId ? { messageId: origin.messageId } : {}),
    ...(origin.conversationId ? { conversationId: origin.conversationId } : {}),
    at,
  };
  const conflict = (
    field: ContactFactField,
    value: unknown,
    details: Omit<FactConflict, 'field' | 'value' | 'source' | 'at'>,
  ) => result.conflicts.push({ field, value, source: 'conversation', ...origin, at, ...details });
  const writes = new Map<ContactFactField, unknown>();
  const replaced: ContactFactField[] = [];

  for (const [field, value] of stated) {
    const current = row[columns[field]] ?? null;
    const currentSource = sources[field]?.source;
    if (current !== null) {
      if (sameValue(field, current, value)) continue;
      if (field === 'email' || field === 'phone') {
        conflict(field, value, { current, currentSource, reason: 'identity_set' });
      } else if (trustOf('conversation') < trustOf(currentSource)) {
        conflict(field, value, {
          current,
          currentSource: currentSource ?? 'unrecorded',
          reason: 'trusted_value',
        });
      } else {
        // An earlier statement of the conversation: the later one wins (tools add up).
        writes.set(field, field === 'tools' ? mergeTools(current as string[], value as string[]) : value);
        replaced.push(field);
      }
      continue;
    }
    const enriched = enrichedValue(field, enrichment);
    if (enriched && !sameValue(field, enriched.value, value)) {
      conflict(field, value, {
        current: enriched.value,
        currentSource: `enrichment:${enriched.source}`,
        reason: 'enrichment_value',
      });
      continue;
    }
    writes.set(field, value);
  }

  // Email and phone first, each on its own: another contact's address is a conflict, not a merge.
  for (const field of ['email', 'phone'] as const) {
    if (!writes.has(field)) continue;
    const value = writes.get(field) as string;
    writes.delete(field);
    const owner = await tx.query<{ id: string }>(
      field === 'email'
        ? 'select id from contacts where org_id = $1 and lower(email) = $2 and id <> $3 limit 1'
        : 'select id from contacts where org_id = $1 and phone = $2 and id <> $3 limit 1',
      [orgId, value, contactId],
    );
    if (owner[0]) {
      conflict(field, value, { reason: 'other_contact', otherContactId: owner[0].id });
      continue;
    }
    // A contact created with this address since the check would break the unique index and abort
    // the whole turn; the savepoint turns that race into a conflict too.
    await tx.query('savepoint contact_identity_fact');
    try {
      const set = await tx.query(
        `update contacts set ${columns[field]} = $3 where org_id = $1 and id = $2 and ${columns[field]} is null
         returning id`,
        [orgId, contactId, value],
      );
      await tx.query('release savepoint contact_identity_fact');
      if (set[0]) result.applied.push(field);
    } catch (error) {
      if ((error as { code?: string }).code !== '23505') throw error;
      await tx.query('rollback to savepoint contact_identity_fact');
      conflict(field, value, { reason: 'other_contact' });
    }
  }
  for (const field of writes.keys()) result.applied.push(field);

  const nextSources: FieldSources = { ...sources };
  for (const field of result.applied) nextSources[field] = provenance;
  const kept = readFactConflicts(row.fact_conflicts);
  // The same message read twice (the email learned on arrival, then by the agent) is one conflict.
  result.conflicts = result.conflicts.filter(
    (entry) =>
      !kept.some((old) => conflictKey(old) === conflictKey(entry) && old.messageId === entry.messageId),
  );
  const conflicts = mergeConflicts(kept, result.conflicts);
  const assignments = [...writes.keys()].map((field, i) => `${columns[field]} = $${i + 5}`);
  if (result.applied.length > 0 || result.conflicts.length > 0) {
    await tx.query(
      `update contacts set ${[...assignments, 'field_sources = $3', 'fact_conflicts = $4', 'updated_at = now()'].join(', ')}
       where org_id = $1 and id = $2`,
      [orgId, contactId, JSON.stringify(nextSources), JSON.stringify(conflicts), ...writes.values()],
    );
  }
  const details = {
    source: 'conversation',
    ...(origin.conversationId ? { conversationId: origin.conversationId } : {}),
    ...(origin.messageId ? { messageId: origin.messageId } : {}),
  };
  if (result.applied.length > 0) {
    await emitEvent(tx, 'lead.updated', { orgId, contactId, fields: result.applied });
    result.audits.push({
      orgId,
      actor: input.actor,
      action: 'lead.updated',
      entityType: 'contact',
      entityId: contactId,
      contactId,
      details: {
        fields: result.applied,
        ...(replaced.length > 0 ? { replaced: replaced.filter((f) => result.applied.includes(f)) } : {}),
        ...details,
      },
    });
  }
  if (result.conflicts.length > 0) {
    result.audits.push({
      orgId,
      actor: input.actor,
      action: 'lead.fact_conflict',
      entityType: 'contact',
      entityId: contactId,
      contactId,
      outcome: 'refused',
      details: {
        conflicts: result.conflicts.map(({ field, reason, currentSource }) => ({
          field,
          reason,
          ...(currentSource ? { currentSource } : {}),
        })),
        ...details,
      },
    });
  }
  return result;
}

/** The same field and value said again replaces its older entry; the newest are kept. */
const conflictKey = (entry: FactConflict) => `${entry.field}:${JSON.stringify(entry.value).toLowerCase()}`;
function mergeConflicts(existing: FactConflict[], added: FactConflict[]): FactConflict[] {
  const fresh = new Set(added.map(conflictKey));
  return [...existing.filter((entry) => !fresh.has(conflictKey(entry))), ...added].slice(-maxConflicts);
}

/** Several statements of one turn as one set of facts: later ones win, tools add up. */
export function mergeContactFacts(list: readonly ContactFacts[]): ContactFacts {
  const merged: ContactFacts = {};
  for (const facts of list) {
    const { tools, ...rest } = facts;
    Object.assign(merged, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
    if (tools) merged.tools = mergeTools(merged.tools ?? [], tools);
  }
  return merged;
}
