import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The one-click unsubscribe link every marketing email carries (RFC 8058). The token names the
 * organization and contact and is signed with the server's secret, so the link needs no login
 * and cannot be forged for someone else. It does not expire: an unsubscribe link must keep
 * working long after the email was sent.
 */

const purpose = 'quotahit-unsubscribe-v1';

function uuidBytes(id: string): Buffer {
  const hex = id.replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${id}`);
  return Buffer.from(hex, 'hex');
}

function bytesUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function signature(secret: string, payload: string): Buffer {
  if (secret.length < 16) throw new Error('the unsubscribe secret must be at least 16 characters');
  return createHmac('sha256', secret).update(`${purpose}:${payload}`).digest().subarray(0, 18);
}

export function unsubscribeToken(secret: string, orgId: string, contactId: string): string {
  const payload = Buffer.concat([uuidBytes(orgId), uuidBytes(contactId)]).toString('base64url');
  return `${payload}.${signature(secret, payload).toString('base64url')}`;
}

/** The organization and contact a token was made for, or null when it is not one of ours. */
export function readUnsubscribeToken(
  secret: string,
  token: string,
): { orgId: string; contactId: string } | null {
  const match = /^([\w-]{43})\.([\w-]{24})$/.exec(token);
  if (!match) return null;
  const [, payload, mac] = match as unknown as [string, string, string];
  const expected = signature(secret, payload);
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const bytes = Buffer.from(payload, 'base64url');
  if (bytes.length !== 32) return null;
  return { orgId: bytesUuid(bytes.subarray(0, 16)), contactId: bytesUuid(bytes.subarray(16)) };
}

export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/unsubscribe/${encodeURIComponent(token)}`;
}

/** The two headers of RFC 8058: mail clients POST `List-Unsubscribe=One-Click` to the URL. */
export function listUnsubscribeHeaders(publicUrl: string, token: string): Record<string, string> {
  return {
    'List-Unsubscribe': `<${unsubscribeUrl(publicUrl, token)}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}
