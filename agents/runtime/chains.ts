import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { type EventName, eventSchemas } from '../../core/events.ts';
import { type AgentName, agentNames, LoadoutError } from './agent-config.ts';

/**
 * `agents/chains.json`: which agents act, in which order, on which events. Chain names are the
 * object's keys, so two chains cannot share a name; an unknown agent or event is refused with
 * the chain and step named.
 */
export const chainNames = ['full-auto', 'hybrid', 'inbound', 're-engage'] as const;
export type ChainName = (typeof chainNames)[number];

const eventNames = Object.keys(eventSchemas) as [EventName, ...EventName[]];

export const chainStepSchema = z.strictObject({
  agent: z.enum(agentNames, {
    error: (issue) => `unknown agent ${JSON.stringify(issue.input)} (known: ${agentNames.join(', ')})`,
  }),
  on: z.enum(eventNames, {
    error: (issue) => `unknown event ${JSON.stringify(issue.input)} (known: ${eventNames.join(', ')})`,
  }),
  /** A condition on the event, in words (e.g. "mode is A"). */
  when: z.string().trim().min(1).max(200).optional(),
  does: z.string().trim().min(1).max(300),
});
export type ChainStep = z.infer<typeof chainStepSchema>;

export const chainSchema = z.strictObject({
  description: z.string().trim().min(1).max(500),
  steps: z.array(chainStepSchema).min(1).max(20),
});
export type Chain = z.infer<typeof chainSchema>;

export const chainsSchema = z
  .record(z.string().regex(/^[a-z][a-z-]*$/, 'chain names are lower-case words joined by "-"'), chainSchema)
  .superRefine((chains, ctx) => {
    for (const name of chainNames) {
      if (!(name in chains)) ctx.addIssue({ code: 'custom', message: 'required chain', path: [name] });
    }
  });
export type Chains = Record<ChainName, Chain> & Record<string, Chain>;

/** The shipped `agents/` folder. */
export const defaultAgentsDir = fileURLToPath(new URL('../', import.meta.url));

export const chainsFile = (agentsDir: string = defaultAgentsDir) => path.join(agentsDir, 'chains.json');

const shown = (file: string) => path.relative(process.cwd(), file) || file;

/** Reads and checks `chains.json`; throws `LoadoutError` naming the file, chain, step and field. */
export function loadChains(file: string = chainsFile()): Chains {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new LoadoutError(`${shown(file)}: ${(error as Error).message}`);
  }
  const parsed = chainsSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const [chain, , step] = issue.path;
      const where =
        step === undefined
          ? issue.path.join('.') || '(root)'
          : `chain "${String(chain)}" step ${Number(step) + 1} (${issue.path.join('.')})`;
      return `  ${where}: ${issue.message}`;
    });
    throw new LoadoutError(`${shown(file)} is not valid:\n${lines.join('\n')}`);
  }
  return parsed.data as Chains;
}

/** The agents of a chain, in order, each once. */
export function chainAgents(name: ChainName, chains: Chains = loadChains()): AgentName[] {
  return [...new Set(chains[name].steps.map((step) => step.agent))];
}
