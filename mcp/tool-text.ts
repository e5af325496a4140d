import type { AuditView } from '../core/audit.ts';
import type { ConsentRecord, CurrentConsent } from '../core/compliance/consent.ts';
import type { OutboundDecision } from '../core/compliance/outbound-gate.ts';
import type { QualifierAnswer } from '../core/conversations/conversation-service.ts';
import type { ConversationView, MessageView } from '../core/conversations.ts';
import type { Lead } from '../core/leads.ts';
import type { RouteResult } from '../core/routing/route-lead.ts';
import type { ScoreEntry } from '../core/scoring/score-model.ts';
import type { WorkflowRunView } from '../inngest/workflow-runs.ts';

/**
 * The readable side of each tool answer: what an operator (or the model reading for them) needs
 * at a glance. The full API answer travels beside it as `structuredContent`.
 */

const none = '—';
const json = (value: unknown) => JSON.stringify(value);

const routeModes: Record<string, string> = {
  A: 'A (autonomous closer)',
  B: 'B (human rep)',
  C: 'C (self-service payment link)',
};
export const routeModeText = (mode: string) => routeModes[mode] ?? mode;

function leadName(lead: Lead): string {
  const name = [lead.firstName, lead.lastName].filter(Boolean).join(' ');
  const contact = [lead.email, lead.phone].filter(Boolean).join(', ');
  return [name, contact && (name ? `<${contact}>` : contact)].filter(Boolean).join(' ') || lead.id;
}

function bantText(bant: Record<string, unknown>): string {
  const items = Object.entries(bant).filter(([, value]) => value !== undefined);
  return items.length
    ? items.map(([item, value]) => `${item} ${json(value)}`).join('; ')
    : 'nothing learned yet';
}

export function breakdownText(breakdown: unknown[]): string {
  return (breakdown as ScoreEntry[])
    .map((entry) => `  - ${entry.signal}: ${entry.points}/${entry.max} (${entry.reason})`)
    .join('\n');
}

/** One line per lead, for lists. */
export function leadLine(lead: Lead): string {
  const role = [lead.title, lead.company].filter(Boolean).join(' at ');
  return [
    `- ${leadName(lead)}${role ? `, ${role}` : ''}`,
    `id ${lead.id}`,
    `status ${lead.status}`,
    `score ${lead.leadScore ?? none}`,
    `outcome ${lead.qualification.outcome ?? none}`,
  ].join(' · ');
}

export function leadText(lead: Lead): string {
  const role = [lead.title, lead.company].filter(Boolean).join(' at ');
  const firmographics = [
    lead.companySize === null ? null : `${lead.companySize} employees`,
    lead.industry,
    lead.country,
    lead.website,
  ].filter(Boolean);
  const routing = lead.routing as (Partial<RouteResult> & { reasons?: string[] }) | null;
  const lines = [
    `Lead ${lead.id}: ${leadName(lead)}${role ? `, ${role}` : ''}`,
    firmographics.length ? `Company: ${firmographics.join(', ')}` : null,
    `Status: ${lead.status}${lead.source ? ` · source ${lead.source}` : ''}`,
    `Lead score: ${lead.leadScore === null ? 'not scored yet' : `${lead.leadScore}/100`}`,
    lead.scoreBreakdown.length ? breakdownText(lead.scoreBreakdown) : null,
    `Qualification outcome: ${lead.qualification.outcome ?? 'none yet'}`,
    `BANT+: ${bantText(lead.qualification.bant)}`,
    `Routing: ${routing?.mode ? routeModeText(routing.mode) : 'not routed'}`,
    routing?.repId ? `  rep ${routing.repId}` : null,
    routing?.paymentUrl ? `  payment link ${routing.paymentUrl}` : null,
    routing?.reasons?.length ? `  reasons: ${routing.reasons.join('; ')}` : null,
  ];
  return lines.filter((line) => line !== null).join('\n');
}

export function scoreText(contactId: string, result: { score: number; breakdown: ScoreEntry[] }): string {
  return `Lead ${contactId} scores ${result.score}/100:\n${breakdownText(result.breakdown)}`;
}

export function qualifierText(answer: QualifierAnswer): string {
  return [
    answer.duplicate ? 'This message was already received (same clientId); the earlier answer:' : null,
    `Qualifier reply: ${answer.reply ?? '(no reply: a rep holds the conversation or the agent stayed silent)'}`,
    `Outcome: ${answer.outcome ?? 'still qualifying'}`,
    `BANT+: ${bantText(answer.bant)}`,
    `Conversation ${answer.conversationId}, message ${answer.messageId}`,
  ]
    .filter((line) => line !== null)
    .join('\n');
}

export function routeText(contactId: string, route: RouteResult): string {
  return [
    `Lead ${contactId} routed to mode ${routeModeText(route.mode)}`,
    route.repId ? `Rep: ${route.repId}` : null,
    route.queued ? 'Waiting in the queue for a rep with free capacity' : null,
    route.paymentUrl ? `Payment link: ${route.paymentUrl}` : null,
    `Reasons: ${route.reasons.join('; ') || none}`,
  ]
    .filter((line) => line !== null)
    .join('\n');
}

export function conversationLine(conversation: ConversationView): string {
  return [
    `- ${conversation.id}`,
    `contact ${conversation.contactId}`,
    conversation.channel,
    `mode ${conversation.mode}`,
    conversation.status,
    `last message ${conversation.lastMessageAt ?? none}`,
  ].join(' · ');
}

export function messageLine(message: MessageView): string {
  return `[${message.createdAt}] ${message.sender} (${message.direction}, ${message.channel}, ${message.status}): ${message.body}`;
}

export function complianceText(decision: OutboundDecision): string {
  return [
    decision.allowed ? 'Allowed.' : `Refused: ${decision.reasons.join(', ')}.`,
    decision.warnings.length ? `Warnings: ${decision.warnings.join(', ')}.` : null,
  ]
    .filter((line) => line !== null)
    .join('\n');
}

export function consentText(consent: CurrentConsent): string {
  return Object.entries(consent)
    .map(
      ([type, state]) =>
        `  - ${type}: ${state.status}${state.method ? ` via ${state.method}` : ''}${state.at ? ` at ${state.at}` : ''}`,
    )
    .join('\n');
}

export function consentRecordText(record: ConsentRecord): string {
  return `Consent ${record.type} ${record.action} via ${record.method} for contact ${record.contactId} (record ${record.id}, ${record.createdAt}).`;
}

export function auditLine(entry: AuditView): string {
  const details = Object.keys(entry.details ?? {}).length ? ` ${json(entry.details)}` : '';
  return `- [${entry.createdAt}] ${entry.actorType}${entry.actorId ? `:${entry.actorId}` : ''} ${entry.action} (${entry.outcome})${details}`;
}

export function workflowRunLine(run: WorkflowRunView): string {
  const done = run.steps.filter((step) => step.status === 'completed').length;
  return [
    `- ${run.function} on ${run.event}`,
    run.status,
    `attempts ${run.attempts}`,
    `steps ${done}/${run.steps.length} completed`,
    run.error ? `error: ${run.error}` : null,
    `run ${run.id}`,
  ]
    .filter((part) => part !== null)
    .join(' · ');
}

/** `1 lead`, `3 leads`, `2 audit entries`. */
export function counted(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

/** A list with a heading, or a plain sentence when it is empty. */
export function listText<T>(heading: string, empty: string, items: T[], line: (item: T) => string): string {
  return items.length ? `${heading}\n${items.map(line).join('\n')}` : empty;
}
