import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../server/db/database.ts';
import { createTestDatabase } from '../tests/support/test-database.ts';
import { startTestServer, type TestServer } from '../tests/support/test-server.ts';
import { leadPipeline } from './functions/lead-pipeline.ts';
import { createWorkflowEngine, type WorkflowEngine } from './workflow-engine.ts';

/**
 * `PUT /api/inngest` (a sync) is unauthenticated, and the SDK registers the endpoint with Inngest
 * in answer to it. Embedded, it must not call anyone; with Inngest, the URL it registers must be
 * PUBLIC_URL's, never one built from the request's Host header.
 */
interface Recorded {
  method: string;
  path: string;
  body: Record<string, unknown>;
}
const recorded: Recorded[] = [];
let inngestApi: Server;
let inngestApiUrl: string;
let db: Database;
const started: { engine: WorkflowEngine; server: TestServer }[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  // Stands in for Inngest's API: records every call and accepts a registration.
  inngestApi = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      recorded.push({ method: req.method!, path: req.url!, body: body ? JSON.parse(body) : {} });
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: true, modified: true }));
    });
  });
  await new Promise<void>((resolve) => inngestApi.listen(0, '127.0.0.1', resolve));
  inngestApiUrl = `http://127.0.0.1:${(inngestApi.address() as AddressInfo).port}`;
});
afterEach(() => {
  recorded.length = 0;
});
afterAll(async () => {
  for (const { engine, server } of started) {
    await engine.stop();
    await server.close();
  }
  await new Promise((resolve) => inngestApi.close(resolve));
  await db.close();
});

async function serveWorkflows(
  settings: Record<string, string>,
): Promise<{ mode: string; server: TestServer }> {
  const engine = createWorkflowEngine({
    db,
    functions: leadPipeline({
      enrich: async () => ({ sources: [] }),
      score: async () => ({ score: 0 }),
      qualificationThreshold: async () => 40,
      startQualification: async () => ({ started: true }),
      route: async () => ({ mode: 'C' }),
      followThrough: async () => ({}),
      assignQueuedLeads: async () => ({}),
    }),
    settings: { INNGEST_BASE_URL: inngestApiUrl, ...settings },
    log: { error: () => {}, warn: () => {} },
    sdkLogger: { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} },
    publicUrl: 'https://sales.example.com',
  });
  const server = await startTestServer(db, { workflows: engine });
  started.push({ engine, server });
  return { mode: engine.mode, server };
}

/** fetch will not send another Host than the one it connects to; node:http will. */
function put(server: TestServer, host: string): Promise<{ status: number; type: string; body: string }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'PUT', path: '/api/inngest', headers: { host } },
      (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('PUT /api/inngest', () => {
  it('embedded, answers without calling out, whatever the Host header says', async () => {
    const { mode, server } = await serveWorkflows({});
    expect(mode).toBe('embedded');
    const res = await put(server, 'evil.example');
    expect(res.status).toBe(405);
    expect(res.type).toContain('application/problem+json');
    expect(JSON.parse(res.body)).toMatchObject({ status: 405, detail: expect.stringMatching(/embedded/) });
    // Give a registration that was sent anyway the time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(recorded).toEqual([]);
  });

  it('with Inngest, registers the endpoint at PUBLIC_URL, not at the Host the request names', async () => {
    const { mode, server } = await serveWorkflows({
      INNGEST_SIGNING_KEY: `signkey-test-${'ab'.repeat(32)}`,
      INNGEST_EVENT_KEY: 'test-event-key',
    });
    expect(mode).toBe('inngest');
    const res = await put(server, 'evil.example');
    expect(res.status).toBe(200);
    const registrations = recorded.filter((call) => call.path.startsWith('/fn/register'));
    expect(registrations).toHaveLength(1);
    expect(registrations[0]!.body.url).toBe('https://sales.example.com/api/inngest');
    // Every function's step URL points there too.
    const functions = registrations[0]!.body.functions as {
      steps: Record<string, { runtime: { url: string } }>;
    }[];
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      for (const step of Object.values(fn.steps)) {
        expect(step.runtime.url).toMatch(/^https:\/\/sales\.example\.com\/api\/inngest\?/);
      }
    }
    expect(JSON.stringify(recorded)).not.toContain('evil.example');
  });
});
