import { z } from 'zod';
import type { Actor } from './actor.ts';
import { recordAudit } from './audit.ts';
import {
  type FactConflict,
  type FieldSources,
  fieldSourceOf,
  fieldSourcesFor,
  readFactConflicts,
  readFieldSources,
} from './contact-facts.ts';
import type { Db } from './db.ts';
import { notFound } from './errors.ts';
import { emitEvent } from './events.ts';
import { normalizePhone } from './phone-number.ts';

const text = (max: number) => z.string().trim().min(1).max(max);

export const leadInputSchema = z
  .object({
    email: z.email('email must be an email address').trim().toLowerCase().optional(),
    phone: z
      .string()
      .transform((value, ctx) => {
        const phone = normalizePhone(value);
        if (!phone)
          ctx.addIssue({ code: 'custom', message: 'phone must be a phone number, e.g. +14155550123' });
        return phone ?? z.NEVER;
      })
      .optional(),
    firstName: text(100).optional(),
    lastName: text(100).optional(),
    title: text(200).optional(),
    company: text(200).optional(),
    website: text(500).optional(),
    companySize: z.coerce
      .number()
      .int('companySize must be a whole number of employees')
      .min(0)
      .max(10_000_000)
      .optional(),
    industry: text(100).optional(),
    country: text(100).optional(),
    source: text(100).optional(),
  })
  .strict()
  .refine((lead) => lead.email || lead.phone, {
    message: 'a lead needs an email or a phone number',
    path: ['email'],
  });
export type LeadInput = z.input<typeof leadInputSchema>;

export interface Lead {
  id: string;
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  title: string | null;
  company: string | null;
  website: string | null;
  companySize: number | null;
  industry: string | null;
  country: string | null;
  /** Tools the prospect said they use. */
  tools: string[] | null;
  source: string | null;
  /** Where each field came from (`conversation` with the message id, `api`, `prechat`, ...). */
  sources: FieldSources;
  /** Stated facts not applied because a more trusted value stands (`core/contact-facts.ts`). */
  conflicts: FactConflict[];
  status: string;
  leadScore: number | null;
  scoreBreakdown: unknown[];
  scoredAt: string | null;
  enrichment: Record<string, unknown>;
  qualification: { outcome: string | null; bant: Record<string, unknown> } & Record<string, unknown>;
  routing: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

export interface ContactRow {
  id: string;
  org_id: string;
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  title: string | null;
  company_name: string | null;
  website: string | null;
  company_size: number | null;
  industry: string | null;
  country: string | null;
  tools: string[] | null;
  source: string | null;
  field_sources: unknown;
  fact_conflicts: unknown;
  status: string;
  lead_score: number | null;
  score_breakdown: unknown[];
  scored_at: Date | null;
  enrichment: Record<string, unknown>;
  qualification: Record<string, unknown>;
  routing: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
}

export function toLead(row: ContactRow): Lead {
  const qualification = row.qualification ?? {};
  return {
    id: row.id,
    email: row.email,
    phone: row.phone,
    firstName: row.first_name,
    lastName: row.last_name,
    title: row.title,
    company: row.company_name,
    website: row.website,
    companySize: row.company_size,
    industry: row.industry,
    country: row.country,
    tools: row.tools ?? null,
    source: row.source,
    sources: readFieldSources(row.field_sources),
    conflicts: readFactConflicts(row.fact_conflicts),
    status: row.status,
    leadScore: row.lead_score,
    scoreBreakdown: row.score_breakdown,
    scoredAt: row.scored_at?.toISOString() ?? null,
    enrichment: row.enrichment,
    qualification: {
      ...qualification,
      outcome: (qualification.outcome as string | undefined) ?? null,
      bant: (qualification.bant as Record<string, unknown> | undefined) ?? {},
    },
    routing: row.routing,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

// API field → column, for the fields a caller may set.
const columns = {
  email: 'email',
  phone: 'phone',
  firstName: 'first_name',
  lastName: 'last_name',
  title: 'title',
  company: 'company_name',
  website: 'website',
  companySize: 'company_size',
  industry: 'industry',
  country: 'country',
  source: 'source',
} as const;

/**
 * Records a lead. The same prospect (same email or phone in the organization) stays one contact:
 * a known lead gets its missing fields filled in and its changes announced, a new one is created
 * and announced with `lead.created` so scoring starts by itself.
 */
export async function upsertLead(
  db: Db,
  orgId: string,
  input: LeadInput,
  actor: Actor,
): Promise<{ lead: Lead; created: boolean }> {
  const lead = leadInputSchema.parse(input);
  const given = (Object.keys(columns) as (keyof typeof columns)[]).filter(
    (field) => lead[field] !== undefined,
  );
  // Provenance of what this call writes: what a form or the API enters outranks the conversation.
  const provenance = (fields: string[]) =>
    JSON.stringify(fieldSourcesFor(fields, fieldSourceOf(actor, lead.source), new Date()));
  return db.transaction(async (tx) => {
    // One writer per organization and identity at a time, so two racing submissions of the
    // same prospect cannot both create a contact.
    await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 7711))', [
      `${orgId}:${lead.email ?? lead.phone}`,
    ]);
    const existing = await tx.query<ContactRow>(
      `select * from contacts where org_id = $1
         and ((email is not null and lower(email) = $2) or (phone is not null and phone = $3))
       order by created_at limit 1`,
      [orgId, lead.email ?? null, lead.phone ?? null],
    );
    if (existing[0]) {
      const current = existing[0];
      // Fill in what we did not know; never overwrite what the prospect or an agent already set.
      const missing = given.filter((field) => current[columns[field]] === null);
      if (missing.length === 0) return { lead: toLead(current), created: false };
      const sets = missing.map((field, i) => `${columns[field]} = $${i + 4}`).join(', ');
      const rows = await tx.query<ContactRow>(
        `update contacts set ${sets}, field_sources = field_sources || $3::jsonb, updated_at = now()
         where org_id = $1 and id = $2 returning *`,
        [orgId, current.id, provenance(missing), ...missing.map((field) => lead[field])],
      );
      await emitEvent(tx, 'lead.updated', { orgId, contactId: current.id, fields: missing });
      await recordAudit(tx, {
        orgId,
        actor,
        action: 'lead.updated',
        entityType: 'contact',
        entityId: current.id,
        contactId: current.id,
        details: { fields: missing },
      });
      return { lead: toLead(rows[0]!), created: false };
    }
    const rows = await tx.query<ContactRow>(
      `insert into contacts (org_id, field_sources, ${given.map((field) => columns[field]).join(', ')})
       values ($1, $2, ${given.map((_, i) => `$${i + 3}`).join(', ')}) returning *`,
      [orgId, provenance(given), ...given.map((field) => lead[field])],
    );
    const contact = rows[0]!;
    await emitEvent(tx, 'lead.created', { orgId, contactId: contact.id, source: contact.source });
    await recordAudit(tx, {
      orgId,
      actor,
      action: 'lead.created',
      entityType: 'contact',
      entityId: contact.id,
      contactId: contact.id,
    });
    return { lead: toLead(contact), created: true };
  });
}

export async function getLead(db: Db, orgId: string, contactId: string): Promise<Lead> {
  const rows = await db.query<ContactRow>('select * from contacts where org_id = $1 and id = $2', [
    orgId,
    contactId,
  ]);
  if (!rows[0]) throw notFound('lead');
  return toLead(rows[0]);
}

export const findLeadsSchema = z.object({
  email: z.string().trim().toLowerCase().max(320, 'email is too long').optional(),
  phone: z.string().max(40, 'phone is too long').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export async function findLeads(
  db: Db,
  orgId: string,
  filter: z.input<typeof findLeadsSchema>,
): Promise<Lead[]> {
  const { email, phone, limit } = findLeadsSchema.parse(filter);
  const normalizedPhone = phone ? (normalizePhone(phone) ?? phone) : null;
  const rows = await db.query<ContactRow>(
    `select * from contacts where org_id = $1
       and ($2::text is null or lower(email) = $2)
       and ($3::text is null or phone = $3)
     order by created_at desc limit $4`,
    [orgId, email ?? null, normalizedPhone, limit],
  );
  return rows.map(toLead);
}
