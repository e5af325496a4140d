import type { CloserContext } from '../../core/closing/closer-model.ts';
import { formatAmount } from '../../core/closing/plan-pricing.ts';
import { annualBudgetCents, formatUsd } from '../../core/qualification/bant-state.ts';
import type { QualifierContext } from '../../core/qualification/qualifier-model.ts';

/**
 * Fills a prompt template's `{{placeholders}}` from the turn's context. Only the organization's
 * own data goes into the system prompt (its name, knowledge base, rules) plus this prospect's
 * state; the prospect's words stay in the user messages, so they are never read as instructions.
 */
export const promptPlaceholders: readonly string[] = [
  'organization',
  'today',
  'channel',
  'disclosure',
  'knowledge',
  'state',
  'missing',
  'rules',
  'outcome',
  'handoff',
  'prospect',
  // The closer's (renderCloserPrompt):
  'plans',
  'deal',
  'closing',
];

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderPrompt(template: string, context: QualifierContext): string {
  return fillTemplate(template, {
    ...sharedValues(context),
    state: JSON.stringify(context.state),
    missing: context.missing.length > 0 ? context.missing.join(', ') : 'nothing',
    rules: describeRules(context),
    outcome: context.outcome
      ? `${context.outcome.outcome} (${context.outcome.reasons.join('; ')})`
      : 'not decided yet',
    handoff: context.handoffRequested ? 'a person from the team has been asked to join' : 'no',
    prospect: `${context.firstName ?? 'unknown'}${context.reachable ? '' : ' (no email or phone yet: before promising a follow-up, ask how to reach them)'}`,
  });
}

/** The closer's prompt: the qualifier's placeholders plus its plans, deal and closing state. */
export function renderCloserPrompt(template: string, context: CloserContext): string {
  const { closing } = context;
  return fillTemplate(template, {
    ...sharedValues(context),
    state: JSON.stringify(context.state),
    handoff: context.handoffRequested ? 'a person from the team has been asked to join' : 'no',
    prospect: context.firstName ?? 'unknown',
    plans:
      context.plans.length > 0
        ? context.plans.map((plan) => `- ${plan.sentence}`).join('\n')
        : '(no plan prices in the knowledge base: a person prepares every offer)',
    deal: context.deal
      ? `stage ${context.deal.stage}${context.deal.amountCents !== null ? `, ${formatAmount(context.deal.amountCents, context.deal.currency)} a year` : ''}`
      : 'none',
    closing: [
      closing.proposal ? `Proposed: ${closing.proposal.summary}.` : 'No plan proposed yet.',
      closing.paymentUrl ? `Payment link sent: ${closing.paymentUrl}.` : '',
      closing.offeredSlots?.length
        ? `Demo times offered: ${closing.offeredSlots.map((slot) => `${slot.number}. ${slot.label}`).join('; ')}.`
        : '',
      closing.meetingLabel ? `Demo booked for ${closing.meetingLabel}.` : '',
      closing.objections?.length ? `Objections so far: ${closing.objections.join(', ')}.` : '',
    ]
      .filter(Boolean)
      .join(' '),
  });
}

function sharedValues(context: QualifierContext | CloserContext): Record<string, string> {
  return {
    organization: context.organization.name,
    today: context.now.toISOString().slice(0, 10),
    channel: context.channel,
    disclosure: context.disclosure,
    knowledge:
      context.knowledge.length > 0
        ? context.knowledge
            .map(
              (entry) =>
                `<entry kind="${entry.kind}" title="${escapeXml(entry.title).replace(/"/g, '&quot;')}">\n${escapeXml(entry.body)}\n</entry>`,
            )
            .join('\n')
        : '(no knowledge-base entry matches this message)',
  };
}

function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (whole, name: string) =>
    name in values ? values[name]! : whole,
  );
}

function describeRules(context: QualifierContext): string {
  const { rules, state } = context;
  const budget = annualBudgetCents(state);
  return [
    `QUALIFIED needs all of: a real need; a yearly budget of at least ${formatUsd(rules.minBudgetCents)} (or a budget stated without an amount); the prospect decides, or is a champion who can bring in whoever does; a timeline within ${rules.qualifyWithinDays} days; and competition asked about.`,
    `DISQUALIFIED, at once: no buyer at all (a student, a job seeker, a competitor, spam or abuse, explicitly not interested) or a budget far below any plan (under ${formatUsd(rules.disqualifyBudgetBelowCents)} a year).`,
    'NURTURE, as soon as it is clear: a fitting buyer who cannot buy now (budget not allocated yet, locked into a contract, a freeze, only researching, a timeline beyond the horizon, too small today, or no access to the decider).',
    budget !== undefined ? `Budget so far: ${formatUsd(budget)} a year.` : '',
  ]
    .filter(Boolean)
    .join('\n');
}
