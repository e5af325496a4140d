import { z } from 'zod';
import type { EventData, EventName } from '../core/events.ts';
import { parseCron } from './cron-schedule.ts';

/**
 * A workflow is defined once and runs two ways: registered with Inngest (`inngest.createFunction`)
 * when Inngest is configured, or by the embedded runtime otherwise. Handlers see only the subset
 * of Inngest's step tools that the embedded runtime implements, so using anything else is a
 * type error, and `defineWorkflow` refuses unsupported options when the server starts.
 */
export interface WorkflowEvent<N extends EventName = EventName> {
  id: string;
  name: N;
  data: EventData<N>;
  ts: number;
}

export type SentEvent = { [N in EventName]: { name: N; data: EventData<N> } }[EventName];

export interface WorkflowStep {
  /** Runs `fn` once; on replay returns its recorded (JSON) result instead of running it again. */
  run<T>(id: string, fn: () => Promise<T> | T): Promise<T>;
  sleep(id: string, duration: number | string): Promise<void>;
  sleepUntil(id: string, time: Date | string): Promise<void>;
  sendEvent(id: string, events: SentEvent | SentEvent[]): Promise<{ ids: string[] }>;
  /** Resolves with the first matching event after the wait began, or null after `timeout`. */
  waitForEvent<N extends EventName>(
    id: string,
    options: { event: N; timeout: number | string; match?: string },
  ): Promise<WorkflowEvent<N> | null>;
}

export interface WorkflowContext<N extends EventName = EventName> {
  event: WorkflowEvent<N>;
  step: WorkflowStep;
  runId: string;
  attempt: number;
}

export type WorkflowTrigger = { event: EventName } | { cron: string };

export interface WorkflowDefinition<N extends EventName = EventName> {
  id: string;
  name?: string;
  /** The event names here type `event` in the handler. */
  triggers: ({ event: N } | { cron: string })[];
  /** At most `limit` runs at once per value of `key` (an `event.data.<field>` path). */
  concurrency?: { key: string; limit: number };
  /** Retries after the first attempt (Inngest's meaning); default 4, as Inngest's. */
  retries?: number;
  handler(context: WorkflowContext<N>): Promise<unknown>;
  /** Called once when the run has failed for good. */
  onFailure?(context: { event: WorkflowEvent<N>; error: Error; runId: string }): Promise<void>;
}

export const supportedStepTools = ['run', 'sleep', 'sleepUntil', 'sendEvent', 'waitForEvent'] as const;

const definitionSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/, 'id must be kebab-case'),
    name: z.string().optional(),
    triggers: z
      .array(
        z.union([
          z.object({ event: z.string().min(1) }).strict(),
          z.object({ cron: z.string().min(1) }).strict(),
        ]),
      )
      .min(1, 'needs at least one trigger'),
    concurrency: z
      .object({
        key: z
          .string()
          .regex(/^event\.data\.[A-Za-z0-9_.]+$/, 'concurrency key must be an event.data.<field> path'),
        limit: z.number().int().min(1),
      })
      .strict()
      .optional(),
    retries: z.number().int().min(0).max(20).optional(),
    handler: z.function(),
    onFailure: z.function().optional(),
  })
  .strict();

/**
 * Checks a definition against what both runtimes support. Throws at start-up — an unsupported
 * option (throttle, debounce, batchEvents, …) or step tool (invoke, ai, fetch, …) must not be
 * discovered in the middle of a run.
 */
export function defineWorkflow<N extends EventName>(
  definition: WorkflowDefinition<N>,
): WorkflowDefinition<N> {
  const parsed = definitionSchema.safeParse(definition);
  if (!parsed.success) {
    throw new Error(`workflow ${definition.id ?? '?'}: ${z.prettifyError(parsed.error)}`);
  }
  for (const trigger of definition.triggers) if ('cron' in trigger) parseCron(trigger.cron);
  for (const fn of [definition.handler, definition.onFailure]) {
    if (!fn) continue;
    for (const [, tool] of String(fn).matchAll(/\bstep\.(\w+)\s*\(/g)) {
      if (!(supportedStepTools as readonly string[]).includes(tool!)) {
        throw new Error(
          `workflow ${definition.id}: step.${tool} is not supported by the embedded runtime (supported: ${supportedStepTools.join(', ')})`,
        );
      }
    }
  }
  return definition;
}

/** Reads `event.data.a.b` from an event, for concurrency keys and `match`. */
export function readEventPath(event: { data: unknown }, path: string): unknown {
  const parts = path.replace(/^event\./, '').split('.');
  let value: unknown = event;
  for (const part of parts)
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}
