import { z } from 'zod';
import type { Db } from '../db.ts';
import { channels, outboundPurposes } from '../outbound-message.ts';
import { listReps } from '../reps.ts';
import {
  type ConsentType,
  type CurrentConsent,
  consentTypes,
  consentTypesForChannel,
  currentConsent,
  writtenConsentMethods,
} from './consent.ts';
import { doNotCallListings, nationalRegistryStatus } from './do-not-call.ts';
import { callingWindow, checkQuietHours, nanpAreaCode, recipientLocale } from './quiet-hours.ts';
import { getRecipient, recipientAddress } from './recipient.ts';
import { normalizeAddress, suppressionsFor } from './suppressions.ts';

/**
 * The one outbound gate: may this message go to this contact, on this channel, for this purpose,
 * now? It only reads; `sendOutbound` (core/outbound.ts) asks it before every provider call and
 * records each refusal. Rules by purpose:
 *
 * - `marketing` needs the channel's consent (email_marketing; sms_marketing for SMS and WhatsApp;
 *   marketing_calls, plus ai_voice_calls for an AI or prerecorded voice). Texts and calls also
 *   need the number off every Do-Not-Call list (a signed, written consent lifts the national
 *   registry, as the TCPA allows), inside quiet hours, and under the Florida/Oklahoma cap.
 * - `conversation_reply` needs no marketing consent (the prospect started the conversation), but
 *   never goes after an opt-out on that channel, to a suppressed address, or to a number the
 *   organization keeps off-limits (contact flag, org list).
 * - `transactional` (something the prospect asked for) is like a reply but respects quiet hours;
 *   a receipt by email still goes to an address that unsubscribed from marketing (CAN-SPAM).
 * - `opt_out_confirmation` goes once, within five minutes of the opt-out (FCC rule), and never by call.
 * - `rep_notification` goes to the organization's own rep, never to a prospect's address.
 *
 * The web chat is always opened by the visitor, so it needs no consent; but after any opt-out
 * nothing unasked-for (marketing) is shown in it.
 */
export const refusalReasons = [
  'no_address',
  'address_mismatch',
  'no_consent',
  'consent_revoked',
  'unsubscribed',
  'hard_bounced',
  'complained',
  'dnc_internal',
  'dnc_org_list',
  'dnc_national',
  'quiet_hours',
  'quiet_hours_unknown_timezone',
  'call_cap',
  'no_recent_opt_out',
  'opt_out_already_confirmed',
  'not_by_call',
  'not_a_rep_address',
] as const;
export type RefusalReason = (typeof refusalReasons)[number];

export const outboundCheckSchema = z.object({
  orgId: z.uuid(),
  contactId: z.uuid('contactId must be a UUID'),
  channel: z.enum(channels),
  purpose: z.enum(outboundPurposes),
  /** The recipient when it is not the contact (a rep); for a prospect it must be their own address. */
  to: z.string().trim().min(1).max(320).optional(),
  /** Voice only: an AI or prerecorded voice, which needs ai_voice_calls consent. */
  artificialVoice: z.boolean().default(true),
  now: z.date().optional(),
  /** The delivery being retried, so it does not count against its own cap or confirmation. */
  idempotencyKey: z.string().optional(),
});
export type OutboundCheck = z.input<typeof outboundCheckSchema>;

export interface OutboundDecision {
  allowed: boolean;
  reasons: RefusalReason[];
  /** Not refusals, but the organization should act (e.g. `dnc_national_stale`). */
  warnings: string[];
}

/** FCC 47 CFR 64.1200(a)(12): the one confirmation text goes within five minutes. */
export const optOutConfirmationWindowMs = 5 * 60_000;

const phoneChannels = new Set(['sms', 'whatsapp', 'voice']);

export async function checkOutbound(db: Db, input: OutboundCheck): Promise<OutboundDecision> {
  const check = outboundCheckSchema.parse(input);
  const { orgId, contactId, channel, purpose } = check;
  const now = check.now ?? new Date();
  const recipient = await getRecipient(db, orgId, contactId);
  const reasons = new Set<RefusalReason>();
  const warnings: string[] = [];

  if (purpose === 'rep_notification') {
    if (!check.to) reasons.add('no_address');
    else if (!(await isRepAddress(db, orgId, channel, check.to))) reasons.add('not_a_rep_address');
    return decision(reasons, warnings);
  }

  const own = recipientAddress(recipient, channel);
  const address = check.to ?? own;
  if (!address) reasons.add('no_address');
  else if (
    check.to &&
    channel !== 'web' &&
    normalizeAddress(channel, check.to) !== normalizeOwn(channel, own)
  ) {
    // Consent belongs to the contact's own address; another address is another person.
    reasons.add('address_mismatch');
  }

  const consent = await currentConsent(db, orgId, contactId);
  const types = consentTypesForChannel(channel, check.artificialVoice);
  // An unsubscribe from marketing email does not stop a receipt the prospect asked for.
  const receiptByEmail = purpose === 'transactional' && channel === 'email';

  if (purpose === 'opt_out_confirmation') {
    const refusal = await checkOptOutConfirmation(db, check, consent, types, now);
    if (refusal) reasons.add(refusal);
  } else {
    if (!receiptByEmail && types.some((type) => consent[type].status === 'revoked')) {
      reasons.add('consent_revoked');
    }
    // The web chat has no consent of its own: after any opt-out, nothing unasked-for appears in it.
    if (
      channel === 'web' &&
      purpose === 'marketing' &&
      consentTypes.some((t) => consent[t].status === 'revoked')
    ) {
      reasons.add('consent_revoked');
    }
    if (purpose === 'marketing' && types.some((type) => consent[type].status === 'none')) {
      reasons.add('no_consent');
    }
  }

  if (address && channel !== 'web') {
    const suppressed = await suppressionsFor(db, orgId, channel, address);
    if (suppressed.includes('hard_bounce')) reasons.add('hard_bounced');
    if (suppressed.includes('complaint')) reasons.add('complained');
    if (suppressed.includes('unsubscribed') && purpose !== 'opt_out_confirmation' && !receiptByEmail) {
      reasons.add('unsubscribed');
    }
  }

  if (phoneChannels.has(channel) && purpose !== 'opt_out_confirmation') {
    if (recipient.doNotCall) reasons.add('dnc_internal');
    const listed = address ? await doNotCallListings(db, orgId, address) : { org: false, national: false };
    if (listed.org) reasons.add('dnc_org_list');
    if (purpose === 'marketing') {
      const writtenConsent = types.every(
        (type) => consent[type].status === 'given' && writtenConsentMethods.includes(consent[type].method!),
      );
      if (listed.national && !writtenConsent) reasons.add('dnc_national');
      if (address && nanpAreaCode(address)) {
        warnings.push(...(await nationalRegistryStatus(db, orgId, { phone: address, now })).warnings);
      }
    }
    // Replies inside a conversation the prospect started are not solicitations; the rest wait.
    if (purpose === 'marketing' || purpose === 'transactional') {
      const locale = recipientLocale(address, recipient.timezone);
      const verdict = checkQuietHours(now, locale);
      if (verdict !== 'ok') reasons.add(verdict);
      const cap = callingWindow(locale.region).callsPer24h;
      if (purpose === 'marketing' && cap !== undefined) {
        const recent = await solicitationsInLast24h(db, check, address, now);
        if (recent >= cap) reasons.add('call_cap');
      }
    }
  }
  return decision(reasons, warnings);
}

function decision(reasons: Set<RefusalReason>, warnings: string[]): OutboundDecision {
  return { allowed: reasons.size === 0, reasons: [...reasons], warnings: [...new Set(warnings)] };
}

function normalizeOwn(channel: z.infer<typeof outboundCheckSchema>['channel'], own: string | null) {
  return own === null ? null : normalizeAddress(channel, own);
}

/**
 * The confirmation may follow only a revocation still in force, made in the last five minutes,
 * and not yet confirmed. A web chat has no consent type of its own: any revocation counts.
 */
async function checkOptOutConfirmation(
  db: Db,
  check: z.infer<typeof outboundCheckSchema>,
  consent: CurrentConsent,
  types: ConsentType[],
  now: Date,
): Promise<RefusalReason | null> {
  if (check.channel === 'voice') return 'not_by_call';
  const revokedAt = (types.length > 0 ? types : [...consentTypes])
    .map((type) => consent[type])
    .filter((state) => state.status === 'revoked')
    .map((state) => Date.parse(state.at!))
    .sort((a, b) => b - a)[0];
  if (revokedAt === undefined || now.getTime() - revokedAt > optOutConfirmationWindowMs) {
    return 'no_recent_opt_out';
  }
  const sent = await db.query(
    `select 1 from outbound_deliveries
     where org_id = $1 and contact_id = $2 and channel = $3 and purpose = 'opt_out_confirmation'
       and status in ('sending', 'sent', 'recorded', 'in_doubt') and sent_at >= $4
       and idempotency_key <> coalesce($5, '') limit 1`,
    [check.orgId, check.contactId, check.channel, new Date(revokedAt), check.idempotencyKey ?? null],
  );
  return sent[0] ? 'opt_out_already_confirmed' : null;
}

/**
 * Calls and texts with a marketing purpose to this contact or number in the trailing 24 hours.
 * The statutes count texts as calls, and every sales message of one organization is about the
 * same subject (its offering), so all of them count. In-doubt deliveries count: they may have gone.
 */
async function solicitationsInLast24h(
  db: Db,
  check: z.infer<typeof outboundCheckSchema>,
  address: string | null,
  now: Date,
): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `select count(*)::int as n from outbound_deliveries
     where org_id = $1 and purpose = 'marketing' and channel in ('sms', 'whatsapp', 'voice')
       and status in ('sending', 'sent', 'recorded', 'in_doubt')
       and (contact_id = $2 or to_address = $3) and sent_at > $4 and sent_at <= $5
       and idempotency_key <> coalesce($6, '')`,
    [
      check.orgId,
      check.contactId,
      address,
      new Date(now.getTime() - 86_400_000),
      now,
      check.idempotencyKey ?? null,
    ],
  );
  return rows[0]!.n;
}

/** A rep notification must reach one of the organization's reps, never a prospect. */
async function isRepAddress(
  db: Db,
  orgId: string,
  channel: z.infer<typeof outboundCheckSchema>['channel'],
  to: string,
): Promise<boolean> {
  if (channel === 'email' || channel === 'web') {
    const reps = await listReps(db, orgId);
    const wanted = channel === 'email' ? to.trim().toLowerCase() : to;
    return reps.some((rep) => (channel === 'email' ? rep.email.toLowerCase() : rep.id) === wanted);
  }
  // Reps have no phone number on file yet: accept any number that is not a contact's.
  const contacts = await db.query('select 1 from contacts where org_id = $1 and phone = $2 limit 1', [
    orgId,
    normalizeAddress(channel, to),
  ]);
  return contacts.length === 0;
}
