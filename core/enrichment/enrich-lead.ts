import type { Actor } from '../actor.ts';
import { systemActor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import type { Db } from '../db.ts';
import { notFound } from '../errors.ts';
import { emitEvent } from '../events.ts';
import type { ContactRow } from '../leads.ts';
import {
  companyFieldNames,
  type EnrichedFields,
  type EnrichmentFieldName,
  type EnrichmentProvider,
  type EnrichmentResult,
  type EnrichmentSubject,
  enrichmentFieldNames,
  enrichmentValueSchemas,
  type StoredEnrichment,
} from './enrichment-provider.ts';
import { offlineEnrichmentProvider } from './offline-provider.ts';
import { createPerplexityProvider } from './perplexity-provider.ts';

/**
 * The providers for this installation, in order of precedence: the offline provider always, and
 * Perplexity when its key is set. Takes the parsed configuration's fields by name.
 */
export function enrichmentProviders(config: {
  PERPLEXITY_API_KEY?: string;
  PERPLEXITY_BASE_URL?: string;
}): EnrichmentProvider[] {
  const providers: EnrichmentProvider[] = [offlineEnrichmentProvider];
  if (config.PERPLEXITY_API_KEY)
    providers.push(
      createPerplexityProvider({ apiKey: config.PERPLEXITY_API_KEY, baseUrl: config.PERPLEXITY_BASE_URL }),
    );
  return providers;
}

export interface EnrichLeadResult {
  contactId: string;
  /** The contact's enrichment after the merge, as stored. */
  enrichment: StoredEnrichment;
  /** Providers that answered (whether or not they found anything), in order. */
  sources: string[];
  /** Providers that failed and why; what they had found before is kept. */
  failures: { provider: string; error: string }[];
  /** Fields whose value or source this run changed. */
  changedFields: EnrichmentFieldName[];
  companyId: string | null;
}

function subjectOf(row: ContactRow): EnrichmentSubject {
  return {
    email: row.email,
    phone: row.phone,
    firstName: row.first_name,
    lastName: row.last_name,
    title: row.title,
    company: row.company_name,
    website: row.website,
    country: row.country,
  };
}

/** A provider's fields that pass their schemas, stamped with the provider's name when unsourced. */
function validFields(provider: string, result: EnrichmentResult): EnrichedFields {
  const fields: Record<string, unknown> = {};
  for (const name of enrichmentFieldNames) {
    const field = result.fields[name];
    if (!field) continue;
    if (!enrichmentValueSchemas[name].safeParse(field.value).success) continue;
    fields[name] = { ...field, source: field.source || provider };
  }
  return fields as EnrichedFields;
}

function readStored(value: unknown): StoredEnrichment {
  const stored = (value && typeof value === 'object' ? value : {}) as Partial<StoredEnrichment>;
  return {
    fields: stored.fields && typeof stored.fields === 'object' ? { ...stored.fields } : {},
    providers: stored.providers && typeof stored.providers === 'object' ? { ...stored.providers } : {},
  };
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Runs the providers on one contact and merges what they found into `contacts.enrichment` (and
 * the company's row, found or created by domain), then emits `lead.enriched` with the providers
 * that answered — in one transaction. Providers run outside the transaction (they may call the
 * network). For each field the first provider in `providers` that supplied it wins; a field no
 * provider supplied this time keeps its stored value. A failing provider is recorded in the
 * result and in `enrichment.providers`, and never discards what others found: the lead is then
 * scored on what is known.
 */
export async function enrichLead(
  db: Db,
  providers: readonly EnrichmentProvider[],
  orgId: string,
  contactId: string,
  options: { now?: Date; actor?: Actor; signal?: AbortSignal } = {},
): Promise<EnrichLeadResult> {
  const now = options.now ?? new Date();
  const at = now.toISOString();
  const rows = await db.query<ContactRow>('select * from contacts where org_id = $1 and id = $2', [
    orgId,
    contactId,
  ]);
  if (!rows[0]) throw notFound('lead');
  const subject = subjectOf(rows[0]);

  const outcomes = await Promise.all(
    providers.map(async (provider) => {
      try {
        const result = await provider.enrich(subject, { signal: options.signal });
        return { provider: provider.name, result, fields: validFields(provider.name, result) };
      } catch (error) {
        return { provider: provider.name, error: (error as Error).message || String(error) };
      }
    }),
  );

  return db.transaction(async (tx) => {
    const locked = await tx.query<{
      enrichment: unknown;
      company_id: string | null;
      company_name: string | null;
    }>(
      'select enrichment, company_id, company_name from contacts where org_id = $1 and id = $2 for no key update',
      [orgId, contactId],
    );
    if (!locked[0]) throw notFound('lead');
    const stored = readStored(locked[0].enrichment);
    const sources: string[] = [];
    const failures: { provider: string; error: string }[] = [];
    const changedFields: EnrichmentFieldName[] = [];

    for (const outcome of outcomes) {
      if ('error' in outcome) {
        failures.push({ provider: outcome.provider, error: outcome.error! });
        stored.providers[outcome.provider] = { status: 'failed', at, error: outcome.error };
        continue;
      }
      sources.push(outcome.provider);
      stored.providers[outcome.provider] = {
        status: 'ok',
        at,
        fields: Object.keys(outcome.fields),
        ...(outcome.result.citations?.length ? { citations: outcome.result.citations } : {}),
      };
    }
    // The first provider (in the given order) to supply a field this run wins it.
    const taken = new Set<string>();
    for (const outcome of outcomes) {
      if ('error' in outcome) continue;
      for (const [name, field] of Object.entries(outcome.fields) as [
        EnrichmentFieldName,
        { value: unknown; source: string; basis?: string },
      ][]) {
        if (taken.has(name)) continue;
        taken.add(name);
        const previous = stored.fields[name] as
          | { value: unknown; source: string; basis?: string }
          | undefined;
        if (
          previous &&
          previous.source === field.source &&
          previous.basis === field.basis &&
          sameValue(previous.value, field.value)
        )
          continue;
        (stored.fields as Record<string, unknown>)[name] = { ...field, at };
        changedFields.push(name);
      }
    }

    await tx.query('update contacts set enrichment = $3, updated_at = now() where org_id = $1 and id = $2', [
      orgId,
      contactId,
      JSON.stringify(stored),
    ]);
    const companyId = await linkCompany(tx, orgId, contactId, locked[0], stored);
    await emitEvent(tx, 'lead.enriched', { orgId, contactId, sources });
    await recordAudit(tx, {
      orgId,
      actor: options.actor ?? systemActor,
      action: 'lead.enriched',
      entityType: 'contact',
      entityId: contactId,
      contactId,
      outcome: failures.length > 0 && sources.length === 0 ? 'failed' : 'ok',
      details: { sources, failures, changedFields },
    });
    return { contactId, enrichment: stored, sources, failures, changedFields, companyId };
  });
}

/**
 * The company row for the contact's domain, created or filled in: company facts are shared by
 * everyone at the company. Columns already set are kept (the first source to name the company
 * wins its name); enriched facts replace older ones.
 */
async function linkCompany(
  tx: Db,
  orgId: string,
  contactId: string,
  contact: { company_id: string | null; company_name: string | null },
  stored: StoredEnrichment,
): Promise<string | null> {
  const field = <K extends EnrichmentFieldName>(name: K) => stored.fields[name]?.value;
  const domain = field('companyDomain');
  if (!domain) return contact.company_id;
  const companyFields = Object.fromEntries(
    companyFieldNames.filter((name) => stored.fields[name]).map((name) => [name, stored.fields[name]]),
  );
  const rows = await tx.query<{ id: string }>(
    `insert into companies (org_id, domain, name, industry, employee_count, country, enrichment)
     values ($1, $2, $3, $4, $5, $6, jsonb_build_object('fields', $7::jsonb))
     on conflict (org_id, lower(domain)) where domain is not null do update set
       name = coalesce(companies.name, excluded.name),
       industry = coalesce(excluded.industry, companies.industry),
       employee_count = coalesce(excluded.employee_count, companies.employee_count),
       country = coalesce(excluded.country, companies.country),
       enrichment = jsonb_set(companies.enrichment, '{fields}',
         coalesce(companies.enrichment -> 'fields', '{}'::jsonb) || (excluded.enrichment -> 'fields')),
       updated_at = now()
     returning id`,
    [
      orgId,
      domain,
      field('companyName') ?? contact.company_name,
      field('industry') ?? null,
      field('companySize') ?? null,
      field('companyCountry') ?? null,
      JSON.stringify(companyFields),
    ],
  );
  const companyId = rows[0]!.id;
  if (contact.company_id === null)
    await tx.query('update contacts set company_id = $3 where org_id = $1 and id = $2', [
      orgId,
      contactId,
      companyId,
    ]);
  return contact.company_id ?? companyId;
}
