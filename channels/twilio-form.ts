import { z } from 'zod';
import { DomainError } from '../core/errors.ts';
import type { InboundRequest } from './channel-adapter.ts';

/**
 * Twilio's webhooks are form-encoded: these read them the same way for texts, status callbacks
 * and calls. A repeated field keeps every value, as Twilio's signature covers them all.
 */
export function decodeForm(rawBody: string): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(rawBody)) {
    const seen = fields[key];
    fields[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return fields;
}

/** The request's form fields: already decoded by the HTTP layer, or decoded from its raw body. */
export function formFields(request: InboundRequest): Record<string, string | string[]> {
  if (request.body && typeof request.body === 'object' && !Array.isArray(request.body)) {
    return request.body as Record<string, string | string[]>;
  }
  return decodeForm(request.rawBody ?? '');
}

/** The form's fields (the first value of each) checked by `schema`; DomainError('invalid') if not. */
export function parseFormFields<T extends z.ZodType>(schema: T, request: InboundRequest): z.output<T> {
  const fields = Object.fromEntries(
    Object.entries(formFields(request)).map(([key, value]) => [key, Array.isArray(value) ? value[0] : value]),
  );
  const parsed = schema.safeParse(fields);
  if (!parsed.success) throw new DomainError('invalid', z.prettifyError(parsed.error));
  return parsed.data;
}
