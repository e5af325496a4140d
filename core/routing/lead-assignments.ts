import { type Actor, systemActor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import type { Db } from '../db.ts';
import { emitEvent } from '../events.ts';
import { finishedLeadStatuses } from './rep-selection.ts';

/**
 * Which rep holds each mode B lead, and the queue of leads waiting for one (`lead_assignments`).
 * A lead counts against its rep's capacity while `assigned` and not yet won, lost or
 * disqualified; `released` rows are history.
 */
export interface LeadAssignment {
  id: string;
  seq: number;
  orgId: string;
  contactId: string;
  repId: string | null;
  status: 'queued' | 'assigned' | 'released';
  reasons: string[];
  queuedAt: Date | null;
  assignedAt: Date | null;
  notifiedAt: Date | null;
}

interface AssignmentRow {
  id: string;
  seq: number | string;
  org_id: string;
  contact_id: string;
  rep_id: string | null;
  status: LeadAssignment['status'];
  reasons: string[];
  queued_at: Date | null;
  assigned_at: Date | null;
  notified_at: Date | null;
}

const toAssignment = (row: AssignmentRow): LeadAssignment => ({
  id: row.id,
  seq: Number(row.seq),
  orgId: row.org_id,
  contactId: row.contact_id,
  repId: row.rep_id,
  status: row.status,
  reasons: row.reasons ?? [],
  queuedAt: row.queued_at,
  assignedAt: row.assigned_at,
  notifiedAt: row.notified_at,
});

/** Serializes rep selection within an organization, so two leads never take a rep's last slot. */
export async function lockOrganizationRouting(tx: Db, orgId: string): Promise<void> {
  await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 7730))', [orgId]);
}

export async function currentAssignment(
  db: Db,
  orgId: string,
  contactId: string,
): Promise<LeadAssignment | null> {
  const rows = await db.query<AssignmentRow>(
    `select * from lead_assignments where org_id = $1 and contact_id = $2 and status in ('queued', 'assigned')`,
    [orgId, contactId],
  );
  return rows[0] ? toAssignment(rows[0]) : null;
}

export async function insertAssignment(
  tx: Db,
  input: { orgId: string; contactId: string; repId: string | null; reasons: string[]; now: Date },
): Promise<LeadAssignment> {
  const rows = await tx.query<AssignmentRow>(
    `insert into lead_assignments (org_id, contact_id, rep_id, status, reasons, queued_at, assigned_at,
       created_at, updated_at)
     values ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $8) returning *`,
    [
      input.orgId,
      input.contactId,
      input.repId,
      input.repId ? 'assigned' : 'queued',
      JSON.stringify(input.reasons),
      input.repId ? null : input.now,
      input.repId ? input.now : null,
      input.now,
    ],
  );
  return toAssignment(rows[0]!);
}

export async function markNotified(db: Db, assignmentId: string, now: Date): Promise<void> {
  await db.query(
    'update lead_assignments set notified_at = coalesce(notified_at, $2), updated_at = $2 where id = $1',
    [assignmentId, now],
  );
}

/** Assignments of leads that were won, lost or disqualified stop holding their rep's capacity. */
export async function releaseFinishedAssignments(tx: Db, orgId: string, now: Date): Promise<number> {
  const rows = await tx.query(
    `update lead_assignments a set status = 'released', released_at = $2, release_reason = c.status, updated_at = $2
     from contacts c
     where a.org_id = $1 and a.status in ('assigned', 'queued') and c.id = a.contact_id
       and c.status = any($3::text[])
     returning a.id`,
    [orgId, now, finishedLeadStatuses],
  );
  return rows.length;
}

/** The lead stops waiting or holding its rep, within the caller's transaction. */
export async function releaseAssignmentWithin(
  tx: Db,
  orgId: string,
  contactId: string,
  reason: string,
  now: Date,
): Promise<{ repId: string | null } | null> {
  const rows = await tx.query<{ rep_id: string | null }>(
    `update lead_assignments set status = 'released', released_at = $3, release_reason = $4, updated_at = $3
     where org_id = $1 and contact_id = $2 and status in ('queued', 'assigned') returning rep_id`,
    [orgId, contactId, now, reason],
  );
  return rows[0] ? { repId: rows[0].rep_id } : null;
}

/**
 * A rep is done with a lead (closed it in the console, or handed it back): it stops counting
 * against their capacity, so the next queued lead can take the slot (`assignQueuedLeads`).
 */
export async function releaseAssignment(
  db: Db,
  orgId: string,
  contactId: string,
  reason: string,
  actor: Actor = systemActor,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const released = await releaseAssignmentWithin(tx, orgId, contactId, reason, new Date());
    if (!released) return false;
    await recordAudit(tx, {
      orgId,
      actor,
      action: 'lead.assignment.released',
      entityType: 'contact',
      entityId: contactId,
      contactId,
      details: { repId: released.repId, reason },
    });
    return true;
  });
}

export interface QueuedLead {
  contactId: string;
  position: number;
  queuedAt: string;
  reasons: string[];
}

/** The leads waiting for a rep, first in line first. */
export async function listRoutingQueue(db: Db, orgId: string): Promise<QueuedLead[]> {
  const rows = await db.query<AssignmentRow>(
    `select * from lead_assignments where org_id = $1 and status = 'queued' order by seq`,
    [orgId],
  );
  return rows.map((row, i) => ({
    contactId: row.contact_id,
    position: i + 1,
    queuedAt: row.queued_at!.toISOString(),
    reasons: row.reasons ?? [],
  }));
}

export async function queuePosition(db: Db, orgId: string, seq: number): Promise<number> {
  const rows = await db.query<{ ahead: number }>(
    `select count(*)::int as ahead from lead_assignments where org_id = $1 and status = 'queued' and seq < $2`,
    [orgId, seq],
  );
  return Number(rows[0]?.ahead ?? 0) + 1;
}

/**
 * The first queued lead. Call it holding the organization's routing lock, which already keeps
 * other assigners out; not locking the row here keeps the lock order contact → assignment that
 * every writer of both follows.
 */
export async function takeNextQueued(tx: Db, orgId: string): Promise<LeadAssignment | null> {
  const rows = await tx.query<AssignmentRow>(
    `select * from lead_assignments where org_id = $1 and status = 'queued' order by seq limit 1`,
    [orgId],
  );
  return rows[0] ? toAssignment(rows[0]) : null;
}

export async function assignQueued(
  tx: Db,
  assignment: LeadAssignment,
  repId: string,
  reasons: string[],
  now: Date,
  actor: Actor,
): Promise<void> {
  await tx.query(
    `update lead_assignments set status = 'assigned', rep_id = $2, assigned_at = $3, reasons = $4::jsonb,
       updated_at = $3 where id = $1`,
    [assignment.id, repId, now, JSON.stringify(reasons)],
  );
  // The lead's routing record shows who holds it now.
  await tx.query(
    `update contacts set routing = coalesce(routing, '{}'::jsonb) || $3::jsonb, updated_at = now()
     where org_id = $1 and id = $2`,
    [
      assignment.orgId,
      assignment.contactId,
      JSON.stringify({ repId, queued: false, assignedAt: now.toISOString(), assignmentReasons: reasons }),
    ],
  );
  // The follow-through workflow reacts as it does to any routing: it briefs the rep.
  await emitEvent(tx, 'lead.routed', {
    orgId: assignment.orgId,
    contactId: assignment.contactId,
    mode: 'B',
    repId,
    reasons,
  });
  await recordAudit(tx, {
    orgId: assignment.orgId,
    actor,
    action: 'lead.assigned',
    entityType: 'contact',
    entityId: assignment.contactId,
    contactId: assignment.contactId,
    details: { repId, fromQueue: true, queuedAt: assignment.queuedAt?.toISOString() ?? null },
  });
}
