import { normalizeAddress } from '../compliance/suppressions.ts';
import type { Db } from '../db.ts';
import { lastOrganizationToWrite } from '../delivery-status.ts';

/**
 * Each conversation has its own reply address, `reply+TOKEN@<reply domain>`, with the
 * conversation's random `reply_token`: the prospect's answer comes back to that address and
 * threads into the conversation, whichever organization it belongs to. An inbound email names no
 * organization, so finding the thread of a token is the one lookup here not scoped to one.
 */

const replyLocalPart = 'reply';
/** What a reply token may look like (the default is 32 hex digits); anything else is not one. */
const tokenPattern = /^[A-Za-z0-9_-]{8,200}$/;

export function formatReplyAddress(token: string, domain: string): string {
  if (!tokenPattern.test(token)) throw new Error('a reply token is 8-200 letters, digits, _ or -');
  return `${replyLocalPart}+${token}@${domain.toLowerCase()}`;
}

/**
 * The reply token in an address (`reply+TOKEN@domain`, bare or as `Name <reply+TOKEN@domain>`);
 * null for any other address. With `domain`, only addresses at that domain count.
 */
export function parseReplyToken(address: string, domain?: string): string | null {
  const bare = (address.match(/<([^<>]+)>\s*$/)?.[1] ?? address).trim();
  const at = bare.lastIndexOf('@');
  if (at < 0) return null;
  const local = bare.slice(0, at);
  const host = bare.slice(at + 1).toLowerCase();
  if (domain && host !== domain.toLowerCase()) return null;
  const plus = local.indexOf('+');
  if (plus < 0 || local.slice(0, plus).toLowerCase() !== replyLocalPart) return null;
  const token = local.slice(plus + 1);
  return tokenPattern.test(token) ? token : null;
}

/** The first reply token among an email's recipients (To, Cc, the envelope's), if any. */
export function findReplyToken(recipients: readonly string[], domain?: string): string | null {
  for (const recipient of recipients) {
    const token = parseReplyToken(recipient, domain);
    if (token) return token;
  }
  return null;
}

export interface ReplyThread {
  orgId: string;
  conversationId: string;
}

/** The conversation a reply token belongs to, in any organization (tokens are unique and random). */
export async function findReplyThread(db: Db, token: string): Promise<ReplyThread | null> {
  if (!tokenPattern.test(token)) return null;
  const rows = await db.query<{ org_id: string; id: string }>(
    'select org_id, id from conversations where reply_token = $1',
    [token],
  );
  return rows[0] ? { orgId: rows[0].org_id, conversationId: rows[0].id } : null;
}

export interface InboundEmailOrganization {
  orgId: string;
  /** The thread the reply token named; absent when the organization was found by the sender. */
  conversationId?: string;
  via: 'reply_token' | 'recent_delivery';
}

/**
 * The organization an inbound email is for: the one whose conversation its reply token names;
 * else (a reply to an address without a token, or a token mangled on the way) the one that most
 * recently emailed the sender. Null when neither is known: the email is not for anyone here.
 */
export async function findInboundEmailOrganization(
  db: Db,
  email: { replyToken?: string | null; from: string },
): Promise<InboundEmailOrganization | null> {
  if (email.replyToken) {
    const thread = await findReplyThread(db, email.replyToken);
    if (thread) return { ...thread, via: 'reply_token' };
  }
  const from = normalizeAddress('email', email.from);
  if (!from) return null;
  const orgId = await lastOrganizationToWrite(db, ['email'], from);
  return orgId ? { orgId, via: 'recent_delivery' } : null;
}
