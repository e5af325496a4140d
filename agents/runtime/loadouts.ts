import path from 'node:path';
import { type AgentName, agentNames, type Loadout, loadLoadout } from './agent-config.ts';
import { type Chains, chainsFile, defaultAgentsDir, loadChains } from './chains.ts';

export interface AllLoadouts {
  loadouts: Record<AgentName, Loadout>;
  chains: Chains;
}

/**
 * Loads and checks all seven loadouts (`agents/<name>/`) and `agents/chains.json`. The server
 * calls it at start-up, so an invalid loadout, a tool that does not exist or a chain naming an
 * unknown agent or event stops it with the file and field named (`LoadoutError`).
 */
export function loadAllLoadouts(agentsDir: string = defaultAgentsDir): AllLoadouts {
  const loadouts = {} as Record<AgentName, Loadout>;
  for (const name of agentNames) {
    loadouts[name] = loadLoadout(path.join(agentsDir, name), name);
  }
  return { loadouts, chains: loadChains(chainsFile(agentsDir)) };
}
