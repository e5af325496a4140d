import type { Channel } from '../outbound-message.ts';

/** The part of an organization the disclosure needs (an `Organization` fits). */
export interface DisclosingOrganization {
  name: string;
  settings: { aiDisclosure?: string };
}

/**
 * The sentence that tells a prospect they are dealing with AI. The organization's own text wins;
 * without one a plain default is used, so there is never an AI conversation or call without it.
 */
export function aiDisclosure(org: DisclosingOrganization, channel?: Channel): string {
  const custom = org.settings.aiDisclosure?.trim();
  if (custom) return custom;
  return channel === 'voice'
    ? `This call uses AI technology: you are speaking with an AI assistant calling for ${org.name}.`
    : `You're chatting with ${org.name}'s AI assistant. A person can take over at any time.`;
}

/**
 * Opens an AI call script with the disclosure. There is deliberately no switch to leave it out:
 * an AI or prerecorded voice must identify itself at the start of every call.
 */
export function withAiDisclosure(org: DisclosingOrganization, script: string): string {
  const disclosure = aiDisclosure(org, 'voice');
  return script.trimStart().startsWith(disclosure) ? script : `${disclosure}\n\n${script}`;
}
