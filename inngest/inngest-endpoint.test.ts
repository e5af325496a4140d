import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../core/canonical-json.ts';
import type { Db } from '../core/db.ts';
import { leadPipeline } from './functions/lead-pipeline.ts';
import { createWorkflowEngine } from './workflow-engine.ts';

/**
 * Drives `/api/inngest` the way the Inngest executor does — a signed request carrying the event
 * and the step state so far — and checks the step operations the real SDK answers with.
 */
const signingKey = `signkey-test-${'ab'.repeat(32)}`;
const calls: string[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  const engine = createWorkflowEngine({
    db: {} as Db, // never started: the executor, not the engine, drives the functions here
    functions: leadPipeline({
      enrich: async () => {
        calls.push('enrich');
        return { sources: ['offline'] };
      },
      score: async () => {
        calls.push('score');
        return { score: 57 };
      },
      qualificationThreshold: async () => 40,
      startQualification: async () => ({ started: true }),
      route: async () => ({ mode: 'C' }),
      followThrough: async () => ({}),
      assignQueuedLeads: async () => ({}),
    }),
    settings: { INNGEST_SIGNING_KEY: signingKey, INNGEST_EVENT_KEY: 'test-event-key' },
    log: { error: () => {}, warn: () => {} },
    sdkLogger: { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} },
  });
  expect(engine.mode).toBe('inngest');
  const app = express();
  app.use(express.json());
  app.use('/api/inngest', engine.inngestHandler);
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/inngest`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const stepHash = (id: string) => createHash('sha1').update(id).digest('hex');

function sign(body: string, key = signingKey): string {
  const ts = Math.round(Date.now() / 1000).toString();
  const mac = createHmac('sha256', key.replace(/^signkey-\w+-/, ''))
    .update(body + ts)
    .digest('hex');
  return `t=${ts}&s=${mac}`;
}

async function execute(steps: Record<string, unknown>, key = signingKey) {
  const event = {
    id: randomUUID(),
    name: 'lead.created',
    data: { orgId: randomUUID(), contactId: randomUUID(), source: 'web' },
    ts: Date.now(),
  };
  const body = canonicalJson({
    event,
    events: [event],
    steps,
    ctx: {
      run_id: 'run-1',
      attempt: 0,
      disable_immediate_execution: false,
      use_api: false,
      stack: { stack: Object.keys(steps), current: Object.keys(steps).length },
    },
    version: 2,
  });
  const response = await fetch(`${url}?fnId=quotahit-lead-intake&stepId=step`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-inngest-signature': sign(body, key) },
    body,
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

describe('/api/inngest', () => {
  it('runs the first step and reports it as a StepRun operation', async () => {
    const res = await execute({});
    expect(res.status).toBe(206);
    expect(res.body).toEqual([
      expect.objectContaining({
        op: 'StepRun',
        id: stepHash('enrich'),
        name: 'enrich',
        data: { sources: ['offline'] },
      }),
    ]);
    expect(calls).toEqual(['enrich']);
  });

  it('replays recorded steps and runs the next one', async () => {
    calls.length = 0;
    const res = await execute({ [stepHash('enrich')]: { type: 'data', data: { sources: ['offline'] } } });
    expect(res.status).toBe(206);
    expect(res.body).toEqual([
      expect.objectContaining({ op: 'StepRun', id: stepHash('score'), data: { score: 57 } }),
    ]);
    expect(calls).toEqual(['score']);
  });

  it('returns the function result once every step is recorded', async () => {
    calls.length = 0;
    const res = await execute({
      [stepHash('enrich')]: { type: 'data', data: { sources: ['offline'] } },
      [stepHash('score')]: { type: 'data', data: { score: 57 } },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ score: 57 });
    expect(calls).toEqual([]);
  });

  it('refuses a request signed with another key', async () => {
    const res = await execute({}, `signkey-test-${'cd'.repeat(32)}`);
    expect(res.status).toBe(401);
  });
});
