import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EnrichmentProviderError, type EnrichmentSubject } from './enrichment-provider.ts';
import { createPerplexityProvider } from './perplexity-provider.ts';

/**
 * A loopback server speaking Perplexity's chat completions format. Each test sets what it
 * answers; the server records what it was asked.
 */
let server: Server;
let baseUrl: string;
let answer: (request: { body: Record<string, unknown> }) => { status: number; body: string };
const requests: { path: string; headers: IncomingMessage['headers']; body: Record<string, unknown> }[] = [];

const completion = (content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: 'cmpl-1',
    model: 'sonar',
    object: 'chat.completion',
    created: 1_764_000_000,
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
    usage: { prompt_tokens: 50, completion_tokens: 80, total_tokens: 130 },
    ...extra,
  });

beforeAll(async () => {
  server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw) as Record<string, unknown>;
    requests.push({ path: req.url ?? '', headers: req.headers, body });
    const { status, body: out } = answer({ body });
    res.writeHead(status, { 'content-type': 'application/json' }).end(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  requests.length = 0;
});

const subject: EnrichmentSubject = {
  email: 'pat@acme.com',
  phone: null,
  firstName: 'Pat',
  lastName: 'Lee',
  title: 'VP Sales',
  company: 'Acme Inc',
  website: null,
  country: null,
};

const goodAnswer = {
  companyName: 'Acme Inc',
  domain: 'acme.com',
  industry: 'Computer Software',
  employeeCount: 240,
  annualRevenueUsd: 32_000_000,
  headcountGrowthPct: 18.5,
  lastFundingDate: '2026-03-02',
  fundingStage: 'Series B',
  techStack: ['Salesforce', 'Slack', 'Salesforce'],
  headquartersCountry: 'US',
};

const provider = () => createPerplexityProvider({ apiKey: 'pplx-test-key', baseUrl });

describe('Perplexity provider', () => {
  it('asks the chat completions API for a JSON-schema answer and maps it to sourced fields', async () => {
    answer = () => ({
      status: 200,
      body: completion(JSON.stringify(goodAnswer), {
        citations: ['https://acme.com/about'],
        search_results: [{ title: 'Acme raises B', url: 'https://news.example/acme' }],
      }),
    });
    const result = await provider().enrich(subject);

    expect(requests).toHaveLength(1);
    const request = requests[0]!;
    expect(request.path).toBe('/chat/completions');
    expect(request.headers.authorization).toBe('Bearer pplx-test-key');
    expect(request.body.model).toBe('sonar');
    const format = request.body.response_format as {
      type: string;
      json_schema: { schema: { properties: object } };
    };
    expect(format.type).toBe('json_schema');
    expect(Object.keys(format.json_schema.schema.properties)).toContain('employeeCount');
    expect(JSON.stringify(request.body.messages)).toContain('Company name: Acme Inc');
    expect(JSON.stringify(request.body.messages)).toContain('Web domain: acme.com');
    // Company research only: the prospect's own name and email are not sent.
    expect(JSON.stringify(request.body)).not.toContain('pat@acme.com');
    expect(JSON.stringify(request.body)).not.toContain('Lee');

    const source = 'perplexity';
    const basis = 'web research';
    expect(result.fields).toEqual({
      companyName: { value: 'Acme Inc', source, basis },
      companyDomain: { value: 'acme.com', source, basis },
      industry: { value: 'Computer Software', source, basis },
      companySize: { value: 240, source, basis },
      annualRevenueCents: { value: 3_200_000_000, source, basis },
      headcountGrowthPct: { value: 18.5, source, basis },
      lastFundingAt: { value: '2026-03-02', source, basis },
      fundingStage: { value: 'Series B', source, basis },
      techStack: { value: ['Salesforce', 'Slack'], source, basis },
      companyCountry: { value: 'US', source, basis },
    });
    expect(result.citations).toEqual(['https://acme.com/about', 'https://news.example/acme']);
  });

  it('keeps only what the model found: nulls, partial dates and fenced JSON', async () => {
    const partial = {
      ...Object.fromEntries(Object.keys(goodAnswer).map((key) => [key, null])),
      industry: 'Logistics',
      lastFundingDate: '2024-05',
      headquartersCountry: 'Germany',
    };
    answer = () => ({
      status: 200,
      body: completion(`<think>searching</think>\n\`\`\`json\n${JSON.stringify(partial)}\n\`\`\``),
    });
    const result = await provider().enrich(subject);
    expect(result.fields).toEqual({
      industry: { value: 'Logistics', source: 'perplexity', basis: 'web research' },
      companyCountry: { value: 'DE', source: 'perplexity', basis: 'web research' },
    });
  });

  it('fails clearly on a 5xx answer', async () => {
    answer = () => ({ status: 500, body: JSON.stringify({ error: { message: 'internal error' } }) });
    const error = await provider()
      .enrich(subject)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnrichmentProviderError);
    expect((error as Error).message).toBe('answered HTTP 500');
  });

  it('fails clearly on malformed answers', async () => {
    answer = () => ({ status: 200, body: completion('Acme is a software company with about 240 people.') });
    await expect(provider().enrich(subject)).rejects.toThrow('answered with malformed JSON');

    answer = () => ({
      status: 200,
      body: completion(JSON.stringify({ ...goodAnswer, employeeCount: 'about 240' })),
    });
    await expect(provider().enrich(subject)).rejects.toThrow(
      /answer does not match the schema: .*employeeCount/,
    );

    answer = () => ({ status: 200, body: JSON.stringify({ choices: [] }) });
    await expect(provider().enrich(subject)).rejects.toThrow('answered in an unexpected shape');

    answer = () => ({ status: 200, body: '<html>gateway</html>' });
    await expect(provider().enrich(subject)).rejects.toThrow('answered with a body that is not JSON');
  });

  it('fails clearly when the server is unreachable or too slow', async () => {
    const unreachable = createPerplexityProvider({ apiKey: 'k', baseUrl: 'http://127.0.0.1:1' });
    await expect(unreachable.enrich(subject)).rejects.toThrow(/^request failed/);
    answer = () => ({ status: 200, body: completion(JSON.stringify(goodAnswer)) });
    const slow = createPerplexityProvider({
      apiKey: 'k',
      baseUrl,
      timeoutMs: 50,
      fetch: (input, init) =>
        new Promise((resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
          setTimeout(() => resolve(fetch(input, init)), 5_000);
        }),
    });
    await expect(slow.enrich(subject)).rejects.toThrow(/^request failed/);
  });

  it('does not search when there is no company to look up', async () => {
    const result = await provider().enrich({ ...subject, email: 'pat@gmail.com', company: null });
    expect(result.fields).toEqual({});
    expect(requests).toHaveLength(0);
  });
});
