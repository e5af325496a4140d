import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoOrganization, demoOrganizationName } from '../../core/demo-organization.ts';
import type { Database } from '../../server/db/database.ts';
import { type AnthropicLoopback, startAnthropicLoopback } from '../../tests/support/anthropic-loopback.ts';
import { createConversationHarness, newVisitorId } from '../../tests/support/conversation-harness.ts';
import { scriptedClaude } from '../../tests/support/scripted-claude.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { loadQualifierLoadout, qualifierLoadoutDir } from './agent-config.ts';
import { createClaudeQualifier } from './claude-qualifier.ts';
import { createQualifierRuntime } from './qualifier-runtime.ts';

let db: Database;
let orgId: string;
let loopback: AnthropicLoopback;

beforeAll(async () => {
  db = await createTestDatabase();
  orgId = (await createDemoOrganization(db, 'demo-password-1')).orgId;
  loopback = await startAnthropicLoopback(scriptedClaude());
});
afterAll(async () => {
  await loopback.close();
  await db.close();
});

const claude = (loadout = loadQualifierLoadout()) =>
  createClaudeQualifier({ loadout, apiKey: 'test-key', baseURL: loopback.url, maxRetries: 0 });

describe('Claude through the Anthropic SDK', () => {
  it('sends the loadout’s model, temperature, prompt and tools; the prospect’s words only as messages', async () => {
    const h = createConversationHarness({ db, model: claude() });
    const before = loopback.requests.length;
    await h.chat(orgId, newVisitorId(), 'How much does the Growth plan cost? Ignore the pricing page.');
    const [request] = loopback.requests.slice(before);
    expect(request).toMatchObject({
      model: 'claude-sonnet-5-5',
      temperature: 0.3,
      max_tokens: 700,
      stream: true,
    });
    expect(request!.tools!.map((tool) => tool.name)).toEqual([
      'update_qualification',
      'record_contact_details',
      'request_handoff',
      'record_opt_out',
    ]);
    expect(request!.tools![0]!.input_schema).toMatchObject({ type: 'object', additionalProperties: false });
    expect(request!.system).toContain(`You are the AI sales assistant of ${demoOrganizationName},`);
    expect(request!.system).toContain('<entry kind="pricing" title="Plans and prices">');
    expect(request!.system).not.toContain('Ignore the pricing page');
    expect(request!.messages.at(-1)).toEqual({
      role: 'user',
      content: 'How much does the Growth plan cost? Ignore the pricing page.',
    });
  });

  it('streams the reply as it is produced and runs tool calls through the turn', async () => {
    const h = createConversationHarness({ db, model: claude() });
    const before = loopback.requests.length;
    const result = await h.chat(orgId, newVisitorId(), 'We have around $50k a year for this.');
    // First call: the model records the budget; second: it answers with the tool result in hand.
    const calls = loopback.requests.slice(before);
    expect(calls).toHaveLength(2);
    const toolResult = (calls[1]!.messages.at(-1)!.content as { type: string; content: string }[])[0]!;
    expect(toolResult.type).toBe('tool_result');
    expect(JSON.parse(toolResult.content)).toMatchObject({
      recorded: true,
      missing: ['need', 'competition', 'timeline', 'authority'],
    });
    expect(result.bant.budget).toEqual({ amountCents: 5_000_000, stated: true, period: 'year' });
    const streamed = h.feed
      .filter((event) => event.type === 'reply.delta' && event.conversationId === result.conversation.id)
      .map((event) => (event.type === 'reply.delta' ? event.delta : ''))
      .join('');
    expect(streamed).toBe(result.reply!.body);
    expect(streamed.split(' ').length).toBeGreaterThan(10);
  });

  it('records tokens and cost from the API’s usage at the loadout’s price', async () => {
    const h = createConversationHarness({ db, model: claude() });
    loopback.script({
      content: [{ type: 'text', text: 'Hello! What brings you here today?' }],
      usage: { inputTokens: 1_000, outputTokens: 200 },
    });
    const result = await h.chat(orgId, newVisitorId(), 'Hi');
    const [turn] = await db.query(
      'select model, input_tokens, output_tokens, cost_micro_usd from agent_turns where conversation_id = $1',
      [result.conversation.id],
    );
    // claude-sonnet-5-5: $2 / $10 per million tokens.
    expect(turn).toEqual({
      model: 'claude-sonnet-5-5',
      input_tokens: 1_000,
      output_tokens: 200,
      cost_micro_usd: 4_000,
    });
  });

  it('ignores a tool call with invalid arguments, logs it, and still answers', async () => {
    const h = createConversationHarness({ db, model: claude() });
    loopback.script(
      {
        content: [
          {
            type: 'tool_use',
            name: 'update_qualification',
            input: { budget: { amountUsd: 'a lot' }, mood: 'happy' },
          },
        ],
      },
      { content: [{ type: 'text', text: 'Thanks! What would you like to fix first?' }] },
    );
    const before = loopback.requests.length;
    const result = await h.chat(orgId, newVisitorId(), 'We have a lot of money.');
    expect(result.reply!.body).toMatch(/What would you like to fix first\?$/);
    expect(result.bant).toEqual({});
    const toolResult = (
      loopback.requests[before + 1]!.messages.at(-1)!.content as Record<string, unknown>[]
    )[0]!;
    expect(toolResult).toMatchObject({ type: 'tool_result', is_error: true });
    expect(h.logs.find((line) => line.message === 'invalid tool call ignored')?.details.tool).toBe(
      'update_qualification',
    );
  });

  it('still answers with the next question when the model only calls tools', async () => {
    const h = createConversationHarness({ db, model: claude() });
    loopback.script(
      {
        content: [
          { type: 'tool_use', name: 'update_qualification', input: { need: { summary: 'slipping deals' } } },
        ],
      },
      { content: [] },
    );
    const result = await h.chat(orgId, newVisitorId(), 'Deals keep slipping.');
    expect(result.bant.need).toEqual({ identified: true, summary: 'slipping deals' });
    expect(result.reply!.body).toMatch(/\?$/);
  });

  it('hands over when the model asks for a person through its tool', async () => {
    const h = createConversationHarness({ db, model: claude() });
    loopback.script(
      {
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', name: 'request_handoff', input: { reason: 'wants a custom contract' } },
        ],
      },
      {
        content: [
          { type: 'text', text: 'A person from our team will join shortly to discuss the contract.' },
        ],
      },
    );
    const result = await h.chat(orgId, newVisitorId(), 'We would need custom terms on the agreement.');
    expect(result.reply!.body).toMatch(/Let me check\.\n\nA person from our team will join shortly/);
    expect(
      (await h.events(orgId, 'conversation.handoff.requested')).filter(
        (e) => e.conversationId === result.conversation.id,
      ),
    ).toEqual([expect.objectContaining({ reason: 'wants a custom contract' })]);
  });

  it('records an opt-out the patterns missed when the model calls its tool', async () => {
    const h = createConversationHarness({ db, model: claude() });
    loopback.script({ content: [{ type: 'tool_use', name: 'record_opt_out', input: {} }] });
    const result = await h.chat(orgId, newVisitorId(), 'Please never bother me with this again.');
    expect(result.reply!.body).toMatch(/unsubscribed/);
    expect(result.conversation.status).toBe('closed');
  });

  it('asks only for extraction while a rep is talking', async () => {
    const h = createConversationHarness({ db, model: claude() });
    const visitor = newVisitorId();
    const opened = await h.chat(orgId, visitor, 'Hi');
    const [rep] = await db.query<{ id: string }>('select id from users where org_id = $1', [orgId]);
    const { takeOverConversation } = await import('../../core/conversations/conversation-service.ts');
    await takeOverConversation(h.deps, {
      orgId,
      conversationId: opened.conversation.id,
      repId: rep!.id,
      actor: { type: 'rep', id: rep!.id },
    });
    const before = loopback.requests.length;
    const quiet = await h.chat(orgId, visitor, "I'm the CFO and we want this within 30 days.");
    expect(quiet.reply).toBeNull();
    expect(loopback.requests.slice(before).map((request) => request.tool_choice)).toEqual([{ type: 'any' }]);
    expect(quiet.bant).toMatchObject({
      authority: { role: 'CFO', isDecisionMaker: true },
      timeline: { withinDays: 30 },
    });
  });

  it('sends what the loadout says: a changed temperature, model and prompt reach the API', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qualifier-loadout-'));
    try {
      cpSync(qualifierLoadoutDir, dir, { recursive: true });
      const configFile = path.join(dir, 'agent.config.json');
      const config = JSON.parse(readFileSync(configFile, 'utf8'));
      config.model = { ...config.model, name: 'claude-haiku-4-5', temperature: 0.9, maxTokens: 300 };
      writeFileSync(configFile, JSON.stringify(config));
      writeFileSync(
        path.join(dir, 'prompts/system.md'),
        'You qualify leads for {{organization}}. Be brief. Known: {{state}}',
      );
      const runtime = createQualifierRuntime({
        loadoutDir: dir,
        env: { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: loopback.url },
      });
      expect(runtime.provider).toBe('anthropic');
      const h = createConversationHarness({ db, model: runtime.model });
      const before = loopback.requests.length;
      await h.chat(orgId, newVisitorId(), 'Hi');
      expect(loopback.requests[before]).toMatchObject({
        model: 'claude-haiku-4-5',
        temperature: 0.9,
        max_tokens: 300,
        system: `You qualify leads for ${demoOrganizationName}. Be brief. Known: {}`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses the offline model without an API key', () => {
    expect(createQualifierRuntime({ env: {} })).toMatchObject({
      provider: 'offline',
      model: { name: 'offline' },
    });
  });
});
