import { randomBytes } from 'node:crypto';
import { cron, Inngest, type InngestFunction, type Logger as InngestLogger } from 'inngest';
import { inngestEventTypes } from './events.ts';
import type { WorkflowDefinition } from './workflow.ts';

export interface InngestSettings {
  INNGEST_EVENT_KEY?: string;
  INNGEST_SIGNING_KEY?: string;
  INNGEST_DEV?: string;
  INNGEST_BASE_URL?: string;
}

/** Inngest drives the workflows when a dev server or Cloud keys are configured; otherwise the embedded runtime does. */
export function inngestConfigured(settings: InngestSettings): boolean {
  return Boolean(
    (settings.INNGEST_DEV && settings.INNGEST_DEV !== '0') ||
      (settings.INNGEST_EVENT_KEY && settings.INNGEST_SIGNING_KEY),
  );
}

/**
 * The Inngest client. Without Inngest configured, `/api/inngest` is still served but signed with
 * a key generated for this process, so nobody outside can drive it.
 */
export function createInngestClient(settings: InngestSettings, logger?: InngestLogger): Inngest {
  const dev = Boolean(settings.INNGEST_DEV && settings.INNGEST_DEV !== '0');
  return new Inngest({
    id: 'quotahit',
    isDev: dev,
    eventKey: settings.INNGEST_EVENT_KEY,
    signingKey:
      settings.INNGEST_SIGNING_KEY ?? (dev ? undefined : `signkey-prod-${randomBytes(32).toString('hex')}`),
    baseUrl:
      settings.INNGEST_BASE_URL ??
      (dev && /^https?:/.test(settings.INNGEST_DEV!) ? settings.INNGEST_DEV : undefined),
    logger,
    // Classic executor protocol: each step result goes back to Inngest in the response.
    checkpointing: false,
  });
}

/** The same definition, registered with Inngest. */
export function toInngestFunction(
  client: Inngest,
  definition: WorkflowDefinition<never>,
): InngestFunction.Any {
  const triggers = definition.triggers.map((trigger) =>
    'cron' in trigger ? cron(trigger.cron) : inngestEventTypes[trigger.event],
  );
  const onFailure = definition.onFailure;
  return client.createFunction(
    {
      id: definition.id,
      name: definition.name,
      triggers: triggers as never,
      concurrency: definition.concurrency,
      retries: definition.retries as never,
      onFailure: onFailure
        ? async ({
            event,
            error,
            runId,
          }: {
            event: { data: { event: unknown } };
            error: Error;
            runId: string;
          }) => onFailure({ event: event.data.event as never, error, runId })
        : undefined,
    } as never,
    async (context: { event: unknown; step: unknown; runId: string; attempt: number }) =>
      definition.handler({
        event: context.event as never,
        step: context.step as never,
        runId: context.runId,
        attempt: context.attempt,
      }),
  ) as InngestFunction.Any;
}
