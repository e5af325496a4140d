import type { RequestHandler } from 'express';
import { sendProblem } from './problem.ts';

/**
 * Whom a cookie-authenticated request must come from: PUBLIC_URL's origin, or, without PUBLIC_URL,
 * the Host the request was sent to. A page on another site cannot make its Origin name our host;
 * the scheme is not compared then, since a TLS proxy in front may hide the one users see.
 */
export type ExpectedOrigin = { origin: string } | { host: string };

export function expectedOrigin(publicUrl: string | undefined, host: string | undefined): ExpectedOrigin {
  return publicUrl ? { origin: new URL(publicUrl).origin } : { host: host ?? '' };
}

/**
 * Why a browser request is refused as cross-site, or undefined when it may go on. A request with
 * neither Origin nor Sec-Fetch-Site is not from a browser (curl, the CLI, a script with a bearer
 * token): no cookie rides on it without its sender meaning it.
 */
export function crossSiteReason(
  headers: { origin?: string; 'sec-fetch-site'?: string },
  expected: ExpectedOrigin,
): string | undefined {
  const { origin, 'sec-fetch-site': fetchSite } = headers;
  if (origin !== undefined) {
    if (originMatches(origin, expected)) return undefined;
    if ('origin' in expected) return `cross-site request refused: Origin ${origin} is not ${expected.origin}`;
    return (
      `cross-site request refused: Origin ${origin} is not this server's host (${expected.host}); ` +
      'behind a proxy, set PUBLIC_URL to the address users reach this server at'
    );
  }
  if (fetchSite !== undefined && fetchSite !== 'same-origin') {
    return `cross-site request refused: Sec-Fetch-Site is ${fetchSite}, not same-origin`;
  }
  return undefined;
}

/** Whether a browser's Origin is this server's own (PUBLIC_URL's, or without it the Host's). */
export function isOwnOrigin(
  origin: string,
  publicUrl: string | undefined,
  host: string | undefined,
): boolean {
  return originMatches(origin, expectedOrigin(publicUrl, host));
}

function originMatches(origin: string, expected: ExpectedOrigin): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false; // `null` (a sandboxed frame, a redirect across sites) or garbage
  }
  // An opaque origin serializes as "null": never a match, whatever it is compared with.
  if (parsed.origin === 'null' || parsed.origin !== origin) return false;
  if ('origin' in expected) return parsed.origin === expected.origin;
  return expected.host !== '' && parsed.host === expected.host.toLowerCase();
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses state-changing requests a page on another site made a browser send (CSRF): the
 * SameSite=Strict session cookie alone is one browser feature away from riding along.
 */
export function refuseCrossSite(publicUrl: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (safeMethods.has(req.method)) return next();
    const reason = crossSiteReason(
      { origin: req.get('origin'), 'sec-fetch-site': req.get('sec-fetch-site') },
      expectedOrigin(publicUrl, req.get('host')),
    );
    if (reason) return sendProblem(res, 403, 'Forbidden', reason);
    next();
  };
}
