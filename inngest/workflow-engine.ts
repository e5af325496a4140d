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
  /**
   * The address Inngest reaches this server at (config.publicUrl); the endpoint is its
   * `/api/inngest`. The SDK would otherwise build it from the request's Host header, which
   * whoever sends the request chooses.
   */
  publicUrl?: string;
  pollIntervalMs?: number;
}

export function createWorkflowEngine(options: WorkflowEngineOptions): WorkflowEngine {
  const { db, functions, settings, log, pollIntervalMs } = options;
  const client = createInngestClient(settings, options.sdkLogger);
  const endpoint = new URL(`${(options.publicUrl ?? defaultPublicUrl).replace(/\/$/, '')}/api/inngest`);
  const sdkHandler = serve({
    client,
    functions: functions.map((fn) => toInngestFunction(client, fn)),
    serveOrigin: endpoint.origin,
    servePath: endpoint.pathname,
  }) as RequestHandler;
  if (inngestConfigured(settings)) {
    const forwarder = new OutboxForwarder(db, client, log);
    return {
      mode: 'inngest',
      inngestHandler: sdkHandler,
      start: () => forwarder.start(),
      poke: () => forwarder.poke(),
      stop: () => forwarder.stop(),
    };
  }
  const runtime = new EmbeddedRuntime({ db, functions, log, pollIntervalMs });
  return {
    mode: 'embedded',
    inngestHandler: refuseSync(sdkHandler),
    start: () => runtime.start(),
    poke: () => runtime.poke(),
    stop: () => runtime.stop(),
  };
}

/** config.ts's default PUBLIC_URL, for callers (tests) that do not say. */
const defaultPublicUrl = 'http://localhost:3000';

/**
 * Embedded, nothing runs on Inngest, so a sync (PUT) has nothing to register — and the SDK would
 * register with Inngest Cloud on an unauthenticated request's behalf. It is answered here,
 * without calling anyone; GET (introspection) and POST (signed with a key nobody outside this
 * process knows) still reach the SDK.
 */
function refuseSync(sdkHandler: RequestHandler): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'PUT') return sdkHandler(req, res, next);
    // problem+json, as server/http/problem.ts writes it; inngest/ does not import the HTTP layer.
    res
      .status(405)
      .set('Allow', 'GET, POST')
      .type('application/problem+json')
      .send(
        JSON.stringify({
          type: 'about:blank',
          title: 'Method Not Allowed',
          status: 405,
          detail: 'workflows run embedded (no INNGEST_* settings): there is nothing to register with Inngest',
          requestId: res.locals.requestId,
        }),
      );
  };
}
