import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type Actor, systemActor } from './actor.ts';
import { recordAudit } from './audit.ts';
import { withAiDisclosure } from './compliance/ai-disclosure.ts';
import { checkOutbound } from './compliance/outbound-gate.ts';
import { getRecipient, recipientAddress } from './compliance/recipient.ts';
import { normalizeAddress, recordSuppression } from './compliance/suppressions.ts';
import { listUnsubscribeHeaders, unsubscribeToken, unsubscribeUrl } from './compliance/unsubscribe-link.ts';
import type { Db } from './db.ts';
import { DomainError } from './errors.ts';
import { getOrganization, type Organization } from './organizations.ts';
import {
  type Channel,
  type ChannelSender,
  channels,
  type DeliveryResult,
  type OutboundDraft,
  outboundPurposes,
} from './outbound-message.ts';

/**
 * The only way a message reaches a provider. For each draft: resolve the recipient, ask the
 * compliance gate, write the delivery ledger row (keyed by the idempotency key) *before* calling
 * the channel's sender, then record the outcome and audit it.
 *
 * Retries and crashes, by the ledger row found for the key:
 * - `sent` / `recorded` / `in_doubt`: the stored result is returned; the sender is not called.
 * - `refused` / `failed`: nothing reached a provider, so the draft is checked and sent afresh.
 * - `sending`, younger than a minute: another attempt is in flight; answered `delivery_in_progress`.
 * - `sending`, older: the process died during the provider call, so the message may have gone.
 *   A sender whose provider dedupes by idempotency key (`idempotent`) is called again with the
 *   same key, after a fresh gate check; any other delivery is marked `in_doubt` and never re-sent
 *   automatically (a person decides, from the console).
 */

export interface OutboundDeps {
  db: Db;
  senders: Partial<Record<Channel, ChannelSender>>;
  /** The clock (tests inject one). */
  now?: () => Date;
  /** Where one-click unsubscribe links point and the secret that signs them. */
  unsubscribe?: { publicUrl: string; secret: string };
}

export const outboundDraftSchema = z.object({
  orgId: z.uuid(),
  contactId: z.uuid(),
  conversationId: z.uuid().optional(),
  channel: z.enum(channels),
  purpose: z.enum(outboundPurposes),
  sender: z.enum(['agent', 'rep', 'system']),
  authorId: z.string().max(200).optional(),
  to: z.string().trim().min(1).max(320).optional(),
  subject: z.string().max(998).optional(),
  body: z.string().min(1).max(100_000),
  idempotencyKey: z.string().min(1).max(200),
  headers: z.record(z.string(), z.string()).optional(),
  replyToken: z.string().trim().min(1).max(200).optional(),
  attachments: z
    .array(
      z.strictObject({
        filename: z
          .string()
          .trim()
          .min(1)
          .max(200)
          .regex(/^[\w .()+-]+$/, 'a plain file name: letters, digits, spaces and . ( ) + - _'),
        contentType: z.string().trim().min(1).max(200),
        content: z.string().max(1_000_000),
      }),
    )
    .max(10)
    .optional(),
});

/**
 * Thrown by a sender when the provider answered and refused (an HTTP 4xx): nothing was sent, so
 * a retry is safe. Any other error leaves the outcome unknown.
 */
export class ProviderRejectedError extends Error {
  /** The provider refused because the recipient opted out with it (Twilio 21610): block the address. */
  readonly recipientOptedOut: boolean;
  constructor(message: string, options: { recipientOptedOut?: boolean } = {}) {
    super(message);
    this.name = 'ProviderRejectedError';
    this.recipientOptedOut = options.recipientOptedOut ?? false;
  }
}

/** A `sending` row younger than this may still be in flight in another process. */
export const inFlightLeaseMs = 60_000;

type DeliveryStatus = 'sending' | 'sent' | 'recorded' | 'refused' | 'failed' | 'in_doubt';

interface DeliveryRow {
  id: string;
  org_id: string;
  idempotency_key: string;
  contact_id: string;
  conversation_id: string | null;
  channel: Channel;
  purpose: OutboundDraft['purpose'];
  sender: OutboundDraft['sender'];
  author_id: string | null;
  to_address: string | null;
  subject: string | null;
  body: string;
  status: DeliveryStatus;
  mode: 'live' | 'recorded' | null;
  reasons: string[];
  warnings: string[];
  provider_message_id: string | null;
  error: string | null;
  provider_status: string | null;
  provider_error: string | null;
  attachments: OutboundDraft['attachments'] | null;
  attempts: number;
  sent_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

interface Claimed {
  row: DeliveryRow;
  sender: ChannelSender;
  message: OutboundDraft & { to: string };
}

export async function sendOutbound(deps: OutboundDeps, input: OutboundDraft): Promise<DeliveryResult> {
  const { attachments, ...parsed } = outboundDraftSchema.parse(input);
  // Only email carries files; the ledger keeps what was actually sent.
  const draft: OutboundDraft =
    parsed.channel === 'email' && attachments?.length ? { ...parsed, attachments } : parsed;
  const claim = await claimDelivery(deps, draft);
  if ('result' in claim) return claim.result;
  return deliver(deps, claim);
}

/** A sender for a channel without a configured provider: the ledger keeps the message for the console. */
export function recordingSender(channel: Channel): ChannelSender {
  return {
    channel,
    mode: 'recorded',
    // Nothing leaves the process, so calling it again after a crash is harmless.
    idempotent: true,
    send: async () => ({ providerMessageId: `recorded-${randomUUID()}` }),
  };
}

/**
 * Decides, in one short transaction, what this attempt does. The per-contact lock makes the key
 * lookup, the gate's counts (call cap, one confirmation) and the ledger write one step.
 */
async function claimDelivery(
  deps: OutboundDeps,
  draft: OutboundDraft,
): Promise<{ result: DeliveryResult } | Claimed> {
  const now = clock(deps);
  const sender = deps.senders[draft.channel];
  return deps.db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 7712))', [
      `${draft.orgId}:${draft.contactId}`,
    ]);
    const existing = (
      await tx.query<DeliveryRow>(
        'select * from outbound_deliveries where org_id = $1 and idempotency_key = $2',
        [draft.orgId, draft.idempotencyKey],
      )
    )[0];
    if (existing) {
      if (existing.contact_id !== draft.contactId || existing.channel !== draft.channel) {
        throw new DomainError(
          'conflict',
          `idempotency key ${draft.idempotencyKey} was used for another message`,
        );
      }
      if (existing.status === 'sent' || existing.status === 'recorded' || existing.status === 'in_doubt') {
        return { result: storedResult(existing) };
      }
      if (existing.status === 'sending') {
        if (now.getTime() - existing.updated_at.getTime() < inFlightLeaseMs) {
          return { result: { status: 'failed', reasons: ['delivery_in_progress'], deliveryId: existing.id } };
        }
        if (!sender?.idempotent) {
          const row = await finish(tx, existing.id, 'in_doubt', now, { reasons: ['delivery_in_doubt'] });
          await audit(tx, draft, row, 'outbound.in_doubt', 'failed');
          return { result: storedResult(row) };
        }
      }
    }

    const org = await getOrganization(tx, draft.orgId);
    const recipient = await getRecipient(tx, draft.orgId, draft.contactId);
    const own = recipientAddress(recipient, draft.channel);
    const address = draft.to ?? own;
    const decision = await checkOutbound(tx, {
      orgId: draft.orgId,
      contactId: draft.contactId,
      channel: draft.channel,
      purpose: draft.purpose,
      to: draft.to,
      // A rep's own voice is the only one that is not artificial.
      artificialVoice: draft.sender !== 'rep',
      now,
      idempotencyKey: draft.idempotencyKey,
    });
    const message = composeMessage(deps, org, draft, sender);
    const reasons = [...decision.reasons, ...message.reasons];
    const warnings = [...decision.warnings, ...message.warnings];
    const to = address ? normalizeAddress(draft.channel, address) : null;
    const ledger = { ...draft, to, body: message.body, warnings, now };

    if (reasons.length > 0) {
      const row = await writeLedger(tx, ledger, { status: 'refused', reasons });
      await audit(tx, draft, row, 'outbound.refused', 'refused');
      return { result: storedResult(row) };
    }
    if (!sender) {
      const row = await writeLedger(tx, ledger, { status: 'failed', reasons: ['no_sender'] });
      await audit(tx, draft, row, 'outbound.failed', 'failed');
      return { result: storedResult(row) };
    }
    const row = await writeLedger(tx, ledger, { status: 'sending', reasons: [], mode: sender.mode });
    return { row, sender, message: { ...draft, to: to!, body: message.body, headers: message.headers } };
  });
}

async function deliver(deps: OutboundDeps, { row, sender, message }: Claimed): Promise<DeliveryResult> {
  try {
    const { providerMessageId } = await sender.send(message);
    const status = sender.mode === 'live' ? 'sent' : 'recorded';
    return deps.db.transaction(async (tx) => {
      const done = await finish(tx, row.id, status, clock(deps), { providerMessageId });
      await audit(tx, message, done, `outbound.${status}`, 'ok');
      return storedResult(done);
    });
  } catch (error) {
    // Only a provider that said no, or one that dedupes by our key, makes a retry safe.
    const retrySafe = error instanceof ProviderRejectedError || sender.idempotent === true;
    const status = retrySafe ? 'failed' : 'in_doubt';
    const optedOut = error instanceof ProviderRejectedError && error.recipientOptedOut;
    return deps.db.transaction(async (tx) => {
      const done = await finish(tx, row.id, status, clock(deps), {
        reasons: [optedOut ? 'recipient_opted_out' : retrySafe ? 'provider_error' : 'delivery_in_doubt'],
        error: (error as Error).message?.slice(0, 500) ?? String(error),
      });
      await audit(tx, message, done, `outbound.${status}`, 'failed');
      // The provider knows of an opt-out we missed (STOP sent to the carrier): never try again.
      if (optedOut && message.channel !== 'web') {
        await recordSuppression(
          tx,
          message.orgId,
          {
            channel: message.channel,
            address: message.to,
            reason: 'unsubscribed',
            contactId: message.contactId,
          },
          systemActor,
          { source: 'provider_refusal' },
        );
      }
      return storedResult(done);
    });
  }
}

interface ComposedMessage {
  body: string;
  headers?: Record<string, string>;
  reasons: string[];
  warnings: string[];
}

/**
 * What the prospect receives: an AI or prerecorded call opens with the disclosure; marketing
 * email carries the one-click unsubscribe headers, an unsubscribe link and the sender's postal
 * address (CAN-SPAM). A live provider never gets a marketing email without them; in recorded mode
 * their absence is a warning, so the demo runs without PUBLIC_URL.
 */
function composeMessage(
  deps: OutboundDeps,
  org: Organization,
  draft: OutboundDraft,
  sender: ChannelSender | undefined,
): ComposedMessage {
  const composed: ComposedMessage = { body: draft.body, headers: draft.headers, reasons: [], warnings: [] };
  const toProspect = draft.purpose !== 'rep_notification';
  if (draft.channel === 'voice' && toProspect && draft.sender !== 'rep') {
    composed.body = withAiDisclosure(org, draft.body);
  }
  if (
    draft.channel !== 'email' ||
    (draft.purpose !== 'marketing' && draft.purpose !== 'conversation_reply')
  ) {
    return composed;
  }
  const token = deps.unsubscribe && unsubscribeToken(deps.unsubscribe.secret, draft.orgId, draft.contactId);
  if (deps.unsubscribe && token) {
    composed.headers = { ...draft.headers, ...listUnsubscribeHeaders(deps.unsubscribe.publicUrl, token) };
  }
  if (draft.purpose === 'marketing') {
    const missing = (reason: string) =>
      sender?.mode === 'recorded' ? composed.warnings.push(reason) : composed.reasons.push(reason);
    const address = org.settings.physicalAddress;
    if (!deps.unsubscribe || !token) missing('no_unsubscribe_link');
    if (!address) missing('no_physical_address');
    const footer = [
      address ? `${org.name}, ${address}` : org.name,
      deps.unsubscribe && token ? `Unsubscribe: ${unsubscribeUrl(deps.unsubscribe.publicUrl, token)}` : null,
    ].filter(Boolean);
    composed.body = `${draft.body}\n\n--\n${footer.join('\n')}`;
  }
  return composed;
}

async function writeLedger(
  tx: Db,
  draft: Omit<OutboundDraft, 'to'> & { to: string | null; warnings: string[]; now: Date },
  outcome: { status: DeliveryStatus; reasons: string[]; mode?: 'live' | 'recorded' },
): Promise<DeliveryRow> {
  const sending = outcome.status === 'sending';
  const rows = await tx.query<DeliveryRow>(
    `insert into outbound_deliveries (org_id, idempotency_key, contact_id, conversation_id, channel, purpose,
       sender, author_id, to_address, subject, body, status, mode, reasons, warnings, attempts, sent_at,
       created_at, updated_at, attachments)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19)
     on conflict (org_id, idempotency_key) do update set
       to_address = excluded.to_address, subject = excluded.subject, body = excluded.body,
       attachments = excluded.attachments,
       status = excluded.status, mode = excluded.mode, reasons = excluded.reasons,
       warnings = excluded.warnings, attempts = outbound_deliveries.attempts + excluded.attempts,
       sent_at = coalesce(excluded.sent_at, outbound_deliveries.sent_at), error = null,
       updated_at = excluded.updated_at
     returning *`,
    [
      draft.orgId,
      draft.idempotencyKey,
      draft.contactId,
      draft.conversationId ?? null,
      draft.channel,
      draft.purpose,
      draft.sender,
      draft.authorId ?? null,
      draft.to,
      draft.subject ?? null,
      draft.body,
      outcome.status,
      outcome.mode ?? null,
      outcome.reasons,
      draft.warnings,
      sending ? 1 : 0,
      sending ? draft.now : null,
      draft.now,
      draft.attachments ? JSON.stringify(draft.attachments) : null,
    ],
  );
  return rows[0]!;
}

async function finish(
  tx: Db,
  id: string,
  status: DeliveryStatus,
  now: Date,
  fields: { providerMessageId?: string; reasons?: string[]; error?: string },
): Promise<DeliveryRow> {
  // From `in_doubt` too: a slow provider call may finish after a retry gave up on it.
  const rows = await tx.query<DeliveryRow>(
    `update outbound_deliveries set status = $2, provider_message_id = coalesce($3, provider_message_id),
       reasons = coalesce($4, reasons), error = coalesce($5, error), updated_at = $6
     where id = $1 and status in ('sending', 'in_doubt') returning *`,
    [id, status, fields.providerMessageId ?? null, fields.reasons ?? null, fields.error ?? null, now],
  );
  if (rows[0]) return rows[0];
  return (await tx.query<DeliveryRow>('select * from outbound_deliveries where id = $1', [id]))[0]!;
}

function storedResult(row: DeliveryRow): DeliveryResult {
  const status = row.status === 'sending' || row.status === 'in_doubt' ? 'failed' : row.status;
  return {
    status,
    reasons: row.reasons,
    ...(row.provider_message_id ? { providerMessageId: row.provider_message_id } : {}),
    ...(row.warnings.length > 0 ? { warnings: row.warnings } : {}),
    deliveryId: row.id,
  };
}

function actorOf(draft: OutboundDraft): Actor {
  if (draft.sender === 'system') return systemActor;
  return { type: draft.sender, id: draft.authorId };
}

async function audit(
  tx: Db,
  draft: OutboundDraft,
  row: DeliveryRow,
  action: string,
  outcome: 'ok' | 'refused' | 'failed',
): Promise<void> {
  await recordAudit(tx, {
    orgId: draft.orgId,
    actor: actorOf(draft),
    action,
    entityType: 'outbound_delivery',
    entityId: row.id,
    contactId: draft.contactId,
    outcome,
    details: {
      channel: row.channel,
      purpose: row.purpose,
      idempotencyKey: row.idempotency_key,
      reasons: row.reasons,
      ...(row.warnings.length > 0 ? { warnings: row.warnings } : {}),
      ...(row.mode ? { mode: row.mode } : {}),
      ...(row.provider_message_id ? { providerMessageId: row.provider_message_id } : {}),
    },
  });
}

function clock(deps: OutboundDeps): Date {
  return deps.now?.() ?? new Date();
}

export interface DeliveryView {
  id: string;
  idempotencyKey: string;
  contactId: string;
  conversationId: string | null;
  channel: Channel;
  purpose: OutboundDraft['purpose'];
  sender: OutboundDraft['sender'];
  to: string | null;
  subject: string | null;
  body: string;
  status: DeliveryStatus;
  mode: 'live' | 'recorded' | null;
  reasons: string[];
  warnings: string[];
  providerMessageId: string | null;
  /** What the provider last reported (delivered, bounced, ...): core/delivery-status.ts. */
  providerStatus: string | null;
  providerError: string | null;
  attempts: number;
  sentAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The ledger as the console shows it: what was sent, recorded, refused or is in doubt. */
export async function listDeliveries(
  db: Db,
  orgId: string,
  filter: { contactId?: string; conversationId?: string; status?: DeliveryStatus; limit?: number } = {},
): Promise<DeliveryView[]> {
  const rows = await db.query<DeliveryRow>(
    `select * from outbound_deliveries where org_id = $1
       and ($2::uuid is null or contact_id = $2) and ($3::uuid is null or conversation_id = $3)
       and ($4::text is null or status = $4)
     order by created_at desc limit $5`,
    [
      orgId,
      filter.contactId ?? null,
      filter.conversationId ?? null,
      filter.status ?? null,
      filter.limit ?? 100,
    ],
  );
  return rows.map((row) => ({
    id: row.id,
    idempotencyKey: row.idempotency_key,
    contactId: row.contact_id,
    conversationId: row.conversation_id,
    channel: row.channel,
    purpose: row.purpose,
    sender: row.sender,
    to: row.to_address,
    subject: row.subject,
    body: row.body,
    status: row.status,
    mode: row.mode,
    reasons: row.reasons,
    warnings: row.warnings,
    providerMessageId: row.provider_message_id,
    providerStatus: row.provider_status,
    providerError: row.provider_error,
    attempts: row.attempts,
    sentAt: row.sent_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }));
}
