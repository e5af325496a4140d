import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fullAutoChain } from '../../core/routing/route-lead.ts';
import { agentNames, knownTools, LoadoutError } from './agent-config.ts';
import { chainAgents, defaultAgentsDir, loadChains } from './chains.ts';
import { loadAllLoadouts } from './loadouts.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The parts of the JSON files these cases change. */
interface Json {
  agent: string;
  model: { temperature: number };
  limits?: Record<string, number>;
  tools: string[];
  [key: string]: unknown;
}
type ChainsJson = Record<string, { steps: Record<string, unknown>[] }>;
const chains = (json: Json) => json as unknown as ChainsJson;

/** A copy of the whole `agents/` folder (loadouts and chains) with `change` applied to one JSON file. */
function agentsVariant(file: string, change: (json: Json) => void): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'agents-'));
  dirs.push(dir);
  for (const name of agentNames)
    cpSync(path.join(defaultAgentsDir, name), path.join(dir, name), { recursive: true });
  cpSync(path.join(defaultAgentsDir, 'chains.json'), path.join(dir, 'chains.json'));
  const target = path.join(dir, file);
  const json = JSON.parse(readFileSync(target, 'utf8'));
  change(json);
  writeFileSync(target, JSON.stringify(json));
  return dir;
}

function refusal(dir: string): string {
  try {
    loadAllLoadouts(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(LoadoutError);
    return (error as Error).message;
  }
  throw new Error('expected loadAllLoadouts to refuse');
}

describe('all loadouts and chains', () => {
  it('loads the seven shipped loadouts and the four chains', () => {
    const { loadouts, chains } = loadAllLoadouts();
    expect(Object.keys(loadouts)).toEqual([...agentNames]);
    for (const name of agentNames) {
      const loadout = loadouts[name];
      expect(loadout.config.agent).toBe(name);
      expect(loadout.prompts.system?.length).toBeGreaterThan(50);
      expect(loadout.config.costs[loadout.config.model.name]).toBeDefined();
      for (const tool of loadout.config.tools) expect(knownTools[name]).toContain(tool);
    }
    expect(loadouts.outreach.prompts['first-touch']).toContain('{{disclosure}}');
    expect(Object.keys(chains).sort()).toEqual(['full-auto', 'hybrid', 'inbound', 're-engage']);
  });

  it('runs mode A through the full-auto chain routing records', () => {
    expect(chainAgents('full-auto')).toEqual(fullAutoChain.map((step) => step.agent));
    expect(loadChains()['full-auto'].steps[0]).toMatchObject({ agent: 'closer', on: 'lead.routed' });
  });

  it.each([
    [
      'a temperature out of range',
      'closer/agent.config.json',
      (c: Json) => (c.model.temperature = 1.5),
      /closer\/agent\.config\.json[\s\S]*model\.temperature: Too big/,
    ],
    [
      'an unknown field',
      'scout/agent.config.json',
      (c: Json) => (c.temprature = 0.2),
      /scout\/agent\.config\.json[\s\S]*Unrecognized key: "temprature"/,
    ],
    [
      'an unknown limit',
      'ops/agent.config.json',
      (c: Json) => (c.limits!.leadsPerHour = 5),
      /ops\/agent\.config\.json[\s\S]*limits[\s\S]*Unrecognized key: "leadsPerHour"/,
    ],
    [
      'a qualifier without its limits',
      'qualifier/agent.config.json',
      (c: Json) => delete c.limits,
      /qualifier\/agent\.config\.json[\s\S]*limits\.maxMessageChars: required for the qualifier/,
    ],
    [
      'a tool that does not exist',
      'researcher/agent.config.json',
      (c: Json) => c.tools.push('scrape_linkedin'),
      /researcher\/agent\.config\.json: tools: scrape_linkedin is not a tool of the researcher/,
    ],
    [
      'a tool of another agent',
      'demo/agent.config.json',
      (c: Json) => c.tools.push('send_payment_link'),
      /demo\/agent\.config\.json: tools: send_payment_link is not a tool of the demo \(known: offer_demo_slots, book_demo\)/,
    ],
    [
      'a loadout in the wrong folder',
      'outreach/agent.config.json',
      (c: Json) => (c.agent = 'closer'),
      /outreach\/agent\.config\.json: agent: "closer" in the folder of the outreach/,
    ],
    [
      'a chain with an unknown agent',
      'chains.json',
      (c: Json) => (chains(c).hybrid!.steps[1]!.agent = 'negotiator'),
      /chains\.json[\s\S]*chain "hybrid" step 2 \(hybrid\.steps\.1\.agent\): unknown agent "negotiator"/,
    ],
    [
      'a chain with an unknown event',
      'chains.json',
      (c: Json) => (chains(c)['full-auto']!.steps[2]!.on = 'deal.won'),
      /chains\.json[\s\S]*chain "full-auto" step 3 \(full-auto\.steps\.2\.on\): unknown event "deal\.won"/,
    ],
    [
      'a chain step with an unknown field',
      'chains.json',
      (c: Json) => (chains(c).inbound!.steps[0]!.after = 'scout'),
      /chains\.json[\s\S]*chain "inbound" step 1[\s\S]*Unrecognized key: "after"/,
    ],
    [
      'a missing chain',
      'chains.json',
      (c: Json) => delete chains(c)['re-engage'],
      /chains\.json[\s\S]*re-engage: required chain/,
    ],
  ])('refuses %s, naming the file and field', (_name, file, change, message) => {
    expect(refusal(agentsVariant(file, change))).toMatch(message);
  });

  it('refuses a missing prompt file and a missing loadout', () => {
    const noPrompt = agentsVariant('outreach/agent.config.json', () => {});
    unlinkSync(path.join(noPrompt, 'outreach/prompts/first-touch.md'));
    expect(refusal(noPrompt)).toMatch(
      /outreach\/agent\.config\.json: prompts\.first-touch: prompts\/first-touch\.md does not exist/,
    );
    const noLoadout = agentsVariant('chains.json', () => {});
    rmSync(path.join(noLoadout, 'demo'), { recursive: true });
    expect(refusal(noLoadout)).toMatch(/demo\/agent\.config\.json: ENOENT/);
  });
});
