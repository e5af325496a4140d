import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
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

const usdPerMillionTokens = z.number().min(0).max(10_000);

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
    channels: z.array(z.enum(channels)).min(1),
    limits: z.strictObject({
      maxMessageChars: z.number().int().min(100).max(100_000),
      messagesPerMinute: z.number().int().min(1).max(10_000),
      historyMessages: z.number().int().min(2).max(200),
      knowledgeEntries: z.number().int().min(0).max(50),
      /** Model calls per turn (each tool round trip is one). */
      maxToolRounds: z.number().int().min(1).max(10),
      modelTimeoutMs: z.number().int().min(1_000).max(600_000),
    }),
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
  });
export type AgentConfig = z.infer<typeof agentConfigSchema>;

export interface Loadout {
  dir: string;
  config: AgentConfig;
  /** Prompt texts by role. */
  prompts: Record<string, string>;
}

export class LoadoutError extends Error {
  override name = 'LoadoutError';
}

/** Tools each agent's runtime implements; a loadout naming any other tool is refused. */
export const knownTools: Partial<Record<(typeof agentNames)[number], readonly string[]>> = {
  qualifier: qualifierToolNames,
};

export const qualifierLoadoutDir = fileURLToPath(new URL('../qualifier/', import.meta.url));

const shown = (file: string) => path.relative(process.cwd(), file) || file;

/** Reads and checks a loadout; throws `LoadoutError` naming the file and field. */
export function loadLoadout(dir: string): Loadout {
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
  const tools = knownTools[config.agent];
  if (tools) {
    const unknown = config.tools.filter((tool) => !tools.includes(tool));
    if (unknown.length > 0) {
      throw new LoadoutError(
        `${shown(file)}: tools: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a tool of the ${config.agent} (known: ${tools.join(', ')})`,
      );
    }
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

export function loadQualifierLoadout(dir: string = qualifierLoadoutDir): Loadout {
  const loadout = loadLoadout(dir);
  if (loadout.config.agent !== 'qualifier') {
    throw new LoadoutError(`${shown(path.join(dir, 'agent.config.json'))}: agent: expected "qualifier"`);
  }
  return loadout;
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
