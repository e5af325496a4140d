import { type EventType, eventType } from 'inngest';
import { type EventName, eventSchemas } from '../core/events.ts';

/**
 * Inngest event types for every domain event, validated with the same zod schemas the outbox
 * writer uses (zod implements Standard Schema, which Inngest accepts).
 */
export const inngestEventTypes = Object.fromEntries(
  (Object.keys(eventSchemas) as EventName[]).map((name) => [
    name,
    eventType(name, { schema: eventSchemas[name] as (typeof eventSchemas)['lead.created'] }),
  ]),
) as unknown as { [N in EventName]: EventType<N, (typeof eventSchemas)[N]> };
