import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { systemActor } from '../actor.ts';
import { getLead, upsertLead } from '../leads.ts';
import { createOrganization } from '../organizations.ts';
import { scoreLead } from '../scoring/score-lead.ts';
import { enrichLead, enrichmentProviders } from './enrich-lead.ts';
import { type EnrichmentProvider, EnrichmentProviderError } from './enrichment-provider.ts';
import { offlineEnrichmentProvider } from './offline-provider.ts';

let db: Database;
let orgId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  ({ orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
});
afterAll(() => db.close());

/** A stand-in for the Perplexity provider with a fixed answer. */
function webResearch(answer: 'fail' | Record<string, unknown>): EnrichmentProvider {
  return {
    name: 'perplexity',
    enrich: async () => {
      if (answer === 'fail') throw new EnrichmentProviderError('perplexity', 'answered HTTP 500');
      return {
        fields: Object.fromEntries(
          Object.entries(answer).map(([name, value]) => [
            name,
            { value, source: 'perplexity', basis: 'web research' },
          ]),
        ),
        citations: ['https://acme.example/about'],
      };
    },
  };
}

const events = (contactId: string) =>
  db.query<{ data: { sources: string[] } }>(
    `select data from events where name = 'lead.enriched' and data ->> 'contactId' = $1 order by seq`,
    [contactId],
  );

describe('enrichLead', () => {
  it('merges provider results with their sources, links the company and announces it', async () => {
    const { lead } = await upsertLead(
      db,
      orgId,
      { email: 'pat@initech.example', phone: '+4930123456789', title: 'VP Sales', company: 'Initech' },
      systemActor,
    );
    const result = await enrichLead(
      db,
      [
        offlineEnrichmentProvider,
        webResearch({
          industry: 'Computer Software',
          companySize: 220,
          techStack: ['Salesforce', 'Slack'],
          companyDomain: 'initech-other.example',
          companyCountry: 'DE',
          headcountGrowthPct: 'not a number',
        }),
      ],
      orgId,
      lead.id,
    );
    expect(result.sources).toEqual(['offline', 'perplexity']);
    expect(result.failures).toEqual([]);
    const fields = result.enrichment.fields;
    // The offline provider comes first, so its domain (from the email) wins.
    expect(fields.companyDomain).toMatchObject({
      value: 'initech.example',
      source: 'offline',
      basis: 'email address',
    });
    expect(fields.industry).toMatchObject({ value: 'Computer Software', source: 'perplexity' });
    expect(fields.country).toMatchObject({ value: 'DE', source: 'offline', basis: 'phone prefix +49' });
    expect(fields.seniority).toMatchObject({ value: 'vp', source: 'offline' });
    // A value that does not fit its field is dropped, not stored.
    expect(fields.headcountGrowthPct).toBeUndefined();
    expect(result.enrichment.providers.perplexity).toMatchObject({
      status: 'ok',
      citations: ['https://acme.example/about'],
    });

    const [company] = await db.query<Record<string, unknown>>(
      'select c.* from companies c join contacts ct on ct.company_id = c.id where ct.id = $1',
      [lead.id],
    );
    expect(company).toMatchObject({
      domain: 'initech.example',
      name: 'Initech',
      industry: 'Computer Software',
      employee_count: 220,
      country: 'DE',
    });
    expect((company!.enrichment as { fields: Record<string, unknown> }).fields.techStack).toMatchObject({
      value: ['Salesforce', 'Slack'],
      source: 'perplexity',
    });
    expect((await events(lead.id)).map((e) => e.data.sources)).toEqual([['offline', 'perplexity']]);

    // GET /api/leads/:id shows the same enrichment, sources and all.
    const read = await getLead(db, orgId, lead.id);
    expect(read.enrichment).toMatchObject({
      fields: { industry: { value: 'Computer Software', source: 'perplexity' } },
      providers: { offline: { status: 'ok' }, perplexity: { status: 'ok' } },
    });

    // Scoring reads the enrichment: industry, size, title, country and tech stack all count.
    const score = await scoreLead(db, orgId, lead.id, 'lead.enriched');
    expect(score.breakdown.find((e) => e.signal === 'techFit')).toMatchObject({
      points: 10,
      reason: 'uses Salesforce and Slack (source: perplexity)',
    });
    expect(score.score).toBe(20 + 15 + 15 + 10 + 5);
  });

  it('keeps the offline result and what it knew before when a provider fails', async () => {
    const { lead } = await upsertLead(
      db,
      orgId,
      { email: 'jo@globex.example', title: 'Director of Sales', company: 'Globex' },
      systemActor,
    );
    await enrichLead(db, [offlineEnrichmentProvider, webResearch({ industry: 'Software' })], orgId, lead.id);
    const result = await enrichLead(db, [offlineEnrichmentProvider, webResearch('fail')], orgId, lead.id);
    expect(result.sources).toEqual(['offline']);
    expect(result.failures).toEqual([{ provider: 'perplexity', error: 'answered HTTP 500' }]);
    expect(result.enrichment.fields.companyDomain?.value).toBe('globex.example');
    expect(result.enrichment.fields.industry).toMatchObject({ value: 'Software', source: 'perplexity' });
    expect(result.enrichment.providers.perplexity).toMatchObject({
      status: 'failed',
      error: 'answered HTTP 500',
    });
    expect(result.changedFields).toEqual([]);
    expect((await events(lead.id)).map((e) => e.data.sources)).toEqual([
      ['offline', 'perplexity'],
      ['offline'],
    ]);
    // Still scored on what is known.
    const score = await scoreLead(db, orgId, lead.id, 'lead.enriched');
    expect(score.breakdown[0]).toMatchObject({ signal: 'icpMatch', points: 20 });
  });

  it('survives a provider that throws something unexpected', async () => {
    const { lead } = await upsertLead(db, orgId, { email: 'x@gmail.com' }, systemActor);
    const broken: EnrichmentProvider = {
      name: 'broken',
      enrich: async () => {
        throw new TypeError('fetch failed');
      },
    };
    const result = await enrichLead(db, [broken, offlineEnrichmentProvider], orgId, lead.id);
    expect(result.failures).toEqual([{ provider: 'broken', error: 'fetch failed' }]);
    expect(result.enrichment.fields.freeMail).toMatchObject({ value: true, source: 'offline' });
    expect(result.companyId).toBeNull();
  });

  it('refuses a contact of another organization', async () => {
    const { orgId: other } = await createOrganization(db, { name: 'Other' }, systemActor);
    const { lead } = await upsertLead(db, orgId, { email: 'secret@acme.example' }, systemActor);
    await expect(enrichLead(db, [offlineEnrichmentProvider], other, lead.id)).rejects.toMatchObject({
      kind: 'not_found',
    });
  });

  it('uses Perplexity only when its key is configured', () => {
    expect(enrichmentProviders({}).map((p) => p.name)).toEqual(['offline']);
    expect(enrichmentProviders({ PERPLEXITY_API_KEY: 'k' }).map((p) => p.name)).toEqual([
      'offline',
      'perplexity',
    ]);
  });
});
