import { type Response, Router } from 'express';
import { unsubscribeByEmailLink } from '../../../core/compliance/opt-out.ts';
import { readUnsubscribeToken } from '../../../core/compliance/unsubscribe-link.ts';
import type { Db } from '../../../core/db.ts';
import { DomainError } from '../../../core/errors.ts';
import { escapeMarkup } from '../../../core/markup-text.ts';
import { getOrganization } from '../../../core/organizations.ts';

/**
 * The email unsubscribe link, no login: `POST /unsubscribe/:token` is the RFC 8058 one-click
 * endpoint (mail clients POST `List-Unsubscribe=One-Click`; the body is not needed, the signed
 * token says who). `GET` only shows a page with a button, because link scanners fetch every URL
 * in a message and must not unsubscribe anyone by doing so.
 */
export function unsubscribeRoutes(db: Db, secret: string | undefined): Router {
  const router = Router();

  router.get('/unsubscribe/:token', async (req, res) => {
    const target = secret ? readUnsubscribeToken(secret, req.params.token) : null;
    if (!target) return invalidLink(res, secret);
    const orgName = await organizationName(db, target.orgId);
    page(
      res,
      200,
      'Unsubscribe',
      `<p>Stop marketing emails from ${escapeMarkup(orgName ?? 'this sender')}?</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button></form>`,
    );
  });

  router.post('/unsubscribe/:token', async (req, res) => {
    const target = secret ? readUnsubscribeToken(secret, req.params.token) : null;
    if (!target) return invalidLink(res, secret);
    try {
      const { organizationName } = await unsubscribeByEmailLink(db, {
        ...target,
        ip: req.ip,
        userAgent: req.get('user-agent'),
      });
      page(
        res,
        200,
        "You're unsubscribed",
        `<p>${escapeMarkup(organizationName)} will not send you marketing emails any more. It takes effect now.</p>`,
      );
    } catch (error) {
      if (!(error instanceof DomainError && error.kind === 'not_found')) throw error;
      // The contact is gone: there is no one left to email.
      page(
        res,
        200,
        "You're unsubscribed",
        '<p>This address is no longer on file; no more emails will be sent.</p>',
      );
    }
  });

  return router;
}

async function organizationName(db: Db, orgId: string): Promise<string | null> {
  try {
    return (await getOrganization(db, orgId)).name;
  } catch (error) {
    if (error instanceof DomainError && error.kind === 'not_found') return null;
    throw error;
  }
}

function invalidLink(res: Response, secret: string | undefined): void {
  if (!secret) {
    page(res, 503, 'Unsubscribe unavailable', '<p>Unsubscribe links are not configured on this server.</p>');
    return;
  }
  page(
    res,
    400,
    'Link not valid',
    '<p>This unsubscribe link is not valid. Please use the link from the email.</p>',
  );
}

/** `body` is trusted markup built here; every value in it is escaped by the caller. */
function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .set({
      'Content-Security-Policy':
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
      'X-Robots-Tag': 'noindex',
    })
    .type('html')
    .send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeMarkup(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
button{font:inherit;padding:.5rem 1.25rem;cursor:pointer}</style></head>
<body><h1>${escapeMarkup(title)}</h1>
${body}
</body></html>`);
}
