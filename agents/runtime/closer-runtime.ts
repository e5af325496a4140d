import { fileURLToPath } from 'node:url';
import type { CloserModel } from '../../core/closing/closer-model.ts';
import { createOfflineCloser } from '../offline-model/offline-closer.ts';
import { type Loadout, LoadoutError, loadLoadout } from './agent-config.ts';
import { createClaudeCloser } from './claude-closer.ts';

export const closerLoadoutDir = fileURLToPath(new URL('../closer/', import.meta.url));

/**
 * The closer as the composition root wires it (routing mode A): its loadout (agents/closer,
 * validated; an invalid one stops the server), Claude when ANTHROPIC_API_KEY is set, else the
 * offline closer, and the tools the loadout enables.
 */
export function createCloserRuntime(
  options: { env?: { ANTHROPIC_API_KEY?: string; ANTHROPIC_BASE_URL?: string }; loadoutDir?: string } = {},
): { model: CloserModel; loadout: Loadout; tools: readonly string[] } {
  const loadout = loadLoadout(options.loadoutDir ?? closerLoadoutDir, 'closer');
  if (!loadout.prompts.system) throw new LoadoutError(`${loadout.dir}: the closer needs a system prompt`);
  const apiKey = options.env?.ANTHROPIC_API_KEY;
  const model = apiKey
    ? createClaudeCloser({
        loadout,
        apiKey,
        ...(options.env?.ANTHROPIC_BASE_URL ? { baseURL: options.env.ANTHROPIC_BASE_URL } : {}),
      })
    : createOfflineCloser({ competitors: loadout.config.offline?.competitors ?? [] });
  return { model, loadout, tools: loadout.config.tools };
}
