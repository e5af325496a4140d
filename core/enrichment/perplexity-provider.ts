import { z } from 'zod';
import { countryCode } from '../scoring/geography.ts';
import {
  type EnrichedFields,
  type EnrichmentProvider,
  EnrichmentProviderError,
  type EnrichmentSubject,
} from './enrichment-provider.ts';
import { companyDomainOf, websiteDomain } from './offline-provider.ts';

/**
 * Company research through Perplexity's OpenAI-compatible chat completions API, asking for an
 * answer in a JSON schema. The model is told to answer null rather than guess; the answer is
 * validated before any of it is used. Only company facts are asked for, never personal data.
 */
export interface PerplexityProviderOptions {
  apiKey: string;
  /** Defaults to https://api.perplexity.ai (PERPLEXITY_BASE_URL points tests elsewhere). */
  baseUrl?: string;
  model?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The answer the model must give; also the JSON schema sent with the request. */
export const perplexityAnswerSchema = z.object({
  companyName: z.string().nullish().describe('the company’s name'),
  domain: z.string().nullish().describe('the company’s main web domain, e.g. acme.com'),
  industry: z
    .string()
    .nullish()
    .describe('the company’s industry in two or three words, e.g. "Computer Software"'),
  employeeCount: z.number().int().min(0).nullish().describe('current number of employees'),
  annualRevenueUsd: z.number().min(0).nullish().describe('annual revenue in US dollars'),
  headcountGrowthPct: z.number().nullish().describe('headcount change over the last 12 months, in percent'),
  lastFundingDate: z.string().nullish().describe('date of the most recent funding round, YYYY-MM-DD'),
  fundingStage: z.string().nullish().describe('stage of the most recent funding round, e.g. "Series B"'),
  techStack: z
    .array(z.string())
    .nullish()
    .describe('software products the company is known to use, e.g. Salesforce, HubSpot, Slack'),
  headquartersCountry: z.string().nullish().describe('ISO 3166-1 alpha-2 code of the headquarters country'),
});
export type PerplexityAnswer = z.infer<typeof perplexityAnswerSchema>;

const answerJsonSchema = (() => {
  const { $schema: _, ...schema } = z.toJSONSchema(perplexityAnswerSchema) as Record<string, unknown>;
  return schema;
})();

const completionSchema = z.object({
  choices: z
    .array(z.object({ message: z.object({ content: z.string() }) }))
    .min(1, 'the answer has no choices'),
  citations: z.array(z.string()).optional(),
  search_results: z.array(z.object({ url: z.string() })).optional(),
});

const systemPrompt =
  'You research companies for a B2B sales team. Answer only with facts stated in sources you ' +
  'found. Use null for anything you cannot verify; never estimate or guess. Reply with JSON only.';

function question(company: string | null, domain: string | null): string {
  const lines = ['Research this company and fill in the JSON fields.'];
  if (company) lines.push(`Company name: ${company}`);
  if (domain) lines.push(`Web domain: ${domain}`);
  return lines.join('\n');
}

/** Reasoning models prefix <think>…</think>; some wrap JSON in a code fence. */
function jsonText(content: string): string {
  return content
    .replace(/<think>[\s\S]*?<\/think>/g, '')
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '')
    .trim();
}

export function fieldsFromAnswer(answer: PerplexityAnswer, source: string): EnrichedFields {
  const fields: EnrichedFields = {};
  const basis = 'web research';
  const text = (value: string | null | undefined, max: number) => {
    const trimmed = value?.trim();
    return trimmed ? trimmed.slice(0, max) : null;
  };
  const name = text(answer.companyName, 200);
  if (name) fields.companyName = { value: name, source, basis };
  const domain = websiteDomain(answer.domain);
  if (domain) fields.companyDomain = { value: domain, source, basis };
  const industry = text(answer.industry, 100);
  if (industry) fields.industry = { value: industry, source, basis };
  if (typeof answer.employeeCount === 'number')
    fields.companySize = { value: answer.employeeCount, source, basis };
  if (typeof answer.annualRevenueUsd === 'number' && answer.annualRevenueUsd * 100 <= Number.MAX_SAFE_INTEGER)
    fields.annualRevenueCents = { value: Math.round(answer.annualRevenueUsd * 100), source, basis };
  if (typeof answer.headcountGrowthPct === 'number' && answer.headcountGrowthPct >= -100)
    fields.headcountGrowthPct = { value: Math.min(answer.headcountGrowthPct, 10_000), source, basis };
  // Only a whole date: "2024" or "2024-05" would make the growth signal guess the day.
  const funding = answer.lastFundingDate?.trim();
  if (funding && /^\d{4}-\d{2}-\d{2}$/.test(funding) && !Number.isNaN(Date.parse(funding)))
    fields.lastFundingAt = { value: funding, source, basis };
  const stage = text(answer.fundingStage, 100);
  if (stage) fields.fundingStage = { value: stage, source, basis };
  const stack = [
    ...new Set((answer.techStack ?? []).map((tech) => tech.trim().slice(0, 100)).filter(Boolean)),
  ].slice(0, 50);
  if (stack.length > 0) fields.techStack = { value: stack, source, basis };
  const hq = answer.headquartersCountry?.trim();
  const hqCode = hq ? (/^[a-z]{2}$/i.test(hq) ? hq.toUpperCase() : countryCode(hq)) : null;
  if (hqCode) fields.companyCountry = { value: hqCode, source, basis };
  return fields;
}

export function createPerplexityProvider(options: PerplexityProviderOptions): EnrichmentProvider {
  const name = 'perplexity';
  const endpoint = `${(options.baseUrl ?? 'https://api.perplexity.ai').replace(/\/+$/, '')}/chat/completions`;
  const doFetch = options.fetch ?? fetch;
  const fail = (message: string) => new EnrichmentProviderError(name, message);

  return {
    name,
    async enrich(contact: EnrichmentSubject, { signal } = {}) {
      const company = contact.company?.trim() || null;
      const domain = companyDomainOf(contact)?.domain ?? null;
      // Without a company to look up, a search would only be about the person: skip it.
      if (!company && !domain) return { fields: {} };

      const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
      let response: Response;
      try {
        response = await doFetch(endpoint, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${options.apiKey}`,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          body: JSON.stringify({
            model: options.model ?? 'sonar',
            temperature: 0,
            messages: [
              { role: 'system', content: systemPrompt },
              { role: 'user', content: question(company, domain) },
            ],
            response_format: { type: 'json_schema', json_schema: { schema: answerJsonSchema } },
          }),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (error) {
        throw fail(`request failed: ${(error as Error).message}`);
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        throw fail(`answered HTTP ${response.status}`);
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        throw fail('answered with a body that is not JSON');
      }
      const completion = completionSchema.safeParse(body);
      if (!completion.success) throw fail('answered in an unexpected shape (not a chat completion)');
      let content: unknown;
      try {
        content = JSON.parse(jsonText(completion.data.choices[0]!.message.content));
      } catch {
        throw fail('answered with malformed JSON');
      }
      const answer = perplexityAnswerSchema.safeParse(content);
      if (!answer.success)
        throw fail(`answer does not match the schema: ${z.prettifyError(answer.error).replace(/\n/g, ' ')}`);
      const citations = [
        ...(completion.data.citations ?? []),
        ...(completion.data.search_results ?? []).map((result) => result.url),
      ];
      return { fields: fieldsFromAnswer(answer.data, name), citations: [...new Set(citations)].slice(0, 10) };
    },
  };
}
