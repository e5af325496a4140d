import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type ServerProcess, startServerProcess } from './support/server-process.ts';

/** The product as a new user runs it: `npm start` on the embedded database, the CLI beside it. */
let dataDir: string;
let server: ServerProcess;
const bearer = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'qh-process-'));
  server = await startServerProcess({ DATA_DIR: dataDir });
}, 180_000);

afterAll(async () => {
  if (server.child.exitCode === null) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
});

describe('npm start on a fresh data directory', () => {
  let demoOrgId: string;
  let acmeKey: string;

  it('answers /health and prints the demo credentials', async () => {
    const res = await fetch(`${server.url}/health`);
    expect(await res.json()).toEqual({ status: 'ok' });
    demoOrgId = /Demo organization: (\S+)/.exec(server.output())![1]!;
    expect(server.output()).toMatch(/API key \(secret\): +qh_/);
    expect(server.output()).toMatch(/Rep sign-in: +dana@brightwave\.example \/ \S+/);
    expect(server.output()).toMatch(/email \(Resend\) +recorded-only/);
  });

  it('lets the CLI create an organization through the running server', async () => {
    const created = await runCli(['org', 'create', '--name', 'Acme'], { DATA_DIR: dataDir });
    expect(created.stderr).toBe('');
    const org = JSON.parse(created.stdout);
    expect(Object.keys(org).sort()).toEqual(['apiKey', 'orgId', 'widgetKey']);
    acmeKey = org.apiKey;
    const rep = await runCli(
      [
        'rep',
        'create',
        '--org',
        org.orgId,
        '--email',
        'ann@acme.example',
        '--password',
        'pw-long-enough',
        '--territory',
        'US-West',
        '--expertise',
        'saas,fintech',
        '--capacity',
        '5',
      ],
      { DATA_DIR: dataDir },
    );
    expect(JSON.parse(rep.stdout)).toHaveProperty('repId');
    const lead = await fetch(`${server.url}/api/leads`, {
      method: 'POST',
      headers: bearer(acmeKey),
      body: JSON.stringify({ email: 'buyer@example.com' }),
    });
    expect(lead.status).toBe(201);
  });

  it('explains CLI mistakes', async () => {
    const usage = await runCli(['org', 'create'], { DATA_DIR: dataDir });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('org create needs --name NAME');
    const bad = await runCli(['rep', 'create', '--org', 'nope', '--email', 'x', '--password', 'y'], {
      DATA_DIR: dataDir,
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/orgId must be a UUID/);
  });

  it('stops cleanly on SIGTERM and keeps everything on the next start', async () => {
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(await readdir(dataDir)).not.toContain('server.json');

    // With no server running the CLI opens the database itself.
    const offline = await runCli(['org', 'create', '--name', 'Initech'], { DATA_DIR: dataDir });
    expect(JSON.parse(offline.stdout)).toHaveProperty('orgId');

    server = await startServerProcess({ DATA_DIR: dataDir });
    expect(/Demo organization: (\S+)/.exec(server.output())![1]).toBe(demoOrgId);
    const found = await fetch(`${server.url}/api/leads?email=buyer@example.com`, {
      headers: bearer(acmeKey),
    });
    expect(((await found.json()) as { items: unknown[] }).items).toHaveLength(1);
  }, 180_000);

  it('refuses a second server on the same data directory', async () => {
    const second = startServerProcess({ DATA_DIR: dataDir });
    await expect(second).rejects.toThrow(/DATA_DIR .* is in use by process/);
  });
});

describe('bad configuration', () => {
  it('stops start-up with a message naming the variable', async () => {
    const started = startServerProcess({ PORT: 'eighty', DATA_DIR: dataDir });
    await expect(started).rejects.toThrow(/PORT: must be a port number \(got "eighty"\)/);
  });
});
