import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { closerToolNames } from '../../core/closing/closer-tools.ts';
import { channels } from '../../core/outbound-message.ts';
import { qualifierToolNames } from '../../core/qualification/qualifier-tools.ts';
import { promptPlaceholders } from './system-prompt.ts';

/**
 * An agent loadout: `agents/<name>/agent.config.json` plus its prompt files. The runtime reads
 * model, temperature, limits, tools and prompts from here, so changing the file changes what is
 * sent to the model. A loadout that does not parse stops the server at start-up with the file
 * and field named.
 */
export const agentNames = ['scout', 'researcher', 'qualifier', 'outreach', 'closer', 'demo', 'ops'] as const;

export type AgentName = (typeof agentNames)[number];

const usdPerMillionTokens = z.number().min(0).max(10_000);

/** The limits the qualifier's conversation service enforces. */
export const qualifierLimitsSchema = z.strictObject({
  maxMessageChars: z.number().int().min(100).max(100_000),
  messagesPerMinute: z.number().int().min(1).max(10_000),
  historyMessages: z.number().int().min(2).max(200),
  knowledgeEntries: z.number().int().min(0).max(50),
  /** Model calls per turn (each tool round trip is one). */
  maxToolRounds: z.number().int().min(1).max(10),
  modelTimeoutMs: z.number().int().min(1_000).max(600_000),
});
export type QualifierLimits = z.infer<typeof qualifierLimitsSchema>;

/** Any agent may set any of these; none is required except by the qualifier. */
const limitsSchema = z.strictObject({
  ...qualifierLimitsSchema.partial().shape,
  /** Outbound messages one contact may receive from this agent per day. */
  messagesPerContactPerDay: z.number().int().min(1).max(100).optional(),
});

export const agentConfigSchema = z
  .strictObject({
    agent: z.enum(agentNames),
    description: z.string().trim().min(1).max(500),
    model: z.strictObject({
      provider: z.literal('anthropic'),
      name: z.string().trim().min(1).max(100),
      temperature: z.number().min(0).max(1),
      maxTokens: z.number().int().min(16).max(64_000),
    }),
    /** Prompt files by role, relative to the loadout folder; `system` is required. */
    prompts: z
      .record(
        z.string().regex(/^[a-z][a-z-]*$/),
        z.string().regex(/^prompts\/[\w.-]+\.md$/, 'must be prompts/<file>.md'),
      )
      .refine((prompts) => 'system' in prompts, { message: 'a system prompt is required' }),
    tools: z.array(z.string().min(1)).max(20),
    /** Channels the agent writes on; none for agents that send nothing (researcher, ops). */
    channels: z.array(z.enum(channels)).max(channels.length),
    /** Optional in general; the qualifier needs every one of `qualifierLimitsSchema` (checked below). */
    limits: limitsSchema.optional(),
    /** Price per model, US dollars per million tokens; the configured model must have one. */
    costs: z.record(
      z.string().min(1),
      z.strictObject({ inputUsdPerMTok: usdPerMillionTokens, outputUsdPerMTok: usdPerMillionTokens }),
    ),
    /** The offline model's settings. */
    offline: z.strictObject({ competitors: z.array(z.string().trim().min(1).max(100)).max(200) }).optional(),
  })
  .refine((config) => config.model.name in config.costs, {
    message: 'costs must have an entry for the configured model',
    path: ['costs'],
  })
  .superRefine((config, ctx) => {
    if (config.agent !== 'qualifier') return;
    for (const key of Object.keys(qualifierLimitsSchema.shape)) {
      if (config.limits?.[key as keyof QualifierLimits] === undefined) {
        ctx.addIssue({ code: 'custom', message: 'required for the qualifier', path: ['limits', key] });
      }
    }
  });
export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type QualifierConfig = AgentConfig & { agent: 'qualifier'; limits: QualifierLimits };

export interface Loadout<Config extends AgentConfig = AgentConfig> {
  dir: string;
  config: Config;
  /** Prompt texts by role. */
  prompts: Record<string, string>;
}

export class LoadoutError extends Error {
  override name = 'LoadoutError';
}

export type QualifierLoadout = Loadout<QualifierConfig>;

/**
 * Tools each agent has in the product today, by the function that implements it; a loadout
 * naming any other tool is refused. Scout has none yet (see its LOADOUT.md).
 */
export const knownTools: Record<AgentName, readonly string[]> = {
  scout: [],
  // core/enrichment/enrich-lead.ts `enrichLead` (offline domain facts, Perplexity when keyed)
  researcher: ['enrich_lead'],
  qualifier: qualifierToolNames,
  // core/conversations/conversation-service.ts `startQualification` (the first touch)
  outreach: ['start_qualification'],
  // core/closing/closer-turn.ts, the closer's turns in routing mode A (core/closing/closer-tools.ts)
  closer: closerToolNames,
  // the same turns book demos (core/meetings): the demo agent's tools, run by the closer
  demo: ['offer_demo_slots', 'book_demo'],
  // core/routing/route-lead.ts `assignAllQueuedLeads` (routing-queue cron)
  // core/closing/customer-onboarding.ts `onboardCustomer` (customer-onboarding workflow)
  ops: ['assign_queued_leads', 'onboard_customer'],
};

export const qualifierLoadoutDir = fileURLToPath(new URL('../qualifier/', import.meta.url));

const shown = (file: string) => path.relative(process.cwd(), file) || file;

/**
 * Reads and checks a loadout; throws `LoadoutError` naming the file and field. With `expected`,
 * the file must be that agent's (a loadout copied into another agent's folder is refused).
 */
export function loadLoadout(dir: string, expected?: AgentName): Loadout {
  const file = path.join(dir, 'agent.config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new LoadoutError(`${shown(file)}: ${(error as Error).message}`);
  }
  const parsed = agentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new LoadoutError(`${shown(file)} is not a valid agent loadout:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  if (expected && config.agent !== expected) {
    throw new LoadoutError(`${shown(file)}: agent: "${config.agent}" in the folder of the ${expected}`);
  }
  const tools = knownTools[config.agent];
  const unknown = config.tools.filter((tool) => !tools.includes(tool));
  if (unknown.length > 0) {
    throw new LoadoutError(
      `${shown(file)}: tools: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a tool of the ${config.agent} (known: ${tools.join(', ') || 'none yet'})`,
    );
  }
  const prompts: Record<string, string> = {};
  for (const [role, relative] of Object.entries(config.prompts)) {
    const promptFile = path.join(dir, relative);
    if (!existsSync(promptFile))
      throw new LoadoutError(`${shown(file)}: prompts.${role}: ${relative} does not exist`);
    const text = readFileSync(promptFile, 'utf8');
    const unknownPlaceholders = [...text.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)]
      .map((match) => match[1]!)
      .filter((name) => !promptPlaceholders.includes(name));
    if (unknownPlaceholders.length > 0) {
      throw new LoadoutError(
        `${shown(promptFile)}: unknown placeholder ${unknownPlaceholders.map((name) => `{{${name}}}`).join(', ')} (known: ${promptPlaceholders.join(', ')})`,
      );
    }
    prompts[role] = text;
  }
  return { dir, config, prompts };
}

export function loadQualifierLoadout(dir: string = qualifierLoadoutDir): QualifierLoadout {
  const loadout = loadLoadout(dir);
  if (loadout.config.agent !== 'qualifier') {
    throw new LoadoutError(`${shown(path.join(dir, 'agent.config.json'))}: agent: expected "qualifier"`);
  }
  // The schema required every qualifier limit for agent "qualifier".
  return loadout as QualifierLoadout;
}

/** Micro-dollars for a turn's tokens at the loadout's price for `model`. */
export function turnCostMicroUsd(
  config: AgentConfig,
  model: string,
  usage: { inputTokens: number; outputTokens: number },
): number {
  const price = config.costs[model] ?? config.costs[config.model.name];
  if (!price) return 0;
  // Dollars per million tokens are micro-dollars per token.
  return Math.round(usage.inputTokens * price.inputUsdPerMTok + usage.outputTokens * price.outputUsdPerMTok);
}
