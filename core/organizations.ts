import { z } from 'zod';
import type { Actor } from './actor.ts';
import { recordAudit } from './audit.ts';
import { hashSecret, newSecret } from './credentials.ts';
import type { Db } from './db.ts';
import { DomainError, notFound } from './errors.ts';
import { type RateLimitSettings, rateLimitSettings, rateLimitSettingsSchema } from './rate-limits.ts';
import { workingHoursSchema } from './working-hours.ts';

/**
 * Per-organization settings. Later modules add their own keys (scoring profile, routing rules,
 * widget theme); unknown keys are kept so older code never drops newer settings.
 */
export const organizationSettingsSchema = z.looseObject({
  /** Leads scoring above this start qualification by themselves. */
  qualificationThreshold: z.number().int().min(0).max(100).default(40),
  /** Opens every AI conversation on every channel. */
  aiDisclosure: z.string().min(1).optional(),
  /** Answer to the SMS keyword HELP. */
  helpText: z.string().min(1).optional(),
  /** Required in marketing email (CAN-SPAM). */
  physicalAddress: z.string().min(1).optional(),
  /** Origins allowed to embed the widget; empty means any. */
  allowedOrigins: z.array(z.string()).default([]),
  /** Per-minute limits on chats, API and console requests (core/rate-limits.ts); defaults apply. */
  limits: rateLimitSettingsSchema.partial().optional(),
  /** How long a prospect who asked for a person waits for a rep before the agent says nobody is free. */
  handoffTimeoutMinutes: z.number().int().min(1).max(1440).default(5),
  /** When reps answer live (core/working-hours.ts); outside them the agent says so at once. Unset: always. */
  workingHours: workingHoursSchema.optional(),
});
export type OrganizationSettings = z.infer<typeof organizationSettingsSchema>;

export const createOrganizationSchema = z.strictObject({
  name: z.string().trim().min(1, 'name is required').max(200),
  settings: organizationSettingsSchema.partial().optional(),
});
export type CreateOrganizationInput = z.input<typeof createOrganizationSchema>;

export interface Organization {
  id: string;
  name: string;
  widgetKey: string;
  settings: OrganizationSettings;
  createdAt: Date;
}

export interface CreatedOrganization {
  orgId: string;
  /** Secret: shown once, stored only as a hash. */
  apiKey: string;
  /** Public: embedded in the organization's web pages. */
  widgetKey: string;
}

interface OrganizationRow {
  id: string;
  name: string;
  widget_key: string;
  settings: unknown;
  created_at: Date;
}

function toOrganization(row: OrganizationRow): Organization {
  return {
    id: row.id,
    name: row.name,
    widgetKey: row.widget_key,
    settings: organizationSettingsSchema.parse(row.settings ?? {}),
    createdAt: row.created_at,
  };
}

export async function createOrganization(
  db: Db,
  input: CreateOrganizationInput,
  actor: Actor,
): Promise<CreatedOrganization> {
  const { name, settings } = createOrganizationSchema.parse(input);
  const widgetKey = newSecret('qhw');
  return db.transaction(async (tx) => {
    const rows = await tx.query<{ id: string }>(
      'insert into organizations (name, widget_key, settings) values ($1, $2, $3) returning id',
      [name, widgetKey, organizationSettingsSchema.parse(settings ?? {})],
    );
    const orgId = rows[0]!.id;
    const { apiKey } = await createApiKey(tx, orgId, 'default');
    await recordAudit(tx, {
      orgId,
      actor,
      action: 'organization.created',
      entityType: 'organization',
      entityId: orgId,
    });
    return { orgId, apiKey, widgetKey };
  });
}

export async function createApiKey(
  db: Db,
  orgId: string,
  name: string,
): Promise<{ id: string; apiKey: string }> {
  const apiKey = newSecret('qh');
  const rows = await db.query<{ id: string }>(
    'insert into api_keys (org_id, name, key_prefix, key_hash) values ($1, $2, $3, $4) returning id',
    [orgId, name, apiKey.slice(0, 8), hashSecret(apiKey)],
  );
  return { id: rows[0]!.id, apiKey };
}

/** Resolves a bearer API key to its organization; revoked and unknown keys resolve to nothing. */
export async function authenticateApiKey(
  db: Db,
  apiKey: string,
): Promise<{ orgId: string; apiKeyId: string; limits: RateLimitSettings } | null> {
  const rows = await db.query<{ id: string; org_id: string; limits: unknown }>(
    `update api_keys k set last_used_at = now() from organizations o
     where k.key_hash = $1 and k.revoked_at is null and o.id = k.org_id
     returning k.id, k.org_id, o.settings->'limits' as limits`,
    [hashSecret(apiKey)],
  );
  const row = rows[0];
  return row ? { orgId: row.org_id, apiKeyId: row.id, limits: rateLimitSettings(row.limits) } : null;
}

export async function getOrganization(db: Db, orgId: string): Promise<Organization> {
  const rows = await db.query<OrganizationRow>('select * from organizations where id = $1', [orgId]);
  if (!rows[0]) throw notFound('organization');
  return toOrganization(rows[0]);
}

/** The organization's rate limits (`settings.limits`, defaults for what it never set). */
export async function organizationLimits(db: Db, orgId: string): Promise<RateLimitSettings> {
  const rows = await db.query<{ limits: unknown }>(
    "select settings->'limits' as limits from organizations where id = $1",
    [orgId],
  );
  return rateLimitSettings(rows[0]?.limits);
}

export async function findOrganizationByWidgetKey(db: Db, widgetKey: string): Promise<Organization | null> {
  const rows = await db.query<OrganizationRow>('select * from organizations where widget_key = $1', [
    widgetKey,
  ]);
  return rows[0] ? toOrganization(rows[0]) : null;
}

/** Merges a settings patch into the organization's settings after validating the result. */
export async function updateOrganizationSettings(
  db: Db,
  orgId: string,
  patch: Record<string, unknown>,
  actor: Actor,
): Promise<OrganizationSettings> {
  return db.transaction(async (tx) => {
    const current = await getOrganization(tx, orgId);
    const parsed = organizationSettingsSchema.safeParse({ ...current.settings, ...patch });
    if (!parsed.success) throw new DomainError('invalid', z.prettifyError(parsed.error));
    await tx.query('update organizations set settings = $2, updated_at = now() where id = $1', [
      orgId,
      parsed.data,
    ]);
    await recordAudit(tx, {
      orgId,
      actor,
      action: 'organization.settings.updated',
      entityType: 'organization',
      entityId: orgId,
      details: { keys: Object.keys(patch) },
    });
    return parsed.data;
  });
}
