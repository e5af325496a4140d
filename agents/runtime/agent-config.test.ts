import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LoadoutError, loadQualifierLoadout, qualifierLoadoutDir, turnCostMicroUsd } from './agent-config.ts';

/** The parts of agent.config.json these cases change. */
interface LoadoutJson {
  model: { name: string; temperature: number };
  limits: Record<string, number>;
  channels: string[];
  tools: string[];
  [key: string]: unknown;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the qualifier loadout with `change` applied to its config. */
function variant(change: (config: LoadoutJson) => void, files: Record<string, string | null> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadout-'));
  dirs.push(dir);
  cpSync(qualifierLoadoutDir, dir, { recursive: true });
  const file = path.join(dir, 'agent.config.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  change(config);
  writeFileSync(file, JSON.stringify(config));
  for (const [name, text] of Object.entries(files)) {
    if (text === null) unlinkSync(path.join(dir, name));
    else writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('qualifier loadout', () => {
  it('loads the shipped loadout', () => {
    const loadout = loadQualifierLoadout();
    expect(loadout.config).toMatchObject({ agent: 'qualifier', model: { provider: 'anthropic' } });
    expect(loadout.prompts.system).toContain('BANT+');
    expect(
      turnCostMicroUsd(loadout.config, 'claude-sonnet-5-5', { inputTokens: 1_000_000, outputTokens: 0 }),
    ).toBe(2_000_000);
  });

  it.each([
    [
      'a temperature out of range',
      (c: LoadoutJson) => (c.model.temperature = 3),
      /model\.temperature: Too big/,
    ],
    ['an unknown field', (c: LoadoutJson) => (c.modle = {}), /Unrecognized key: "modle"/],
    ['a missing limit', (c: LoadoutJson) => delete c.limits.maxMessageChars, /limits\.maxMessageChars/],
    [
      'a model without a price',
      (c: LoadoutJson) => (c.model.name = 'claude-unknown'),
      /costs: costs must have an entry/,
    ],
    ['a channel that does not exist', (c: LoadoutJson) => c.channels.push('fax'), /channels\.\d/],
    [
      'a tool the qualifier does not have',
      (c: LoadoutJson) => c.tools.push('send_invoice'),
      /tools: send_invoice is not a tool of the qualifier/,
    ],
  ])('refuses %s, naming the file and field', (_name, change, message) => {
    const dir = variant(change);
    expect(() => loadQualifierLoadout(dir)).toThrow(LoadoutError);
    expect(() => loadQualifierLoadout(dir)).toThrow(/agent\.config\.json/);
    expect(() => loadQualifierLoadout(dir)).toThrow(message);
  });

  it('refuses broken JSON, a missing prompt and an unknown placeholder', () => {
    const broken = variant(() => {}, { 'agent.config.json': '{ "agent": ' });
    expect(() => loadQualifierLoadout(broken)).toThrow(/agent\.config\.json: .*JSON/);
    const noPrompt = variant(() => {}, { 'prompts/system.md': null });
    expect(() => loadQualifierLoadout(noPrompt)).toThrow(
      /prompts\.system: prompts\/system\.md does not exist/,
    );
    const badPlaceholder = variant(() => {}, { 'prompts/system.md': 'Hello {{organisation}}' });
    expect(() => loadQualifierLoadout(badPlaceholder)).toThrow(/unknown placeholder \{\{organisation\}\}/);
  });
});
