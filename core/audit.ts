import { createHash } from 'node:crypto';
import type { Actor } from './actor.ts';
import { canonicalJson } from './canonical-json.ts';
import type { Db } from './db.ts';

export interface AuditEntry {
  orgId: string;
  actor: Actor;
  action: string;
  entityType?: string;
  entityId?: string;
  contactId?: string;
  outcome?: 'ok' | 'refused' | 'failed';
  details?: Record<string, unknown>;
}

interface AuditRow {
  seq: number;
  org_id: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  entity_type: string | null;
  entity_id: string | null;
  contact_id: string | null;
  outcome: string;
  details: Record<string, unknown>;
  created_at: Date;
  prev_hash: string;
  hash: string;
}

const genesis = '0'.repeat(64);

function entryHash(prevHash: string, row: Omit<AuditRow, 'seq' | 'prev_hash' | 'hash'>): string {
  const content = canonicalJson({ ...row, created_at: row.created_at.toISOString() });
  return createHash('sha256').update(prevHash).update(content).digest('hex');
}

/**
 * Appends one entry to the organization's audit chain. Entries of one organization are chained
 * one after another (the advisory lock serializes writers), so any later edit is detectable.
 */
export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 7710))', [entry.orgId]);
    const last = await tx.query<{ hash: string }>(
      'select hash from audit_log where org_id = $1 order by seq desc limit 1',
      [entry.orgId],
    );
    const prevHash = last[0]?.hash ?? genesis;
    const row = {
      org_id: entry.orgId,
      actor_type: entry.actor.type,
      actor_id: entry.actor.id ?? null,
      action: entry.action,
      entity_type: entry.entityType ?? null,
      entity_id: entry.entityId ?? null,
      contact_id: entry.contactId ?? null,
      outcome: entry.outcome ?? 'ok',
      details: entry.details ?? {},
      // Millisecond precision, so the stored timestamp hashes the same when read back.
      created_at: new Date(Math.floor(Date.now())),
    };
    await tx.query(
      `insert into audit_log (org_id, actor_type, actor_id, action, entity_type, entity_id, contact_id,
         outcome, details, created_at, prev_hash, hash)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        row.org_id,
        row.actor_type,
        row.actor_id,
        row.action,
        row.entity_type,
        row.entity_id,
        row.contact_id,
        row.outcome,
        row.details,
        row.created_at,
        prevHash,
        entryHash(prevHash, row),
      ],
    );
  });
}

export interface AuditView {
  id: string;
  actorType: string;
  actorId: string | null;
  action: string;
  entityType: string | null;
  entityId: string | null;
  contactId: string | null;
  outcome: string;
  details: Record<string, unknown>;
  createdAt: string;
}

export async function listAudit(
  db: Db,
  orgId: string,
  filter: { contactId?: string; limit?: number },
): Promise<AuditView[]> {
  const rows = await db.query<AuditRow & { id: string }>(
    `select * from audit_log where org_id = $1 and ($2::uuid is null or contact_id = $2)
     order by seq limit $3`,
    [orgId, filter.contactId ?? null, filter.limit ?? 1000],
  );
  return rows.map((row) => ({
    id: row.id,
    actorType: row.actor_type,
    actorId: row.actor_id,
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    contactId: row.contact_id,
    outcome: row.outcome,
    details: row.details,
    createdAt: row.created_at.toISOString(),
  }));
}

/** Recomputes the organization's chain; returns the first entry whose hash does not match. */
export async function verifyAuditChain(
  db: Db,
  orgId: string,
): Promise<{ ok: true } | { ok: false; brokenAtSeq: number }> {
  const rows = await db.query<AuditRow & { id: string }>(
    'select * from audit_log where org_id = $1 order by seq',
    [orgId],
  );
  let prevHash = genesis;
  for (const row of rows) {
    const { id: _id, seq, prev_hash, hash, ...content } = row;
    if (prev_hash !== prevHash || entryHash(prevHash, content) !== hash)
      return { ok: false, brokenAtSeq: seq };
    prevHash = hash;
  }
  return { ok: true };
}
