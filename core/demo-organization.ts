import { systemActor } from './actor.ts';
import type { Db } from './db.ts';
import { addKnowledgeEntries, type KnowledgeEntry } from './knowledge-base.ts';
import { setRepAvailability } from './meetings/rep-availability.ts';
import { createOrganization } from './organizations.ts';
import { createRep } from './reps.ts';

/**
 * The demo a new user meets on first start: Brightwave, a fictional analytics company, with one
 * rep (who takes demo meetings) and a knowledge base the agents answer from.
 */
export const demoOrganizationName = 'Brightwave';
export const demoRepEmail = 'dana@brightwave.example';

const demoKnowledge: KnowledgeEntry[] = [
  {
    kind: 'product',
    title: 'What Brightwave does',
    body:
      'Brightwave Pipeline Analytics connects to your CRM and shows revenue teams which deals will close, ' +
      'which are at risk, and why. It forecasts the quarter from deal activity, flags stalled deals, and ' +
      'sends weekly pipeline reviews to Slack or email.',
  },
  {
    kind: 'pricing',
    title: 'Plans and prices',
    body:
      'Starter: $49 per user per month, up to 10 users, CRM sync and dashboards. ' +
      'Growth: $99 per user per month, unlimited users, forecasting, Slack alerts, API access and SSO. ' +
      'Enterprise: custom pricing from 50 users, with a dedicated success manager, 99.9% uptime SLA and EU data residency. ' +
      'Annual billing saves 20%. Every plan starts with a 14-day free trial, no card required.',
  },
  {
    kind: 'faq',
    title: 'Which CRMs and tools do you integrate with?',
    body: 'Salesforce, HubSpot and Pipedrive for CRM; Slack and Microsoft Teams for alerts; Snowflake and BigQuery for export.',
  },
  {
    kind: 'faq',
    title: 'How long does onboarding take?',
    body: 'Most teams connect their CRM and see their first forecast the same day; Enterprise onboarding takes about two weeks.',
  },
  {
    kind: 'faq',
    title: 'Is my data secure?',
    body: 'Brightwave is SOC 2 Type II audited, encrypts data at rest and in transit, and is GDPR compliant. Data is hosted in the US, or in the EU on Enterprise.',
  },
  {
    kind: 'faq',
    title: 'Can I cancel any time?',
    body: 'Monthly plans can be cancelled at any time. Annual plans are billed once a year and renew unless cancelled 30 days before renewal.',
  },
];

/** So the demo books meetings out of the box: Mon–Fri 09:00–17:00 New York time, 30 minutes. */
const workday = [{ start: '09:00', end: '17:00' }];
export const demoRepAvailability = {
  timeZone: 'America/New_York',
  weekly: { mon: workday, tue: workday, wed: workday, thu: workday, fri: workday },
  meetingMinutes: 30,
  bufferMinutes: 0,
  minNoticeHours: 4,
  horizonDays: 14,
};

export interface DemoCredentials {
  orgId: string;
  apiKey: string;
  widgetKey: string;
  repEmail: string;
  repPassword: string;
}

/** The demo organization's id, if one exists. */
export async function findDemoOrganization(db: Db): Promise<string | null> {
  const rows = await db.query<{ id: string }>(
    `select id from organizations where settings ->> 'demo' = 'true' order by created_at limit 1`,
  );
  return rows[0]?.id ?? null;
}

/** Creates the demo organization, rep and knowledge base, all or nothing. */
export async function createDemoOrganization(db: Db, repPassword: string): Promise<DemoCredentials> {
  return db.transaction(async (tx) => {
    const org = await createOrganization(
      tx,
      {
        name: demoOrganizationName,
        settings: {
          demo: true,
          aiDisclosure:
            "Hi! I'm Brightwave's AI assistant. A person from our team can join at any time — just ask.",
          helpText: 'Brightwave: reply STOP to stop messages. Questions? hello@brightwave.example',
          physicalAddress: 'Brightwave Inc., 100 Harbor Way, Suite 400, San Francisco, CA 94105',
        },
      },
      systemActor,
    );
    const { repId } = await createRep(
      tx,
      {
        orgId: org.orgId,
        email: demoRepEmail,
        password: repPassword,
        name: 'Dana Rivera',
        territory: 'US-West',
        expertise: ['saas', 'analytics'],
        capacity: 20,
        winRate: 0.32,
      },
      systemActor,
    );
    await setRepAvailability(tx, org.orgId, repId, demoRepAvailability, systemActor);
    await addKnowledgeEntries(tx, org.orgId, demoKnowledge);
    return { ...org, repEmail: demoRepEmail, repPassword };
  });
}
