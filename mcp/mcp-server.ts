import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { AuditView } from '../core/audit.ts';
import {
  type ConsentRecord,
  type CurrentConsent,
  consentMethods,
  consentTypes,
} from '../core/compliance/consent.ts';
import type { OutboundDecision } from '../core/compliance/outbound-gate.ts';
import type { QualifierAnswer } from '../core/conversations/conversation-service.ts';
import type { ConversationView, MessageView } from '../core/conversations.ts';
import type { Lead } from '../core/leads.ts';
import { channels, outboundPurposes } from '../core/outbound-message.ts';
import type { PipelineSummary } from '../core/pipeline-summary.ts';
import type { RouteResult } from '../core/routing/route-lead.ts';
import type { ScoreLeadResult } from '../core/scoring/score-lead.ts';
import type { WorkflowRunView } from '../inngest/workflow-runs.ts';
import packageJson from '../package.json' with { type: 'json' };
import { type ApiClientOptions, ApiProblem, ApiUnreachable, createApiClient } from './api-client.ts';
import {
  auditLine,
  complianceText,
  consentRecordText,
  consentText,
  conversationLine,
  counted,
  leadLine,
  leadText,
  listText,
  messageLine,
  qualifierText,
  routeModeText,
  routeText,
  scoreText,
  workflowRunLine,
} from './tool-text.ts';

export type BuildServerOptions = ApiClientOptions;

const contactId = z.uuid('contactId must be a UUID').describe('The lead (contact) id');
const runStatuses = ['queued', 'running', 'sleeping', 'waiting', 'completed', 'failed'] as const;
/** The channels a prospect can write on (POST /api/agents/qualifier). */
const qualifierChannels = ['web', 'email', 'sms', 'whatsapp'] as const;
/** GET /api/leads lists at most this many leads per request. */
const leadListMax = 500;

const readOnly = { readOnlyHint: true, openWorldHint: false } as const;

/** Readable text for the operator plus the API's own answer for programs. */
function answer(text: string, structured?: object): CallToolResult {
  return {
    content: [{ type: 'text', text }],
    ...(structured ? { structuredContent: structured as Record<string, unknown> } : {}),
  };
}

/**
 * API refusals are answers, not crashes: the model sees the problem's detail and can correct
 * itself (a wrong id, a missing consent), and the session goes on.
 */
function guarded<Args>(
  run: (args: Args) => Promise<CallToolResult>,
): (args: Args) => Promise<CallToolResult> {
  return async (args) => {
    try {
      return await run(args);
    } catch (error) {
      if (error instanceof ApiProblem) {
        return {
          isError: true,
          content: [{ type: 'text', text: `${error.title} (${error.status}): ${error.detail}` }],
          structuredContent: { status: error.status, title: error.title, detail: error.detail },
        };
      }
      if (error instanceof ApiUnreachable) {
        return { isError: true, content: [{ type: 'text', text: error.message }] };
      }
      throw error;
    }
  };
}

/**
 * The MCP server: one tool per step of the sales pipeline, each a thin call to the QuotaHit HTTP
 * API acting for the organization the API key names. Transport-free, so tests connect to it in
 * memory and `mcp/main.ts` serves it on stdio.
 */
export function buildServer(options: BuildServerOptions): McpServer {
  const api = createApiClient(options);
  const server = new McpServer(
    { name: 'quotahit', title: 'QuotaHit', version: packageJson.version },
    {
      instructions:
        'QuotaHit is an AI sales department. Leads (contacts) are scored 0–100, qualified by a BANT+ agent ' +
        '(outcome QUALIFIED, NURTURE or DISQUALIFIED), then routed: mode A autonomous closer, B human rep, ' +
        'C self-service payment link. Every outbound message passes a compliance gate (consent, Do-Not-Call, ' +
        'quiet hours). Find a lead with find_leads, then use its id with the other tools.',
    },
  );

  server.registerTool(
    'find_leads',
    {
      title: 'Find leads',
      description:
        'Find leads (contacts) by email or phone. With neither, lists the most recent leads, newest first.',
      inputSchema: {
        email: z.string().trim().min(1).optional().describe('Exact email address (case-insensitive)'),
        phone: z.string().trim().min(1).optional().describe('Phone number, e.g. +14155550123'),
        limit: z.number().int().min(1).max(leadListMax).default(20).describe('At most this many leads'),
      },
      annotations: readOnly,
    },
    guarded(async ({ email, phone, limit }) => {
      const { body } = await api.get<{ items: Lead[] }>('/api/leads', { email, phone, limit });
      return answer(
        listText(`${counted(body.items.length, 'lead')}:`, 'No leads found.', body.items, leadLine),
        body,
      );
    }),
  );

  server.registerTool(
    'get_lead',
    {
      title: 'Get a lead',
      description:
        'One lead with its lead score and score breakdown, status, qualification (outcome and BANT+) and routing.',
      inputSchema: { contactId },
      annotations: readOnly,
    },
    guarded(async ({ contactId }) => {
      const { body } = await api.get<Lead>(`/api/leads/${contactId}`);
      return answer(leadText(body), body);
    }),
  );

  server.registerTool(
    'create_lead',
    {
      title: 'Create a lead',
      description:
        'Record a lead; it needs an email or a phone. Scoring starts by itself. A lead with the same email or ' +
        'phone is the same contact: its missing fields are filled in and nothing is overwritten.',
      inputSchema: {
        email: z.string().optional().describe('Email address'),
        phone: z.string().optional().describe('Phone number in international form, e.g. +14155550123'),
        firstName: z.string().optional(),
        lastName: z.string().optional(),
        title: z.string().optional().describe('Job title, e.g. "VP Sales"'),
        company: z.string().optional(),
        website: z.string().optional(),
        companySize: z.number().int().min(0).optional().describe('Number of employees'),
        industry: z.string().optional(),
        country: z.string().optional().describe('Country name or ISO code'),
        source: z.string().optional().describe('Where the lead came from, e.g. "webinar"'),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    guarded(async (lead) => {
      const { status, body } = await api.post<Lead>('/api/leads', lead);
      const heading = status === 201 ? 'Created a new lead.' : 'This contact already existed; updated it.';
      return answer(`${heading}\n${leadText(body)}`, body);
    }),
  );

  server.registerTool(
    'score_lead',
    {
      title: 'Score a lead',
      description:
        'Re-score one lead now against the organization’s scoring profile: 0–100 with the eight-signal breakdown.',
      inputSchema: { contactId },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    guarded(async ({ contactId }) => {
      const { body } = await api.post<ScoreLeadResult>('/api/leads/score', { contactId });
      return answer(scoreText(contactId, body), body);
    }),
  );

  server.registerTool(
    'qualify_lead',
    {
      title: 'Talk to the qualifier',
      description:
        'Hand one message from the prospect to the BANT+ qualifier agent on the contact’s conversation, and get ' +
        'the agent’s reply, what it has learned (budget, authority, need, timeline, competition) and the ' +
        'outcome (QUALIFIED, NURTURE, DISQUALIFIED, or none while still talking).',
      inputSchema: {
        contactId,
        message: z.string().min(1).describe('What the prospect says'),
        channel: z
          .enum(qualifierChannels)
          .optional()
          .describe('The channel the prospect writes on; default: their latest open conversation, else web'),
        clientId: z
          .string()
          .min(1)
          .max(200)
          .optional()
          .describe('Your id for this message: sending it again with the same clientId is one message'),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    guarded(async (turn) => {
      const { body } = await api.post<QualifierAnswer>('/api/agents/qualifier', turn);
      return answer(qualifierText(body), body);
    }),
  );

  server.registerTool(
    'route_lead',
    {
      title: 'Route a lead',
      description:
        'Route a lead: mode A (autonomous closer), B (the best-fit human rep, or the queue) or C (a ' +
        'self-service payment link), with the reasons. A routed lead keeps its route.',
      inputSchema: { contactId },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    guarded(async ({ contactId }) => {
      const { body } = await api.post<RouteResult>('/api/leads/route', { contactId });
      return answer(routeText(contactId, body), body);
    }),
  );

  server.registerTool(
    'list_conversations',
    {
      title: 'List conversations',
      description:
        'Conversations (web chat, email, SMS, WhatsApp, voice) with their AI/human mode, for one lead or all.',
      inputSchema: { contactId: contactId.optional().describe('Only this lead’s conversations') },
      annotations: readOnly,
    },
    guarded(async ({ contactId }) => {
      const { body } = await api.get<{ items: ConversationView[] }>('/api/conversations', { contactId });
      return answer(
        listText(
          `${counted(body.items.length, 'conversation')}:`,
          'No conversations.',
          body.items,
          conversationLine,
        ),
        body,
      );
    }),
  );

  server.registerTool(
    'get_conversation_messages',
    {
      title: 'Read a conversation',
      description:
        'The messages of one conversation, in order: who said what, on which channel, delivery status.',
      inputSchema: {
        conversationId: z.uuid('conversationId must be a UUID').describe('The conversation id'),
      },
      annotations: readOnly,
    },
    guarded(async ({ conversationId }) => {
      const { body } = await api.get<{ items: MessageView[] }>(
        `/api/conversations/${conversationId}/messages`,
      );
      return answer(listText('Messages:', 'No messages yet.', body.items, messageLine), body);
    }),
  );

  server.registerTool(
    'check_compliance',
    {
      title: 'Check compliance',
      description:
        'Ask the compliance gate whether a message to this lead may go out now (consent, Do-Not-Call, quiet ' +
        'hours, opt-out, caps), without sending anything. Answers allowed or the refusal reasons.',
      inputSchema: {
        contactId,
        channel: z.enum(channels).describe('The channel the message would go on'),
        purpose: z
          .enum(outboundPurposes)
          .describe(
            'marketing needs consent; conversation_reply answers the prospect; transactional they asked for',
          ),
        to: z.string().optional().describe('The recipient when it is not the contact’s own address (a rep)'),
        artificialVoice: z
          .boolean()
          .optional()
          .describe('Voice only: an AI or prerecorded voice (default true)'),
      },
      annotations: readOnly,
    },
    guarded(async (check) => {
      const { body } = await api.post<OutboundDecision>('/api/compliance/check', check);
      return answer(complianceText(body), body);
    }),
  );

  server.registerTool(
    'get_consent',
    {
      title: 'Get consent',
      description:
        'The lead’s current consent for each type (email, SMS, calls, AI voice) and every consent record.',
      inputSchema: { contactId },
      annotations: readOnly,
    },
    guarded(async ({ contactId }) => {
      const { body } = await api.get<{ consent: CurrentConsent; records: ConsentRecord[] }>(
        '/api/compliance/consent',
        { contactId },
      );
      return answer(
        `Consent of lead ${contactId}:\n${consentText(body.consent)}\n${counted(body.records.length, 'record')} in the consent ledger.`,
        body,
      );
    }),
  );

  server.registerTool(
    'record_consent',
    {
      title: 'Record consent',
      description:
        'Record that the prospect gave consent, with the evidence (the exact wording they agreed to). Consent is ' +
        'a ledger: this adds a record and never edits one.',
      inputSchema: {
        contactId,
        type: z.enum(consentTypes).describe('What the consent covers'),
        method: z.enum(consentMethods).describe('How it was given'),
        evidence: z
          .object({
            wording: z
              .string({
                error: 'evidence.wording is required: the exact consent text the prospect agreed to',
              })
              .min(1, 'evidence.wording is required: the exact consent text the prospect agreed to')
              .describe('The exact consent text the prospect agreed to'),
            pageUrl: z.string().optional().describe('The page the form was on'),
            ip: z.string().optional(),
            userAgent: z.string().optional(),
            timestamp: z.string().optional().describe('When they agreed, if not now (ISO 8601 with offset)'),
            note: z.string().optional(),
          })
          .describe('Proof of the consent'),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    guarded(async (consent) => {
      const { body } = await api.post<ConsentRecord>('/api/compliance/consent', consent);
      return answer(consentRecordText(body), body);
    }),
  );

  server.registerTool(
    'revoke_consent',
    {
      title: 'Revoke consent',
      description:
        'Record that the prospect withdrew consent: one type, several, or "all" (a "don’t contact me"). ' +
        'Marketing on those channels stops at once.',
      inputSchema: {
        contactId,
        type: z
          .union([z.enum(consentTypes), z.array(z.enum(consentTypes)).min(1), z.literal('all')])
          .describe('The consent type(s) withdrawn, or "all"'),
        method: z.enum(consentMethods).optional().describe('How they withdrew it (default api)'),
        evidence: z
          .object({
            wording: z.string().optional().describe('The words they used'),
            message: z.string().optional().describe('Their own message, e.g. an SMS keyword'),
            note: z.string().optional(),
          })
          .optional(),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    guarded(async (revocation) => {
      const { body } = await api.post<{
        revoked: string[];
        alreadyRevoked: string[];
        consent: CurrentConsent;
      }>('/api/compliance/consent/revoke', revocation);
      const lines = [
        `Revoked: ${body.revoked.join(', ') || 'nothing new'}.`,
        body.alreadyRevoked.length ? `Already revoked: ${body.alreadyRevoked.join(', ')}.` : null,
        `Consent now:\n${consentText(body.consent)}`,
      ];
      return answer(lines.filter((line) => line !== null).join('\n'), body);
    }),
  );

  server.registerTool(
    'get_audit_trail',
    {
      title: 'Audit trail',
      description:
        'The tamper-evident audit log (oldest first): every agent, rep, API-key and system action, for one lead ' +
        'or the whole organization.',
      inputSchema: {
        contactId: contactId.optional().describe('Only entries about this lead'),
        limit: z.number().int().min(1).max(10_000).default(200).describe('At most this many entries'),
      },
      annotations: readOnly,
    },
    guarded(async ({ contactId, limit }) => {
      const { body } = await api.get<{ items: AuditView[] }>('/api/compliance/audit', { contactId, limit });
      return answer(
        listText(
          `${counted(body.items.length, 'audit entry', 'audit entries')}:`,
          'No audit entries.',
          body.items,
          auditLine,
        ),
        body,
      );
    }),
  );

  server.registerTool(
    'list_workflow_runs',
    {
      title: 'Workflow runs',
      description:
        'Runs of the lead pipeline workflows (enrich, score, qualify, route, follow-ups) with their steps, ' +
        'attempts and errors, for one lead or all.',
      inputSchema: {
        contactId: contactId.optional().describe('Only runs about this lead'),
        status: z.array(z.enum(runStatuses)).min(1).optional().describe('Only runs in these states'),
        limit: z.number().int().min(1).max(1000).default(50).describe('At most this many runs'),
      },
      annotations: readOnly,
    },
    guarded(async ({ contactId, status, limit }) => {
      const { body } = await api.get<{ items: WorkflowRunView[] }>('/api/workflows/runs', {
        contactId,
        status: status?.join(','),
        limit,
      });
      return answer(
        listText(
          `${counted(body.items.length, 'workflow run')}:`,
          'No workflow runs.',
          body.items,
          workflowRunLine,
        ),
        body,
      );
    }),
  );

  server.registerTool(
    'run_follow_ups',
    {
      title: 'Run due follow-ups',
      description:
        'Send the follow-up messages that are due now (each still passes the compliance gate); answers how many ' +
        'were sent, failed or skipped.',
      inputSchema: {},
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    guarded(async () => {
      const { body } = await api.post<{ sent: number; failed: number; skipped: number }>(
        '/api/follow-ups/execute',
      );
      return answer(`Follow-ups: ${body.sent} sent, ${body.failed} failed, ${body.skipped} skipped.`, body);
    }),
  );

  server.registerTool(
    'pipeline_summary',
    {
      title: 'Pipeline summary',
      description:
        'Where every lead stands: counts by status, qualification outcome and route, the average ' +
        'and highest scores, and how many leads wait for a rep.',
      inputSchema: {},
      annotations: readOnly,
    },
    guarded(async () => {
      const { body: summary } = await api.get<PipelineSummary>('/api/leads/summary');
      const counts = (tally: Record<string, number>) =>
        Object.entries(tally)
          .map(([name, count]) => `${name} ${count}`)
          .join(', ') || '—';
      const text = [
        `${counted(summary.leads, 'lead')} in the pipeline:`,
        `By status: ${counts(summary.byStatus)}`,
        `By outcome: ${counts(summary.byOutcome)}`,
        `By route: ${counts(Object.fromEntries(Object.entries(summary.byRoute).map(([m, n]) => [routeModeText(m), n])))}`,
        `Scored: ${summary.scored}${summary.averageScore === null ? '' : ` (average ${summary.averageScore})`}`,
        `Waiting for a rep: ${summary.waitingForRep}`,
        listText('Highest scores:', 'No scored leads yet.', summary.topLeads, leadLine),
      ].join('\n');
      return answer(text, summary);
    }),
  );

  return server;
}
