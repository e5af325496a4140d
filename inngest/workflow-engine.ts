import type { RequestHandler } from 'express';
import type { Logger as InngestLogger } from 'inngest';
import { serve } from 'inngest/express';
import type { Db } from '../core/db.ts';
import { createInngestClient, type InngestSettings, inngestConfigured, toInngestFunction } from './client.ts';
import { EmbeddedRuntime } from './embedded-runtime.ts';
import { OutboxForwarder } from './outbox-forwarder.ts';
import type { WorkflowDefinition } from './workflow.ts';

/** Whichever runs the workflows — Inngest or the embedded runtime — behind one face. */
export interface WorkflowEngine {
  mode: 'inngest' | 'embedded';
  /** The Inngest SDK endpoint (`/api/inngest`), served in every mode. */
  inngestHandler: RequestHandler;
  start(): void;
  /** New events were written: dispatch them now rather than at the next poll. */
  poke(): void;
  stop(): Promise<void>;
}

export interface WorkflowEngineOptions {
  /** An ambient database (inngest/ambient-database.ts). */
  db: Db;
  functions: WorkflowDefinition<never>[];
  settings: InngestSettings;
  log: { error(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Where the Inngest SDK logs (it logs refused signatures, for one). */
  sdkLogger?: InngestLogger;
  pollIntervalMs?: number;
}

export function createWorkflowEngine(options: WorkflowEngineOptions): WorkflowEngine {
  const { db, functions, settings, log, pollIntervalMs } = options;
  const client = createInngestClient(settings, options.sdkLogger);
  const inngestHandler = serve({
    client,
    functions: functions.map((fn) => toInngestFunction(client, fn)),
  }) as RequestHandler;
  if (inngestConfigured(settings)) {
    const forwarder = new OutboxForwarder(db, client, log);
    return {
      mode: 'inngest',
      inngestHandler,
      start: () => forwarder.start(),
      poke: () => forwarder.poke(),
      stop: () => forwarder.stop(),
    };
  }
  const runtime = new EmbeddedRuntime({ db, functions, log, pollIntervalMs });
  return {
    mode: 'embedded',
    inngestHandler,
    start: () => runtime.start(),
    poke: () => runtime.poke(),
    stop: () => runtime.stop(),
  };
}
