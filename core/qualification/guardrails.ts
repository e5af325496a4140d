import { isPlainLanguageOptOut, parseSmsKeyword } from '../compliance/opt-out.ts';
import type { Channel } from '../outbound-message.ts';

/**
 * Checks on the prospect's text that run before any model sees it. They are deliberately plain
 * patterns: they must work the same with the offline model and with Claude, and a false positive
 * costs one polite sentence, never data.
 */

function normalize(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

const injectionPatterns: { rule: string; pattern: RegExp }[] = [
  {
    rule: 'override_instructions',
    pattern:
      /\b(ignore|disregard|forget|override|bypass|skip)\b.{0,30}\b(previous|prior|above|earlier|preceding|original|system|your|all|these|those|the)\b.{0,20}\b(instructions?|prompts?|rules|directions|guidelines|directives|programming)\b/,
  },
  {
    rule: 'reveal_prompt',
    pattern:
      /\b(print|show|reveal|display|repeat|output|dump|leak|tell me|give me|share|what (is|are|were))\b.{0,30}\b(system|initial|original|hidden|secret|internal|your|the)\s+(prompt|instructions?|rules|guidelines|configuration|directives)\b/,
  },
  { rule: 'system_prompt', pattern: /\b(system|developer|hidden)\s+(prompt|message|instructions?)\b/ },
  {
    rule: 'role_change',
    pattern:
      /\b(you are now|from now on,? you|act as (an? )?(unrestricted|different|new)|pretend (to be|you are)|roleplay as|developer mode|jailbreak|do anything now|\bdan mode\b)/,
  },
  {
    rule: 'other_contacts_data',
    pattern:
      /\b(list|show|give|tell|send|export|dump|share|print|read)\b.{0,40}\b(other|all|every|another|your)\s+(customers?|clients?|contacts?|leads?|users?|prospects?|accounts?|visitors?|conversations?)('s|s'|')?\b/,
  },
  {
    rule: 'other_contacts_data',
    pattern:
      /\b(other|another|previous)\s+(customers?|clients?|contacts?|leads?|users?|prospects?|visitors?)('s|s'|')?\s+(emails?|e-mails?|phones?|numbers?|data|details|names|info|information|conversations?|messages?)\b/,
  },
  {
    rule: 'secrets',
    pattern:
      /\b(api[ _-]?keys?|passwords?|credentials|access tokens?|database (dump|contents)|connection string)\b.{0,20}\b(show|give|tell|print|reveal|send|what)\b|\b(show|give|tell|print|reveal|send)\b.{0,30}\b(api[ _-]?keys?|passwords?|credentials|access tokens?)\b/,
  },
  { rule: 'sql', pattern: /\b(select \* from|drop table|union select|insert into)\b/ },
];

/** A message that tries to change the agent's instructions or extract what it must not share. */
export function detectInjection(text: string): { rule: string } | null {
  const normalized = normalize(text);
  const hit = injectionPatterns.find(({ pattern }) => pattern.test(normalized));
  return hit ? { rule: hit.rule } : null;
}

const humanWords =
  '(a |an |some |the |your |one of your |real |actual |live )*(real |actual |live )?(person|human|human being|someone|somebody|rep|representative|sales ?rep|sales ?person|salesperson|agent|people|team member|manager|operator)';

const handoffPatterns: RegExp[] = [
  new RegExp(`\\b(talk|speak|chat)( directly)? (to|with) ${humanWords}\\b`),
  new RegExp(`\\b(connect|transfer|put|pass|hand) me (to|with|through to|over to|on to) ${humanWords}\\b`),
  /\b(human|person|real person|live agent|operator|representative)[,!.]? (please|pls|plz)\b/,
  /^(please )?(human|agent|operator|representative|real person|a human|a person)[\s!.?]*$/,
  new RegExp(
    `\\b(can|could|may) i (get|have|talk to|speak to|speak with|talk with) ${humanWords}\\b(?! (who|that) )`,
  ),
  new RegExp(
    `\\b(i want|i'd like|i would like|i need|let me talk to|get me) (to (talk|speak) (to|with) )?${humanWords}\\b`,
  ),
  /\b(is there|are there) (a |any )?(real )?(human|person|people)\b.{0,20}\b(talk|speak|there|available)\b/,
  /\b(not|don't want to) (talk|speak|chat)( to| with)? (a |an )?(bot|robot|machine|ai)\b/,
];

/** A prospect asking for a person ("can I talk to a person?", "human please"). */
export function detectHandoffRequest(text: string): boolean {
  const normalized = normalize(text).replace(/[?]+$/, '');
  return handoffPatterns.some((pattern) => pattern.test(normalized));
}

const optOutPatterns: RegExp[] = [
  /\bremove me\b/,
  /\b(stop|quit) (contacting|messaging|emailing|texting|calling|writing to) (me|us)\b/,
  /\bunsubscribe\b(?! (from (the|your) (trial|plan))| link)/,
  /\bopt (me )?out\b/,
  /\bdo not (contact|email|text|call|message) me\b/,
  /\bdon't (contact|email|text|call|message) me( again| anymore| any more|$)/,
];

/**
 * A request to stop being contacted, in words the compliance module's stricter phrase list may
 * not cover ("remove me", "unsubscribe"). Questions about stopping something else are not.
 */
export function detectOptOutRequest(text: string): boolean {
  const normalized = normalize(text);
  if (
    /\b(how|can|could) (do|i|we) (i |we )?(cancel|stop) (the|my|our) (trial|plan|subscription)\b/.test(
      normalized,
    )
  ) {
    return false;
  }
  return optOutPatterns.some((pattern) => pattern.test(normalized));
}

/**
 * A sliding-window counter per key (visitor, conversation), in process. It bounds what one
 * visitor can make the agent do; with several server nodes each node counts its own share, and
 * the per-conversation limit is also enforced in the database.
 */
export interface RateLimiter {
  /** Counts one event for `key`; false when the key is over its limit (the event is not counted). */
  take(key: string): boolean;
  /** Whether `take` would count an event now, counting nothing. */
  allows(key: string): boolean;
}

export function createRateLimiter(options: {
  limit: number;
  windowMs: number;
  now?: () => number;
  /** Keys kept before stale ones are swept. */
  maxKeys?: number;
}): RateLimiter {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 50_000;
  const hits = new Map<string, number[]>();
  const sweep = (at: number) => {
    for (const [key, times] of hits) {
      if ((times.at(-1) ?? 0) <= at - options.windowMs) hits.delete(key);
    }
  };
  const recent = (key: string, at: number) =>
    (hits.get(key) ?? []).filter((time) => time > at - options.windowMs);
  return {
    allows: (key) => recent(key, now()).length < options.limit,
    take(key) {
      const at = now();
      if (hits.size > maxKeys) sweep(at);
      const times = recent(key, at);
      if (times.length >= options.limit) {
        hits.set(key, times);
        return false;
      }
      times.push(at);
      hits.set(key, times);
      return true;
    },
  };
}

/**
 * Whether a prospect message may be a compliance command — a carrier keyword on a texting
 * channel (STOP, START, HELP), an opt-out in plain language or a request to stop — which the
 * compliance module answers instead of the agent. The cheap check before any database work.
 */
export function mayBeComplianceCommand(channel: Channel, text: string): boolean {
  const texting = channel === 'sms' || channel === 'whatsapp';
  return (
    (texting && parseSmsKeyword(text) !== null) || isPlainLanguageOptOut(text) || detectOptOutRequest(text)
  );
}
