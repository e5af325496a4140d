import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../core/actor.ts';
import type { AuditView } from '../core/audit.ts';
import type { ConsentRecord, CurrentConsent } from '../core/compliance/consent.ts';
import type { OutboundDecision } from '../core/compliance/outbound-gate.ts';
import type { QualifierAnswer } from '../core/conversations/conversation-service.ts';
import type { ConversationView, MessageView } from '../core/conversations.ts';
import type { Lead } from '../core/leads.ts';
import { upsertLead } from '../core/leads.ts';
import { createOrganization } from '../core/organizations.ts';
import type { RouteResult } from '../core/routing/route-lead.ts';
import type { ScoreLeadResult } from '../core/scoring/score-lead.ts';
import type { Database } from '../server/db/database.ts';
import { repoRoot, runCli } from '../tests/support/server-process.ts';
import { createTestDatabase } from '../tests/support/test-database.ts';
import { startTestServer, type TestServer } from '../tests/support/test-server.ts';
import { buildServer } from './mcp-server.ts';

/** The MCP server against the real HTTP app and database, through a real MCP client. */
let db: Database;
let server: TestServer;
let apiKey: string;
let client: Client;
let otherOrgLeadId: string;

async function connect(key: string): Promise<Client> {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const mcp = new Client({ name: 'mcp-server-test', version: '1.0.0' });
  await Promise.all([
    buildServer({ apiUrl: server.url, apiKey: key }).connect(serverTransport),
    mcp.connect(clientTransport),
  ]);
  return mcp;
}

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  ({ apiKey } = await createOrganization(db, { name: 'Acme' }, systemActor));
  const other = await createOrganization(db, { name: 'Globex' }, systemActor);
  otherOrgLeadId = (await upsertLead(db, other.orgId, { email: 'hank@globex.example' }, systemActor)).lead.id;
  client = await connect(apiKey);
});
afterAll(async () => {
  await client?.close();
  await server.close();
  await db.close();
});

/** One tool call: its text, and its structured content typed as the API answer it carries. */
async function call<Data = Record<string, unknown>>(
  name: string,
  args: Record<string, unknown> = {},
  via = client,
) {
  const result = (await via.callTool({ name, arguments: args })) as CallToolResult;
  const text = result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
  return { isError: result.isError, text, data: result.structuredContent as Data };
}
type Items<T> = { items: T[] };

describe('the QuotaHit MCP server', () => {
  let leadId: string;

  it('lists the pipeline tools, each described with an input schema', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'check_compliance',
      'create_lead',
      'find_leads',
      'get_audit_trail',
      'get_consent',
      'get_conversation_messages',
      'get_lead',
      'list_conversations',
      'list_workflow_runs',
      'pipeline_summary',
      'qualify_lead',
      'record_consent',
      'revoke_consent',
      'route_lead',
      'run_follow_ups',
      'score_lead',
    ]);
    for (const tool of tools) {
      expect(tool.description, tool.name).toBeTruthy();
      expect(tool.inputSchema.type).toBe('object');
    }
    const getLead = tools.find((tool) => tool.name === 'get_lead')!;
    expect(getLead.inputSchema.required).toEqual(['contactId']);
    expect(getLead.annotations?.readOnlyHint).toBe(true);
  });

  it('creates a lead, scores it and shows it with its score', async () => {
    const created = await call<Lead>('create_lead', {
      email: 'vp@initech.example',
      firstName: 'Peter',
      title: 'VP Sales',
      company: 'Initech',
      companySize: 120,
      industry: 'Software',
      country: 'US',
    });
    expect(created.isError).toBeFalsy();
    expect(created.text).toContain('Created a new lead.');
    leadId = created.data.id;
    expect(leadId).toMatch(/^[0-9a-f-]{36}$/);

    const again = await call<Lead>('create_lead', { email: 'VP@initech.example', lastName: 'Gibbons' });
    expect(again.text).toContain('already existed');
    expect(again.data).toMatchObject({ id: leadId, lastName: 'Gibbons' });

    const scored = await call<ScoreLeadResult>('score_lead', { contactId: leadId });
    expect(scored.data.score).toBe(55);
    expect(scored.text).toContain(`Lead ${leadId} scores 55/100`);
    expect(scored.text).toContain('companySize: 15/15 (120 employees is in the 51–500 band)');

    const lead = await call<Lead>('get_lead', { contactId: leadId });
    expect(lead.data).toMatchObject({ id: leadId, leadScore: 55, status: 'scored' });
    expect(lead.text).toContain('Peter Gibbons <vp@initech.example>, VP Sales at Initech');
    expect(lead.text).toContain('Lead score: 55/100');

    const found = await call<Items<Lead>>('find_leads', { email: 'vp@initech.example' });
    expect(found.data.items).toEqual([expect.objectContaining({ id: leadId })]);
    expect(found.text).toContain(`id ${leadId}`);
  });

  it('talks to the qualifier and shows the conversation', async () => {
    const turn = await call<QualifierAnswer>('qualify_lead', {
      contactId: leadId,
      message: 'We have around $40k a year for this.',
    });
    expect(turn.isError).toBeFalsy();
    expect(turn.data.bant).toMatchObject({ budget: { amountCents: 4_000_000, period: 'year' } });
    expect(turn.data.reply).toEqual(expect.any(String));
    expect(turn.text).toContain(`Qualifier reply: ${turn.data.reply}`);
    expect(turn.text).toContain('Outcome: still qualifying');

    const conversations = await call<Items<ConversationView>>('list_conversations', { contactId: leadId });
    expect(conversations.data.items).toEqual([
      expect.objectContaining({ id: turn.data.conversationId, channel: 'web', mode: 'ai' }),
    ]);
    const messages = await call<Items<MessageView>>('get_conversation_messages', {
      conversationId: turn.data.conversationId,
    });
    expect(messages.data.items[0]).toMatchObject({
      direction: 'inbound',
      body: 'We have around $40k a year for this.',
    });
    expect(messages.text).toContain('prospect (inbound, web');
  });

  it('checks compliance, records and revokes consent, and shows the audit trail', async () => {
    const refused = await call<OutboundDecision>('check_compliance', {
      contactId: leadId,
      channel: 'email',
      purpose: 'marketing',
    });
    expect(refused.data).toMatchObject({ allowed: false, reasons: ['no_consent'] });
    expect(refused.text).toContain('Refused: no_consent.');

    const recorded = await call<ConsentRecord>('record_consent', {
      contactId: leadId,
      type: 'email_marketing',
      method: 'web_form',
      evidence: { wording: 'Yes, email me product news.', pageUrl: 'https://initech.example/signup' },
    });
    expect(recorded.data).toMatchObject({ type: 'email_marketing', action: 'given' });
    const allowed = await call<OutboundDecision>('check_compliance', {
      contactId: leadId,
      channel: 'email',
      purpose: 'marketing',
    });
    expect(allowed.data.allowed).toBe(true);
    expect(allowed.text).toContain('Allowed.');

    const revoked = await call<{ revoked: string[] }>('revoke_consent', { contactId: leadId, type: 'all' });
    expect(revoked.data.revoked).toContain('email_marketing');
    const consent = await call<{ consent: CurrentConsent }>('get_consent', { contactId: leadId });
    expect(consent.data.consent.email_marketing.status).toBe('revoked');
    const after = await call<OutboundDecision>('check_compliance', {
      contactId: leadId,
      channel: 'email',
      purpose: 'marketing',
    });
    expect(after.data.allowed).toBe(false);

    const audit = await call<Items<AuditView>>('get_audit_trail', { contactId: leadId });
    const actions = audit.data.items.map((entry) => entry.action);
    expect(actions).toEqual(expect.arrayContaining(['lead.created', 'consent.given', 'consent.revoked']));
  });

  it('routes the lead and sums up the pipeline', async () => {
    const routed = await call<RouteResult>('route_lead', { contactId: leadId });
    expect(routed.isError).toBeFalsy();
    expect(['A', 'B', 'C']).toContain(routed.data.mode);
    expect(routed.text).toContain(`Lead ${leadId} routed to mode ${routed.data.mode}`);

    const summary = await call('pipeline_summary');
    expect(summary.data).toMatchObject({
      leads: 1,
      scored: 1,
      averageScore: 55,
      byRoute: { [routed.data.mode]: 1 },
    });
    expect(summary.text).toContain('1 lead in the pipeline:');

    const runs = await call<Items<unknown>>('list_workflow_runs', { contactId: leadId, status: ['failed'] });
    expect(runs.isError).toBeFalsy();
    expect(runs.data.items).toEqual([]);
  });

  it('sees only the organization its API key names', async () => {
    const lead = await call('get_lead', { contactId: otherOrgLeadId });
    expect(lead.isError).toBe(true);
    expect(lead.text).toBe('Not Found (404): lead not found');
    const turn = await call('qualify_lead', { contactId: otherOrgLeadId, message: 'Hello' });
    expect(turn.isError).toBe(true);
    expect(turn.text).toMatch(/not found/);
    const check = await call('check_compliance', {
      contactId: otherOrgLeadId,
      channel: 'email',
      purpose: 'marketing',
    });
    expect(check.isError).toBe(true);
    expect(check.text).toMatch(/not found/);
    const found = await call('find_leads', { email: 'hank@globex.example' });
    expect(found.text).toBe('No leads found.');
  });

  it('answers bad arguments and refusals with a clear tool error', async () => {
    const badId = await call('get_lead', { contactId: 'lead-42' });
    expect(badId.isError).toBe(true);
    expect(badId.text).toContain('Invalid arguments for tool get_lead');
    expect(badId.text).toContain('contactId must be a UUID');

    const badChannel = await call('check_compliance', {
      contactId: leadId,
      channel: 'fax',
      purpose: 'marketing',
    });
    expect(badChannel.isError).toBe(true);
    expect(badChannel.text).toContain('channel');

    const noWording = await call('record_consent', {
      contactId: leadId,
      type: 'sms_marketing',
      method: 'web_form',
      evidence: {},
    });
    expect(noWording.isError).toBe(true);
    expect(noWording.text).toContain('evidence.wording is required');

    // The API's own validation comes back as the problem's detail.
    const noAddress = await call('create_lead', { firstName: 'Nobody' });
    expect(noAddress.isError).toBe(true);
    expect(noAddress.text).toContain('Bad Request (400)');
    expect(noAddress.text).toContain('a lead needs an email or a phone number');

    const wrongKey = await connect('qh_not-a-real-key');
    try {
      const denied = await call('find_leads', {}, wrongKey);
      expect(denied.isError).toBe(true);
      expect(denied.text).toBe('Unauthorized (401): the API key is not valid');
    } finally {
      await wrongKey.close();
    }
  });
});

describe('npx quotahit mcp', () => {
  it('serves the same tools on stdio through the CLI', async () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['bin/quotahit.js', 'mcp'],
      cwd: repoRoot,
      env: { ...env, QUOTAHIT_URL: server.url, QUOTAHIT_API_KEY: apiKey },
      stderr: 'pipe',
    });
    const stdio = new Client({ name: 'mcp-stdio-test', version: '1.0.0' });
    await stdio.connect(transport);
    try {
      expect((await stdio.listTools()).tools.map((tool) => tool.name)).toContain('qualify_lead');
      const found = await call<Items<Lead>>('find_leads', { email: 'vp@initech.example' }, stdio);
      expect(found.data.items).toHaveLength(1);
    } finally {
      await stdio.close();
    }
  });

  it('stops with exit code 2 and a clear message without an API key', async () => {
    const run = await runCli(['mcp'], { QUOTAHIT_API_KEY: '' });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('QUOTAHIT_API_KEY is required');
  });
});
