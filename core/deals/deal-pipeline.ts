import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import type { Db } from '../db.ts';
import { DomainError, notFound } from '../errors.ts';
import { emitEvent } from '../events.ts';

/**
 * A lead's deal as a pipeline: `open → qualified → proposal → negotiation → won | lost`. Every
 * move writes a stage-history row, an audit entry and `deal.stage.changed`, in the caller's
 * transaction. Two kinds of writer, with explicit rules:
 * - people and the API (`changeDeal`): last writer wins under a row lock, except that a won deal
 *   is final and `lost` needs a reason;
 * - agents (`advanceDeal`): forward only — a deal a person moved on (or closed) meanwhile is never
 *   moved back, so a rep's decision made during a closer's turn stands.
 */
export const dealStages = ['open', 'qualified', 'proposal', 'negotiation', 'won', 'lost'] as const;
export type DealStage = (typeof dealStages)[number];

export interface Deal {
  id: string;
  orgId: string;
  contactId: string;
  ownerId: string | null;
  stage: DealStage;
  amountCents: number | null;
  currency: string;
  lostReason: string | null;
  proposal: Record<string, unknown> | null;
  paymentLinkId: string | null;
  paymentUrl: string | null;
  wonAt: Date | null;
  lostAt: Date | null;
  stageChangedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface DealStageChange {
  fromStage: DealStage | null;
  toStage: DealStage;
  amountCents: number | null;
  actor: { type: string; id: string };
  reason: string | null;
  at: Date;
}

export interface DealWithHistory extends Deal {
  history: DealStageChange[];
}

interface DealRow {
  id: string;
  org_id: string;
  contact_id: string;
  owner_id: string | null;
  stage: DealStage;
  amount_cents: number | string | null;
  currency: string;
  lost_reason: string | null;
  proposal: Record<string, unknown> | null;
  payment_link_id: string | null;
  payment_url: string | null;
  won_at: Date | null;
  lost_at: Date | null;
  stage_changed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const toDeal = (row: DealRow): Deal => ({
  id: row.id,
  orgId: row.org_id,
  contactId: row.contact_id,
  ownerId: row.owner_id,
  stage: row.stage,
  amountCents: row.amount_cents === null ? null : Number(row.amount_cents),
  currency: row.currency,
  lostReason: row.lost_reason,
  proposal: row.proposal,
  paymentLinkId: row.payment_link_id,
  paymentUrl: row.payment_url,
  wonAt: row.won_at,
  lostAt: row.lost_at,
  stageChangedAt: row.stage_changed_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/**
 * The lead's one deal has an id derived from the contact id (a UUID version 8, name-based): a
 * retried step whose first attempt rolled back opens the same deal, so a payment provider sees
 * the same request under the same idempotency key.
 */
export function leadDealId(contactId: string): string {
  const bytes = createHash('sha256').update(`quotahit:payment-deal:${contactId}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const actorRef = (actor: Actor) => ({ type: actor.type, id: actor.id ?? actor.type });

async function lockDeal(tx: Db, orgId: string, dealId: string): Promise<Deal> {
  const rows = await tx.query<DealRow>('select * from deals where org_id = $1 and id = $2 for update', [
    orgId,
    dealId,
  ]);
  if (!rows[0]) throw notFound('deal');
  return toDeal(rows[0]);
}

/** Writes the move: the row, its history, the audit entry and the event. */
async function recordMove(
  tx: Db,
  deal: Deal,
  to: DealStage,
  change: { actor: Actor; now: Date; reason?: string | null; amountCents?: number; lostReason?: string },
): Promise<Deal> {
  const amountCents = change.amountCents ?? deal.amountCents;
  const rows = await tx.query<DealRow>(
    `update deals set stage = $3, amount_cents = $4, stage_changed_at = $5, updated_at = $5,
       won_at = case when $3 = 'won' then coalesce(won_at, $5) else won_at end,
       lost_at = case when $3 = 'lost' then $5 else null end,
       lost_reason = case when $3 = 'lost' then $6 else null end
     where org_id = $1 and id = $2 returning *`,
    [deal.orgId, deal.id, to, amountCents, change.now, change.lostReason ?? null],
  );
  const reason = change.lostReason ?? change.reason ?? null;
  const { type, id } = actorRef(change.actor);
  await tx.query(
    `insert into deal_stage_history (org_id, deal_id, from_stage, to_stage, amount_cents, actor_type, actor_id, reason, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [deal.orgId, deal.id, deal.stage, to, amountCents, type, id, reason, change.now],
  );
  await emitEvent(tx, 'deal.stage.changed', {
    orgId: deal.orgId,
    contactId: deal.contactId,
    dealId: deal.id,
    from: deal.stage,
    to,
    amountCents,
  });
  await recordAudit(tx, {
    orgId: deal.orgId,
    actor: change.actor,
    action: 'deal.stage.changed',
    entityType: 'deal',
    entityId: deal.id,
    contactId: deal.contactId,
    details: { from: deal.stage, to, amountCents, reason },
  });
  return toDeal(rows[0]!);
}

type DealFields = Partial<Pick<Deal, 'amountCents' | 'ownerId' | 'proposal'>>;

/** Writes a change that is not a move (amount, owner, proposal), audited with before and after. */
async function recordUpdate(tx: Db, deal: Deal, fields: DealFields, actor: Actor, now: Date): Promise<Deal> {
  const before: DealFields = {};
  const after: DealFields = {};
  for (const key of ['amountCents', 'ownerId', 'proposal'] as const) {
    const value = fields[key];
    if (value === undefined || JSON.stringify(value) === JSON.stringify(deal[key])) continue;
    Object.assign(before, { [key]: deal[key] });
    Object.assign(after, { [key]: value });
  }
  if (Object.keys(after).length === 0) return deal;
  const proposal = after.proposal === undefined ? deal.proposal : after.proposal;
  const rows = await tx.query<DealRow>(
    `update deals set amount_cents = $3, owner_id = $4, proposal = $5, updated_at = $6
     where org_id = $1 and id = $2 returning *`,
    [
      deal.orgId,
      deal.id,
      after.amountCents === undefined ? deal.amountCents : after.amountCents,
      after.ownerId === undefined ? deal.ownerId : after.ownerId,
      proposal === null ? null : JSON.stringify(proposal),
      now,
    ],
  );
  await recordAudit(tx, {
    orgId: deal.orgId,
    actor,
    action: 'deal.updated',
    entityType: 'deal',
    entityId: deal.id,
    contactId: deal.contactId,
    details: { before, after },
  });
  return toDeal(rows[0]!);
}

/**
 * The lead's one deal, opened at `qualified` if it has none (safe to call again). An existing deal
 * keeps its stage; it only gains the owner or amount it did not have yet.
 */
export async function openLeadDeal(
  tx: Db,
  input: {
    orgId: string;
    contactId: string;
    amountCents: number | null;
    currency: string;
    ownerId?: string | null;
    actor: Actor;
    now?: Date;
  },
): Promise<Deal> {
  const now = input.now ?? new Date();
  const id = leadDealId(input.contactId);
  const inserted = await tx.query<DealRow>(
    `insert into deals (id, org_id, contact_id, owner_id, stage, amount_cents, currency, stage_changed_at)
     values ($1, $2, $3, $4, 'qualified', $5, $6, $7) on conflict (id) do nothing returning *`,
    [id, input.orgId, input.contactId, input.ownerId ?? null, input.amountCents, input.currency, now],
  );
  if (inserted[0]) {
    const deal = toDeal(inserted[0]);
    const { type, id: actorId } = actorRef(input.actor);
    await tx.query(
      `insert into deal_stage_history (org_id, deal_id, from_stage, to_stage, amount_cents, actor_type, actor_id, reason, created_at)
       values ($1, $2, null, 'qualified', $3, $4, $5, 'the lead qualified', $6)`,
      [deal.orgId, deal.id, deal.amountCents, type, actorId, now],
    );
    await emitEvent(tx, 'deal.stage.changed', {
      orgId: deal.orgId,
      contactId: deal.contactId,
      dealId: deal.id,
      from: null,
      to: 'qualified',
      amountCents: deal.amountCents,
    });
    await recordAudit(tx, {
      orgId: deal.orgId,
      actor: input.actor,
      action: 'deal.opened',
      entityType: 'deal',
      entityId: deal.id,
      contactId: deal.contactId,
      details: {
        stage: 'qualified',
        amountCents: deal.amountCents,
        currency: deal.currency,
        ownerId: deal.ownerId,
      },
    });
    return deal;
  }
  const rows = await tx.query<DealRow>('select * from deals where org_id = $1 and id = $2 for update', [
    input.orgId,
    id,
  ]);
  // The id is the contact's: a row under another organization would be a data error.
  if (!rows[0]) throw new DomainError('conflict', 'the lead deal belongs to another organization');
  const deal = toDeal(rows[0]);
  return recordUpdate(
    tx,
    deal,
    {
      ...(deal.ownerId === null && input.ownerId ? { ownerId: input.ownerId } : {}),
      ...(deal.amountCents === null && input.amountCents !== null ? { amountCents: input.amountCents } : {}),
    },
    input.actor,
    now,
  );
}

export async function findLeadDeal(db: Db, orgId: string, contactId: string): Promise<Deal | null> {
  const rows = await db.query<DealRow>('select * from deals where org_id = $1 and id = $2', [
    orgId,
    leadDealId(contactId),
  ]);
  return rows[0] ? toDeal(rows[0]) : null;
}

export async function getDeal(db: Db, orgId: string, dealId: string): Promise<DealWithHistory> {
  const rows = await db.query<DealRow>('select * from deals where org_id = $1 and id = $2', [orgId, dealId]);
  if (!rows[0]) throw notFound('deal');
  const history = await db.query<{
    from_stage: DealStage | null;
    to_stage: DealStage;
    amount_cents: number | string | null;
    actor_type: string;
    actor_id: string;
    reason: string | null;
    created_at: Date;
  }>(
    `select from_stage, to_stage, amount_cents, actor_type, actor_id, reason, created_at
     from deal_stage_history where org_id = $1 and deal_id = $2 order by seq`,
    [orgId, dealId],
  );
  return {
    ...toDeal(rows[0]),
    history: history.map((row) => ({
      fromStage: row.from_stage,
      toStage: row.to_stage,
      amountCents: row.amount_cents === null ? null : Number(row.amount_cents),
      actor: { type: row.actor_type, id: row.actor_id },
      reason: row.reason,
      at: row.created_at,
    })),
  };
}

export const dealListQuerySchema = z.strictObject({
  contactId: z.uuid().optional(),
  stage: z.enum(dealStages).optional(),
  ownerId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
export type DealListQuery = z.input<typeof dealListQuerySchema>;

// The cursor keeps the database's microseconds: a JavaScript Date's milliseconds would skip the
// rows changed within the same millisecond as the page's last one.
const cursorAt = `to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const cursorAtPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

const encodeCursor = (at: string, id: string) => Buffer.from(JSON.stringify([at, id])).toString('base64url');

function decodeCursor(cursor: string): [string, string] {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof at !== 'string' || !cursorAtPattern.test(at) || Number.isNaN(Date.parse(at))) {
      throw new Error('bad cursor');
    }
    if (!z.uuid().safeParse(id).success) throw new Error('bad cursor');
    return [at, id as string];
  } catch {
    throw new DomainError('invalid', 'cursor: not a cursor this list returned');
  }
}

/** Newest change first, a page at a time (`nextCursor` continues it). */
export async function listDeals(
  db: Db,
  orgId: string,
  query: DealListQuery,
): Promise<{ items: Deal[]; nextCursor: string | null }> {
  const filter = dealListQuerySchema.parse(query);
  const after = filter.cursor ? decodeCursor(filter.cursor) : null;
  const rows = await db.query<DealRow & { cursor_at: string }>(
    `select *, ${cursorAt} as cursor_at from deals where org_id = $1
       and ($2::uuid is null or contact_id = $2) and ($3::text is null or stage = $3)
       and ($4::uuid is null or owner_id = $4)
       and ($5::timestamptz is null or (updated_at, id) < ($5::timestamptz, $6::uuid))
     order by updated_at desc, id desc limit $7`,
    [
      orgId,
      filter.contactId ?? null,
      filter.stage ?? null,
      filter.ownerId ?? null,
      after?.[0] ?? null,
      after?.[1] ?? null,
      filter.limit + 1,
    ],
  );
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    items: page.map(toDeal),
    nextCursor: rows.length > filter.limit && last ? encodeCursor(last.cursor_at, last.id) : null,
  };
}

const forwardOrder: Record<DealStage, number> = {
  open: 0,
  qualified: 1,
  proposal: 2,
  negotiation: 3,
  won: 4,
  lost: 4,
};

/**
 * An agent moving the deal on (the closer proposing, negotiating). Forward only: a deal already
 * at or past `to`, or closed, stays where it is (`moved: false`) — a person's move made meanwhile
 * stands. The amount and proposal are updated with a move, or at the same stage.
 */
export async function advanceDeal(
  tx: Db,
  input: {
    orgId: string;
    dealId: string;
    to: 'qualified' | 'proposal' | 'negotiation';
    amountCents?: number;
    proposal?: Record<string, unknown>;
    actor: Actor;
    reason?: string;
    now?: Date;
  },
): Promise<{ deal: Deal; moved: boolean }> {
  const now = input.now ?? new Date();
  const deal = await lockDeal(tx, input.orgId, input.dealId);
  if (deal.stage === 'won' || deal.stage === 'lost' || forwardOrder[deal.stage] > forwardOrder[input.to]) {
    return { deal, moved: false };
  }
  if (deal.stage === input.to) {
    const fields = {
      ...(input.amountCents !== undefined ? { amountCents: input.amountCents } : {}),
      ...(input.proposal !== undefined ? { proposal: input.proposal } : {}),
    };
    return { deal: await recordUpdate(tx, deal, fields, input.actor, now), moved: false };
  }
  // The proposal goes with the move; the amount is written (and audited) by the move itself.
  const proposed =
    input.proposal === undefined
      ? deal
      : await recordUpdate(tx, deal, { proposal: input.proposal }, input.actor, now);
  const moved = await recordMove(tx, proposed, input.to, {
    actor: input.actor,
    now,
    reason: input.reason ?? null,
    ...(input.amountCents !== undefined ? { amountCents: input.amountCents } : {}),
  });
  return { deal: moved, moved: true };
}

/** A completed payment wins the deal (core/payments/checkout-completion.ts), in its transaction. */
export async function winDeal(
  tx: Db,
  input: { orgId: string; dealId: string; actor: Actor; now: Date; reason?: string },
): Promise<{ deal: Deal; moved: boolean }> {
  const deal = await lockDeal(tx, input.orgId, input.dealId);
  if (deal.stage === 'won') return { deal, moved: false };
  const won = await recordMove(tx, deal, 'won', {
    actor: input.actor,
    now: input.now,
    reason: input.reason ?? null,
  });
  return { deal: won, moved: true };
}

export const dealPatchSchema = z
  .strictObject({
    stage: z.enum(dealStages).optional(),
    amountCents: z.number().int().min(0).max(1e12).optional(),
    lostReason: z.string().trim().min(1).max(500).optional(),
    ownerId: z.uuid().nullable().optional(),
  })
  .refine(
    (patch) => Object.keys(patch).length > 0,
    'give at least one of stage, amountCents, lostReason, ownerId',
  )
  .refine((patch) => patch.lostReason === undefined || patch.stage === 'lost', {
    message: 'lostReason goes with stage "lost"',
    path: ['lostReason'],
  });
export type DealPatch = z.infer<typeof dealPatchSchema>;

/**
 * A person's change (the API, the console). Last writer wins under the row lock, with two rules:
 * a won deal's stage is final (409), and `lost` needs a reason (400).
 */
export async function changeDeal(
  db: Db,
  input: { orgId: string; dealId: string; patch: unknown; actor: Actor; now?: Date },
): Promise<Deal> {
  const patch = dealPatchSchema.parse(input.patch);
  const now = input.now ?? new Date();
  return db.transaction(async (tx) => {
    let deal = await lockDeal(tx, input.orgId, input.dealId);
    const movesStage = patch.stage !== undefined && patch.stage !== deal.stage;
    if (movesStage && deal.stage === 'won') {
      throw new DomainError('conflict', 'a won deal is final: its stage cannot change');
    }
    if (movesStage && patch.stage === 'lost' && !patch.lostReason) {
      throw new DomainError('invalid', 'lostReason: a deal moved to lost needs a reason');
    }
    if (patch.ownerId) {
      const owners = await tx.query('select 1 from users where org_id = $1 and id = $2 and active', [
        input.orgId,
        patch.ownerId,
      ]);
      if (owners.length === 0)
        throw new DomainError('invalid', 'ownerId: not an active rep of this organization');
    }
    const before = { amountCents: deal.amountCents, ownerId: deal.ownerId, lostReason: deal.lostReason };
    const after = {
      amountCents: patch.amountCents ?? deal.amountCents,
      ownerId: patch.ownerId === undefined ? deal.ownerId : patch.ownerId,
      lostReason: movesStage ? before.lostReason : (patch.lostReason ?? deal.lostReason),
    };
    if (JSON.stringify(before) !== JSON.stringify(after)) {
      const rows = await tx.query<DealRow>(
        `update deals set amount_cents = $3, owner_id = $4, lost_reason = $5, updated_at = $6
         where org_id = $1 and id = $2 returning *`,
        [deal.orgId, deal.id, after.amountCents, after.ownerId, after.lostReason, now],
      );
      await recordAudit(tx, {
        orgId: deal.orgId,
        actor: input.actor,
        action: 'deal.updated',
        entityType: 'deal',
        entityId: deal.id,
        contactId: deal.contactId,
        details: { before, after },
      });
      deal = toDeal(rows[0]!);
    }
    if (!movesStage) return deal;
    return recordMove(tx, deal, patch.stage!, {
      actor: input.actor,
      now,
      ...(patch.lostReason ? { lostReason: patch.lostReason } : {}),
    });
  });
}
