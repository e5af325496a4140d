import { z } from 'zod';
import { DomainError } from '../../core/errors.ts';

const uuid = z.uuid();

/** A path or query id must be a UUID; anything else is a clear 400 instead of a database error. */
export function requireUuid(value: unknown, name: string): string {
  const parsed = uuid.safeParse(value);
  if (!parsed.success) throw new DomainError('invalid', `${name} must be a UUID`);
  return parsed.data;
}

export function optionalUuid(value: unknown, name: string): string | undefined {
  return value === undefined || value === '' ? undefined : requireUuid(value, name);
}
