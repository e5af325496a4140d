import { z } from 'zod';
import { closerTurn } from '../closing/closer-turn.ts';
import { handleInboundText, handleOptOut } from '../compliance/opt-out.ts';
import { applyContactFacts, type ContactFacts, mergeContactFacts } from '../contact-facts.ts';
import type { ConversationRow, MessageRow } from '../conversations.ts';
import type { Db } from '../db.ts';
import { emitEvent } from '../events.ts';
import type { Channel } from '../outbound-message.ts';
import {
  type BantPatch,
  mergeBant,
  missingItems,
  type QualificationRecord,
  readQualification,
} from '../qualification/bant-state.ts';
import {
  detectHandoffRequest,
  detectInjection,
  detectOptOutRequest,
  mayBeComplianceCommand,
} from '../qualification/guardrails.ts';
import { retrieveKnowledge } from '../qualification/knowledge-retrieval.ts';
import { evaluateOutcome, handoffByRules, type OutcomeDecision } from '../qualification/outcome-rules.ts';
import type { QualifierContext, QualifierTurnResult, ToolOutcome } from '../qualification/qualifier-model.ts';
import { handoffLine, modelFailureLine, question, refusalLine } from '../qualification/qualifier-script.ts';
import {
  recordContactDetailsArgsSchema,
  recordOptOutArgsSchema,
  requestHandoffArgsSchema,
  toBantPatch,
  toolSpecs,
  updateQualificationArgsSchema,
} from '../qualification/qualifier-tools.ts';
import type { ConversationServiceDeps } from './conversation-deps.ts';
import {
  type AgentState,
  agentActor,
  agentStateOf,
  closeWithin,
  deliverStored,
  insertOutbound,
  markProcessed,
  patchAgentState,
  publishMode,
} from './conversation-store.ts';
import {
  agentReply,
  conversationHistory,
  flushAudits,
  handoffReply,
  loadTurnContext,
  recordAgentTurn,
  requestHandoff,
  type TurnContext,
} from './turn-context.ts';

/**
 * One turn of a conversation: the answer to one prospect message. In order, first match wins:
 * a closed conversation ignores it; compliance commands (opt-out, HELP, START) are answered by
 * the compliance module's wording; a rep's conversation is only listened to (BANT+ extraction);
 * injection attempts get a refusal; requests for a person (or the organization's keywords) hand
 * over; everything else goes to the qualifier model with its tools — or, once routing handed the
 * lead to the closer (mode A), to the closer (core/closing/closer-turn.ts). Each path ends in one
 * transaction that stores the reply with everything it changed, then delivers the reply.
 */
/** Answers every prospect message of the conversation still waiting, oldest first, one at a time. */
export async function answerPending(
  deps: ConversationServiceDeps,
  orgId: string,
  conversationId: string,
): Promise<void> {
  await deps.scheduler.run(orgId, conversationId, async () => {
    // A message stored after this read is answered by its own caller's turn, queued behind this one.
    const pending = await deps.db.query<MessageRow>(
      `select * from messages where conversation_id = $1 and org_id = $2 and direction = 'inbound'
         and status = 'received' order by seq limit 100`,
      [conversationId, orgId],
    );
    for (const message of pending) {
      // Shutting down: the rest stay waiting for the sweep, so closing waits for one answer, not 100.
      if (deps.scheduler.stopped) return;
      await runTurn(deps, message);
    }
  });
}

async function runTurn(deps: ConversationServiceDeps, inbound: MessageRow): Promise<void> {
  const ctx = await loadTurnContext(deps, inbound);
  if (ctx.conversation.status === 'closed' || ctx.conversation.mode === 'closed') {
    await markProcessed(deps.db, inbound, { skipped: 'conversation closed' });
    return;
  }
  if (await complianceCommand(deps, ctx)) return;
  if (ctx.conversation.mode === 'human') {
    await extractOnly(deps, ctx);
    return;
  }
  const injection = detectInjection(inbound.body);
  if (injection) {
    await refuseInjection(deps, ctx, injection.rule);
    return;
  }
  const asked = detectHandoffRequest(inbound.body);
  const byKeyword = asked
    ? null
    : handoffByRules(
        { ...ctx.rules.handoff, onQualified: false, budgetAtLeastCents: undefined },
        {
          state: ctx.qualification.bant,
          outcome: null,
          message: inbound.body,
        },
      );
  if (asked || byKeyword) {
    await handOffOnRequest(deps, ctx, asked ? 'the prospect asked for a person' : byKeyword!);
    return;
  }
  if (ctx.state.agent === 'closer' && deps.closing) await closerTurn(deps, ctx);
  else await modelTurn(deps, ctx);
}

/**
 * Opt-out requests (carrier keywords, plain language) and SMS HELP/START are compliance
 * commands: answered by the compliance module's wording, never by the agent. An opt-out closes
 * the conversation after its one confirmation.
 */
/** A prospect who asked not to be contacted is no lead to pursue: the outcome says so, once. */
async function decideOptedOut(tx: Db, deps: ConversationServiceDeps, ctx: TurnContext): Promise<void> {
  await saveQualification(tx, deps, ctx, [{ fit: { disqualifier: 'opted_out' } }], {
    decide: true,
    state: ctx.state,
  });
  await flushAudits(tx, ctx);
}

async function complianceCommand(deps: ConversationServiceDeps, ctx: TurnContext): Promise<boolean> {
  const { inbound, conversation } = ctx;
  const base = {
    orgId: inbound.org_id,
    contactId: inbound.contact_id,
    channel: conversation.channel as Channel,
    conversationId: conversation.id,
    inboundId: inbound.id,
    now: deps.now(),
  };
  // Most messages are none of these: skip the transaction for them.
  if (!mayBeComplianceCommand(base.channel, inbound.body)) return false;
  const stored = await deps.db.transaction(async (tx) => {
    const command = await handleInboundText(tx, { ...base, message: inbound.body });
    let optedOut = command.action === 'opted_out';
    let reply = command.action === 'none' ? null : command.reply;
    if (command.action === 'none') {
      if (!detectOptOutRequest(inbound.body)) return null;
      const result = await handleOptOut(tx, {
        ...base,
        method: 'conversation',
        scope: 'all',
        message: inbound.body,
      });
      optedOut = true;
      reply = result.confirmation;
    }
    const message = reply
      ? await insertOutbound(tx, conversation, { ...reply, inReplyTo: inbound.id })
      : null;
    await markProcessed(tx, inbound, {
      compliance: command.action === 'none' ? 'opted_out' : command.action,
    });
    if (optedOut) {
      await decideOptedOut(tx, deps, ctx);
      await closeWithin(tx, conversation, 'opt_out', agentActor);
      deps.log.info(
        { orgId: inbound.org_id, conversationId: conversation.id },
        'prospect opted out in conversation',
      );
    }
    return { message, optedOut };
  });
  if (!stored) return false;
  if (stored.message) await deliverStored(deps, stored.message);
  if (stored.optedOut) publishMode(deps, conversation, 'closed', conversation.assigned_rep_id);
  return true;
}

/** A rep is talking: the agent says nothing but still records what the prospect tells. */
async function extractOnly(deps: ConversationServiceDeps, ctx: TurnContext): Promise<void> {
  const turn = createToolSession(deps, ctx);
  let result: QualifierTurnResult | null = null;
  try {
    result = await deps.qualifier.runTurn({
      context: await qualifierContext(deps, ctx),
      history: await conversationHistory(deps, ctx),
      task: 'extract',
      tools: toolSpecs(
        ['update_qualification', 'record_contact_details'].filter((name) => deps.tools.includes(name)),
      ),
      callTool: turn.callTool,
    });
  } catch (error) {
    deps.log.error({ err: error, conversationId: ctx.conversation.id }, 'extraction failed in human mode');
  }
  await deps.db.transaction(async (tx) => {
    await saveQualification(tx, deps, ctx, turn.patches, { decide: false, state: ctx.state });
    await saveContactFacts(tx, deps, ctx, turn.contactFacts);
    if (result) await recordAgentTurn(tx, ctx, result);
    await markProcessed(tx, ctx.inbound, { mode: 'human' });
    await flushAudits(tx, ctx);
  });
}

async function refuseInjection(deps: ConversationServiceDeps, ctx: TurnContext, rule: string): Promise<void> {
  const { inbound, conversation } = ctx;
  deps.log.warn(
    { orgId: inbound.org_id, conversationId: conversation.id, messageId: inbound.id, rule },
    'prompt injection attempt refused',
  );
  const message = await deps.db.transaction(async (tx) => {
    ctx.audits.push({
      orgId: inbound.org_id,
      actor: agentActor,
      action: 'agent.injection_refused',
      entityType: 'conversation',
      entityId: conversation.id,
      contactId: inbound.contact_id,
      outcome: 'refused',
      details: { rule, messageId: inbound.id, excerpt: inbound.body.slice(0, 200) },
    });
    return agentReply(tx, ctx, refusalLine(ctx.organization.name, conversation.id), { guardrail: rule });
  });
  await deliverStored(deps, message);
}

async function handOffOnRequest(
  deps: ConversationServiceDeps,
  ctx: TurnContext,
  reason: string,
): Promise<void> {
  const message = await deps.db.transaction(async (tx) => {
    const already = await requestHandoff(tx, ctx, reason);
    return agentReply(tx, ctx, await handoffReply(tx, deps, ctx, already), { handoff: reason });
  });
  await deliverStored(deps, message);
}

interface ToolSession {
  patches: BantPatch[];
  /** What the prospect said about themselves (`record_contact_details`), saved with the turn. */
  contactFacts: ContactFacts[];
  handoffReason: string | null;
  optOut: boolean;
  invalidCalls: number;
  callTool(name: string, input: unknown): Promise<ToolOutcome>;
}

/**
 * The tools of one turn. They close over this conversation and contact: no tool takes an id, so
 * whatever a prospect writes, the model can only change this prospect's qualification.
 */
function createToolSession(deps: ConversationServiceDeps, ctx: TurnContext): ToolSession {
  let working = ctx.qualification.bant;
  const decided: OutcomeDecision | null = ctx.state.outcome
    ? { outcome: ctx.state.outcome, reasons: ctx.qualification.reasons }
    : null;
  const session: ToolSession = {
    patches: [],
    contactFacts: [],
    handoffReason: null,
    optOut: false,
    invalidCalls: 0,
    async callTool(name, input) {
      const ignore = (error: string): ToolOutcome => {
        session.invalidCalls++;
        deps.log.warn(
          { orgId: ctx.conversation.org_id, conversationId: ctx.conversation.id, tool: name, error },
          'invalid tool call ignored',
        );
        return { isError: true, content: JSON.stringify({ ignored: true, error }) };
      };
      if (!deps.tools.includes(name)) return ignore(`unknown tool ${name}`);
      if (name === 'update_qualification') {
        const parsed = updateQualificationArgsSchema.safeParse(input);
        if (!parsed.success) return ignore(z.prettifyError(parsed.error));
        const now = deps.now();
        const patch = toBantPatch(parsed.data, now);
        session.patches.push(patch);
        working = mergeBant(working, patch);
        const decision = decided ?? evaluateOutcome(working, ctx.rules.qualification, now);
        return {
          isError: false,
          content: JSON.stringify({
            recorded: true,
            missing: missingItems(working),
            outcome: decision?.outcome ?? null,
            reasons: decision?.reasons ?? [],
            instruction: decision
              ? 'An outcome is decided: do not ask another qualifying question. Close warmly and say what happens next.'
              : 'Ask about the first missing item, one question only.',
          }),
        };
      }
      if (name === 'request_handoff') {
        const parsed = requestHandoffArgsSchema.safeParse(input);
        if (!parsed.success) return ignore(z.prettifyError(parsed.error));
        session.handoffReason = parsed.data.reason;
        return {
          isError: false,
          content: JSON.stringify({
            requested: true,
            instruction: 'Tell the prospect a person will join shortly.',
          }),
        };
      }
      if (name === 'record_contact_details') {
        const parsed = recordContactDetailsArgsSchema.safeParse(input ?? {});
        if (!parsed.success) return ignore(z.prettifyError(parsed.error));
        session.contactFacts.push(parsed.data);
        // Whether a fact is applied is decided on saving; the model is not told about other contacts.
        return { isError: false, content: JSON.stringify({ recorded: true }) };
      }
      if (name === 'record_opt_out') {
        const parsed = recordOptOutArgsSchema.safeParse(input ?? {});
        if (!parsed.success) return ignore(z.prettifyError(parsed.error));
        session.optOut = true;
        return { isError: false, content: JSON.stringify({ recorded: true }) };
      }
      return ignore(`unknown tool ${name}`);
    },
  };
  return session;
}

async function qualifierContext(deps: ConversationServiceDeps, ctx: TurnContext): Promise<QualifierContext> {
  const knowledge = retrieveKnowledge(ctx.knowledge, ctx.inbound.body, {
    limit: deps.limits.knowledgeEntries,
  });
  return {
    organization: { name: ctx.organization.name },
    channel: ctx.conversation.channel as Channel,
    disclosure: ctx.disclosure,
    knowledge,
    state: ctx.qualification.bant,
    missing: missingItems(ctx.qualification.bant),
    rules: ctx.rules.qualification,
    outcome: ctx.state.outcome ? { outcome: ctx.state.outcome, reasons: ctx.qualification.reasons } : null,
    // Once the prospect was told nobody is free, the model must not promise a person again.
    handoffRequested: Boolean(ctx.state.handoffRequestedAt) && !ctx.state.handoffUnansweredAt,
    firstName: ctx.contact.first_name,
    reachable: ctx.contact.reachable || ctx.conversation.channel !== 'web',
    agentTurns: ctx.state.agentTurns ?? 0,
    seed: ctx.conversation.id,
    now: deps.now(),
  };
}

async function modelTurn(deps: ConversationServiceDeps, ctx: TurnContext): Promise<void> {
  const { inbound, conversation } = ctx;
  const session = createToolSession(deps, ctx);
  const prefix = ctx.state.disclosed ? '' : `${ctx.disclosure}\n\n`;
  const publishDelta = (delta: string) =>
    deps.feed.publish({
      type: 'reply.delta',
      orgId: conversation.org_id,
      conversationId: conversation.id,
      inReplyTo: inbound.id,
      delta,
    });
  deps.feed.publish({
    type: 'typing',
    orgId: conversation.org_id,
    conversationId: conversation.id,
    actor: 'agent',
    state: 'start',
  });
  if (prefix) publishDelta(prefix);
  let result: QualifierTurnResult;
  let failed = false;
  try {
    result = await deps.qualifier.runTurn({
      context: await qualifierContext(deps, ctx),
      history: await conversationHistory(deps, ctx),
      task: 'reply',
      tools: toolSpecs(deps.tools),
      callTool: session.callTool,
      onText: publishDelta,
    });
  } catch (error) {
    deps.log.error(
      { err: error, orgId: conversation.org_id, conversationId: conversation.id },
      'qualifier model failed',
    );
    failed = true;
    result = {
      text: modelFailureLine,
      model: deps.qualifier.name,
      usage: { inputTokens: 0, outputTokens: 0 },
      costMicroUsd: 0,
    };
  } finally {
    deps.feed.publish({
      type: 'typing',
      orgId: conversation.org_id,
      conversationId: conversation.id,
      actor: 'agent',
      state: 'stop',
    });
  }

  if (session.optOut) {
    // The model recognized a request to stop that the patterns missed: same path as a keyword.
    const stored = await deps.db.transaction(async (tx) => {
      const optOut = await handleOptOut(tx, {
        orgId: inbound.org_id,
        contactId: inbound.contact_id,
        channel: conversation.channel as Channel,
        conversationId: conversation.id,
        inboundId: inbound.id,
        method: 'conversation',
        scope: 'all',
        message: inbound.body,
        now: deps.now(),
      });
      await recordAgentTurn(tx, ctx, result);
      const message = optOut.confirmation
        ? await insertOutbound(tx, conversation, { ...optOut.confirmation, inReplyTo: inbound.id })
        : null;
      await markProcessed(tx, inbound, { compliance: 'opted_out', by: 'model' });
      await decideOptedOut(tx, deps, ctx);
      await closeWithin(tx, conversation, 'opt_out', agentActor);
      return message;
    });
    if (stored) await deliverStored(deps, stored);
    publishMode(deps, conversation, 'closed', conversation.assigned_rep_id);
    return;
  }

  const message = await deps.db.transaction(async (tx) => {
    await recordAgentTurn(tx, ctx, result);
    const current = await tx.query<ConversationRow>(
      'select * from conversations where org_id = $1 and id = $2 for update',
      [conversation.org_id, conversation.id],
    );
    const live = current[0]!;
    const saved = await saveQualification(tx, deps, ctx, session.patches, {
      decide: live.mode === 'ai',
      state: agentStateOf(live),
    });
    await saveContactFacts(tx, deps, ctx, session.contactFacts);
    if (live.mode !== 'ai' || live.status !== 'open') {
      // A rep took over (or the conversation closed) while the model was thinking: stay silent.
      await markProcessed(tx, inbound, { suppressed: `mode ${live.mode}` });
      await flushAudits(tx, ctx);
      return null;
    }
    let text = result.text.trim();
    const byRule = ctx.state.ruleHandoff
      ? null
      : handoffByRules(
          { ...ctx.rules.handoff, keywords: [] },
          {
            state: saved.bant,
            outcome: saved.outcome,
            message: inbound.body,
          },
        );
    const ruleReason = session.handoffReason ?? (failed ? 'the agent could not answer' : null) ?? byRule;
    if (ruleReason) {
      if (byRule && ruleReason === byRule) await patchAgentState(tx, conversation, { ruleHandoff: true });
      const already = await requestHandoff(tx, ctx, ruleReason);
      // The model did not know about a rule-triggered handoff; tell the prospect.
      if (!session.handoffReason && !failed && !already)
        text = `${text}\n\n${handoffLine(false, conversation.id)}`.trim();
    }
    if (!text) {
      // A model that only called tools still owes the prospect an answer: the next question.
      const next = saved.outcome ? null : missingItems(saved.bant)[0];
      text = next
        ? question(next, ctx.organization.name, conversation.id, ctx.state.agentTurns ?? 0)
        : 'Is there anything else I can help you with?';
    }
    return agentReply(tx, ctx, text, {
      model: result.model,
      ...(session.invalidCalls > 0 ? { invalidToolCalls: session.invalidCalls } : {}),
      ...(failed ? { modelFailed: true } : {}),
    });
  });
  if (message) await deliverStored(deps, message);
}

/**
 * Applies the turn's patches to the contact's current qualification (re-read under a row lock, so
 * two conversations of one contact never overwrite each other), decides the outcome once per
 * conversation, and announces the change so the lead is re-scored.
 */
async function saveQualification(
  tx: Db,
  deps: ConversationServiceDeps,
  ctx: TurnContext,
  patches: BantPatch[],
  options: { decide: boolean; state: AgentState },
): Promise<QualificationRecord> {
  const { conversation, inbound } = ctx;
  const orgId = conversation.org_id;
  const contactRows = await tx.query<{ qualification: unknown; status: string }>(
    'select qualification, status from contacts where org_id = $1 and id = $2 for update',
    [orgId, conversation.contact_id],
  );
  const fresh = readQualification(contactRows[0]?.qualification);
  const status = contactRows[0]?.status ?? 'new';
  const bant = patches.reduce(mergeBant, fresh.bant);
  const counted = await tx.query<{ count: number }>(
    `select count(*)::int as count from messages where org_id = $1 and contact_id = $2 and direction = 'inbound'`,
    [orgId, conversation.contact_id],
  );
  const now = deps.now();
  const { state } = options;
  const decision =
    options.decide && !state.outcome ? evaluateOutcome(bant, ctx.rules.qualification, now) : null;
  const next: QualificationRecord = {
    ...fresh,
    bant,
    engagement: { ...fresh.engagement, messages: counted[0]?.count ?? fresh.engagement.messages },
    outcome: decision?.outcome ?? fresh.outcome,
    reasons: decision?.reasons ?? fresh.reasons,
  };
  const bantChanged = JSON.stringify(bant) !== JSON.stringify(fresh.bant);
  const changed = bantChanged || decision !== null || next.engagement.messages !== fresh.engagement.messages;
  if (changed) {
    next.updatedAt = now.toISOString();
    if (decision) {
      next.decidedAt = now.toISOString();
      next.conversationId = conversation.id;
    }
    const newStatus =
      decision?.outcome === 'NURTURE'
        ? 'nurture'
        : decision?.outcome === 'DISQUALIFIED'
          ? 'disqualified'
          : null;
    const becomesQualifying = !newStatus && options.decide && (status === 'new' || status === 'scored');
    await tx.query(
      `update contacts set qualification = $3,
         status = case when status in ('new', 'scored', 'qualifying') then coalesce($4, status) else status end,
         updated_at = now()
       where org_id = $1 and id = $2`,
      [
        orgId,
        conversation.contact_id,
        JSON.stringify(next),
        newStatus ?? (becomesQualifying ? 'qualifying' : null),
      ],
    );
    await emitEvent(tx, 'lead.updated', {
      orgId,
      contactId: conversation.contact_id,
      fields: ['qualification'],
    });
    if (becomesQualifying) {
      await emitEvent(tx, 'lead.qualification.started', {
        orgId,
        contactId: conversation.contact_id,
        conversationId: conversation.id,
        channel: conversation.channel,
      });
    }
    if (bantChanged) {
      ctx.audits.push({
        orgId,
        actor: agentActor,
        action: 'qualification.updated',
        entityType: 'contact',
        entityId: conversation.contact_id,
        contactId: conversation.contact_id,
        details: {
          conversationId: conversation.id,
          messageId: inbound.id,
          items: [...new Set(patches.flatMap((patch) => Object.keys(patch)))],
        },
      });
    }
  }
  if (decision) {
    await patchAgentState(tx, conversation, { outcome: decision.outcome });
    await emitEvent(tx, 'lead.qualified', {
      orgId,
      contactId: conversation.contact_id,
      conversationId: conversation.id,
      outcome: decision.outcome,
      reasons: decision.reasons,
    });
    ctx.audits.push({
      orgId,
      actor: agentActor,
      action: 'lead.qualified',
      entityType: 'contact',
      entityId: conversation.contact_id,
      contactId: conversation.contact_id,
      details: { conversationId: conversation.id, outcome: decision.outcome, reasons: decision.reasons },
    });
  }
  return next;
}

/** The turn's contact facts onto the contact, with this message as their source. */
async function saveContactFacts(
  tx: Db,
  deps: ConversationServiceDeps,
  ctx: TurnContext,
  statements: ContactFacts[],
): Promise<void> {
  if (statements.length === 0) return;
  const { audits } = await applyContactFacts(tx, {
    orgId: ctx.conversation.org_id,
    contactId: ctx.conversation.contact_id,
    facts: mergeContactFacts(statements),
    origin: { conversationId: ctx.conversation.id, messageId: ctx.inbound.id },
    actor: agentActor,
    now: deps.now(),
  });
  ctx.audits.push(...audits);
}
