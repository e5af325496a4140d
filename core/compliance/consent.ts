import { z } from 'zod';
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import type { Db } from '../db.ts';
import { notFound } from '../errors.ts';
import { emitEvent } from '../events.ts';
import type { Channel } from '../outbound-message.ts';
import { liftSuppression, suppressAddress } from './suppressions.ts';

/**
 * Consent is a ledger, not a flag: every grant and every revocation is a new row in
 * `consent_records` (the table refuses updates and deletes), and the current state of each type
 * is whatever its latest row says. That keeps the evidence of every decision for as long as the
 * contact exists.
 */
export const consentTypes = [
  'email_marketing',
  'sms_marketing',
  'marketing_calls',
  'ai_voice_calls',
] as const;
export type ConsentType = (typeof consentTypes)[number];

export const consentMethods = [
  'web_form',
  'chat_checkbox',
  'sms_keyword',
  'verbal_call',
  'import',
  'api',
  'email_link',
  'conversation',
] as const;
export type ConsentMethod = (typeof consentMethods)[number];

/**
 * Methods that yield a signed, written agreement (E-SIGN): only these lift a number off the
 * national Do-Not-Call registry for marketing. Verbal, imported or API-asserted consent does not.
 */
export const writtenConsentMethods: readonly ConsentMethod[] = ['web_form', 'chat_checkbox', 'sms_keyword'];

export const consentEvidenceSchema = z
  .object({
    /** The exact wording the prospect saw and agreed to (or the words they used to revoke). */
    wording: z.string().trim().min(1).max(5000).optional(),
    pageUrl: z.url('evidence.pageUrl must be a URL').max(2000).optional(),
    ip: z.union([z.ipv4(), z.ipv6()], 'evidence.ip must be an IP address').optional(),
    userAgent: z.string().max(1000).optional(),
    /** When the prospect acted, if not now (ISO 8601 with offset). */
    timestamp: z.iso
      .datetime({ offset: true, message: 'evidence.timestamp must be an ISO 8601 time' })
      .optional(),
    /** The prospect's own message (an SMS keyword, a sentence in a conversation). */
    message: z.string().max(2000).optional(),
    /** The inbound message that carried it (provider or QuotaHit id). */
    messageId: z.string().max(200).optional(),
    conversationId: z.uuid().optional(),
    recordingUrl: z.url().max(2000).optional(),
    note: z.string().max(2000).optional(),
  })
  .strict();
export type ConsentEvidence = z.infer<typeof consentEvidenceSchema>;

export const recordConsentSchema = z
  .object({
    contactId: z.uuid('contactId must be a UUID'),
    type: z.enum(consentTypes),
    method: z.enum(consentMethods),
    evidence: consentEvidenceSchema.refine((evidence) => evidence.wording, {
      message: 'evidence.wording is required: the exact consent text the prospect agreed to',
      path: ['wording'],
    }),
  })
  .strict();
export type RecordConsentInput = z.input<typeof recordConsentSchema>;

export const revokeConsentSchema = z
  .object({
    contactId: z.uuid('contactId must be a UUID'),
    /** One type, several, or `all` (a "don't contact me" covers every kind of message). */
    type: z.union([z.enum(consentTypes), z.array(z.enum(consentTypes)).min(1), z.literal('all')]),
    method: z.enum(consentMethods).default('api'),
    evidence: consentEvidenceSchema.default({}),
  })
  .strict();
export type RevokeConsentInput = z.input<typeof revokeConsentSchema>;

export interface ConsentRecord {
  id: string;
  contactId: string;
  type: ConsentType;
  action: 'given' | 'revoked';
  method: ConsentMethod;
  evidence: ConsentEvidence;
  createdAt: string;
}

export interface ConsentState {
  status: 'given' | 'revoked' | 'none';
  method?: ConsentMethod;
  /** When the latest record was written. */
  at?: string;
  recordId?: string;
}
export type CurrentConsent = Record<ConsentType, ConsentState>;

interface ConsentRow {
  id: string;
  contact_id: string;
  consent_type: ConsentType;
  action: 'given' | 'revoked';
  method: ConsentMethod;
  evidence: ConsentEvidence;
  created_at: Date;
}

function toConsentRecord(row: ConsentRow): ConsentRecord {
  return {
    id: row.id,
    contactId: row.contact_id,
    type: row.consent_type,
    action: row.action,
    method: row.method,
    evidence: row.evidence,
    createdAt: row.created_at.toISOString(),
  };
}

/** The consent a channel's marketing needs; a web chat is always started by the visitor. */
export function consentTypesForChannel(channel: Channel, artificialVoice = true): ConsentType[] {
  switch (channel) {
    case 'email':
      return ['email_marketing'];
    case 'sms':
    case 'whatsapp':
      return ['sms_marketing'];
    case 'voice':
      return artificialVoice ? ['marketing_calls', 'ai_voice_calls'] : ['marketing_calls'];
    case 'web':
      return [];
  }
}

/** Grants one type of consent, with the evidence that proves it. */
export async function recordConsent(
  db: Db,
  orgId: string,
  input: RecordConsentInput,
  actor: Actor,
  now: Date = new Date(),
): Promise<ConsentRecord> {
  const consent = recordConsentSchema.parse(input);
  return db.transaction(async (tx) => {
    const contact = await lockContact(tx, orgId, consent.contactId);
    const evidence = { ...consent.evidence, timestamp: consent.evidence.timestamp ?? now.toISOString() };
    const record = await appendRecord(
      tx,
      orgId,
      consent.contactId,
      consent.type,
      'given',
      consent.method,
      evidence,
      now,
    );
    // A fresh, evidenced opt-in outweighs an older unsubscribe of the same address.
    if (consent.type === 'email_marketing' && contact.email) {
      await liftSuppression(tx, orgId, 'email', contact.email, 'unsubscribed');
    }
    await recordAudit(tx, {
      orgId,
      actor,
      action: 'consent.given',
      entityType: 'consent_record',
      entityId: record.id,
      contactId: consent.contactId,
      details: { type: consent.type, method: consent.method },
    });
    return record;
  });
}

export interface RevokeResult {
  /** Types this call revoked (each announced with `consent.revoked`). */
  revoked: ConsentRecord[];
  /** Types that were revoked already; nothing new is written for them. */
  alreadyRevoked: ConsentType[];
}

/**
 * Revokes consent at once. Types already revoked are left alone (no duplicate rows or events);
 * a type that was never given is still recorded as revoked, so later replies know the prospect
 * asked to stop. Revoking email marketing also suppresses the address.
 */
export async function revokeConsent(
  db: Db,
  orgId: string,
  input: RevokeConsentInput,
  actor: Actor,
  now: Date = new Date(),
): Promise<RevokeResult> {
  const revocation = revokeConsentSchema.parse(input);
  const types =
    revocation.type === 'all'
      ? [...consentTypes]
      : [...new Set(Array.isArray(revocation.type) ? revocation.type : [revocation.type])];
  return db.transaction(async (tx) => {
    const contact = await lockContact(tx, orgId, revocation.contactId);
    const current = await currentConsent(tx, orgId, revocation.contactId);
    const evidence = {
      ...revocation.evidence,
      timestamp: revocation.evidence.timestamp ?? now.toISOString(),
    };
    const revoked: ConsentRecord[] = [];
    const alreadyRevoked: ConsentType[] = [];
    for (const type of types) {
      if (current[type].status === 'revoked') {
        alreadyRevoked.push(type);
        continue;
      }
      const record = await appendRecord(
        tx,
        orgId,
        revocation.contactId,
        type,
        'revoked',
        revocation.method,
        evidence,
        now,
      );
      revoked.push(record);
      await emitEvent(tx, 'consent.revoked', {
        orgId,
        contactId: revocation.contactId,
        consentType: type,
        method: revocation.method,
      });
    }
    if (types.includes('email_marketing') && contact.email) {
      await suppressAddress(tx, orgId, {
        channel: 'email',
        address: contact.email,
        reason: 'unsubscribed',
        contactId: revocation.contactId,
      });
    }
    if (revoked.length > 0) {
      await recordAudit(tx, {
        orgId,
        actor,
        action: 'consent.revoked',
        entityType: 'contact',
        entityId: revocation.contactId,
        contactId: revocation.contactId,
        details: { types: revoked.map((record) => record.type), method: revocation.method },
      });
    }
    return { revoked, alreadyRevoked };
  });
}

/** Each type's state, from its latest record. */
export async function currentConsent(db: Db, orgId: string, contactId: string): Promise<CurrentConsent> {
  const rows = await db.query<ConsentRow>(
    `select distinct on (consent_type) * from consent_records
     where org_id = $1 and contact_id = $2 order by consent_type, seq desc`,
    [orgId, contactId],
  );
  const state = Object.fromEntries(consentTypes.map((type) => [type, { status: 'none' }])) as CurrentConsent;
  for (const row of rows) {
    state[row.consent_type] = {
      status: row.action,
      method: row.method,
      at: row.created_at.toISOString(),
      recordId: row.id,
    };
  }
  return state;
}

/** Every record of the contact, oldest first: the evidence trail. */
export async function consentHistory(db: Db, orgId: string, contactId: string): Promise<ConsentRecord[]> {
  const rows = await db.query<ConsentRow>(
    'select * from consent_records where org_id = $1 and contact_id = $2 order by seq',
    [orgId, contactId],
  );
  return rows.map(toConsentRecord);
}

/**
 * Locks the contact for the rest of the transaction, so a grant and a revocation racing for the
 * same contact are written one after the other and "latest record" stays well defined.
 */
async function lockContact(
  tx: Db,
  orgId: string,
  contactId: string,
): Promise<{ email: string | null; phone: string | null }> {
  const rows = await tx.query<{ email: string | null; phone: string | null }>(
    'select email, phone from contacts where org_id = $1 and id = $2 for update',
    [orgId, contactId],
  );
  if (!rows[0]) throw notFound('contact');
  return rows[0];
}

async function appendRecord(
  tx: Db,
  orgId: string,
  contactId: string,
  type: ConsentType,
  action: 'given' | 'revoked',
  method: ConsentMethod,
  evidence: ConsentEvidence,
  now: Date,
): Promise<ConsentRecord> {
  const rows = await tx.query<ConsentRow>(
    `insert into consent_records (org_id, contact_id, consent_type, action, method, evidence, created_at)
     values ($1, $2, $3, $4, $5, $6, $7) returning *`,
    [orgId, contactId, type, action, method, evidence, now],
  );
  return toConsentRecord(rows[0]!);
}
