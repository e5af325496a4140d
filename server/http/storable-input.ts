import express, { type RequestHandler } from 'express';
import { DomainError } from '../../core/errors.ts';
import {
  isValidUtf8,
  storableTextProblem,
  toStorableText,
  unstorableTextIn,
} from '../../core/storable-text.ts';

/**
 * Request text the database could not store is refused at the door, naming the field, before any
 * route reads it: invalid UTF-8 in the body (the parser would otherwise turn it into U+FFFD
 * unnoticed), and NUL or lone surrogates anywhere in the parsed body or query.
 */
const refuseInvalidUtf8 = (_req: unknown, _res: unknown, bytes: Buffer) => {
  if (!isValidUtf8(bytes)) throw new DomainError('invalid', 'the request body is not valid UTF-8');
};

export const jsonBody = (limit: string): RequestHandler => express.json({ limit, verify: refuseInvalidUtf8 });

export const textBody = (limit: string): RequestHandler =>
  express.text({ type: 'text/plain', limit, verify: refuseInvalidUtf8 });

export const refuseUnstorableText: RequestHandler = (req, _res, next) => {
  for (const [part, value] of [
    ['body', req.body],
    ['query', req.query],
  ] as const) {
    const field = unstorableTextIn(value);
    if (field) {
      const path = part === 'body' ? field : `query.${field}`;
      throw new DomainError('invalid', `${path} ${storableTextProblem}`, {
        errors: [{ path, message: storableTextProblem }],
      });
    }
  }
  next();
};

/**
 * A provider's verified payload, made storable: a prospect's text is never refused or lost over
 * a character the database cannot hold (and a 5xx would make the provider retry it forever), so
 * NUL is dropped and lone surrogates become U+FFFD. What changed is logged, by field name only.
 */
export function storableProviderPayload<T>(
  payload: T,
  log: { warn(details: object, message: string): void },
  context: Record<string, unknown> = {},
): T {
  const { value, altered } = toStorableText(payload);
  if (altered.length > 0)
    log.warn(
      { ...context, fields: altered },
      'provider text altered: characters the database cannot store were replaced',
    );
  return value;
}
