import {
  annualBudgetCents,
  formatUsd,
  type Outcome,
  readQualification,
  timelineDays,
} from '../qualification/bant-state.ts';
import type { IntentLevel, RoutingMode, RoutingRule, RoutingSettings } from './routing-settings.ts';

/**
 * Which mode a lead goes to: pure functions from what is known about the lead and the
 * organization's rules to a mode and the reasons, in words, that the lead page, the `lead.routed`
 * event and the rep's briefing show.
 */
export interface RoutingFacts {
  score: number | null;
  outcome: Outcome | null;
  /** The budget the prospect named, per year (a monthly budget times twelve), in cents. */
  dealCents: number | null;
  intent: IntentLevel;
  /** Why that intent, e.g. "plans to buy within 14 days". */
  intentReason: string;
}

interface ScoreEntryLike {
  signal?: unknown;
  points?: unknown;
  max?: unknown;
}

/**
 * Intent: high when the prospect plans to buy within 30 days or the score's intent signal earned
 * at least 70% of its points; medium within 90 days or at 40%; low otherwise.
 */
export function routingFactsOf(
  contact: { leadScore: number | null; scoreBreakdown: unknown; qualification: unknown },
  now: Date,
): RoutingFacts {
  const qualification = readQualification(contact.qualification);
  const days = timelineDays(qualification.bant, now);
  const entries = Array.isArray(contact.scoreBreakdown) ? (contact.scoreBreakdown as ScoreEntryLike[]) : [];
  const signal = entries.find((entry) => entry?.signal === 'intent');
  const share =
    signal && typeof signal.points === 'number' && typeof signal.max === 'number' && signal.max > 0
      ? signal.points / signal.max
      : null;
  const signalText = share === null ? null : `intent signal ${signal!.points}/${signal!.max}`;
  const timelineText =
    days === undefined ? null : `plans to buy within ${days} ${days === 1 ? 'day' : 'days'}`;
  let intent: IntentLevel = 'low';
  let intentReason = [timelineText, signalText].filter(Boolean).join(', ') || 'no timeline or intent signal';
  if (days !== undefined && days <= 30) {
    intent = 'high';
    intentReason = timelineText!;
  } else if (share !== null && share >= 0.7) {
    intent = 'high';
    intentReason = signalText!;
  } else if (days !== undefined && days <= 90) {
    intent = 'medium';
    intentReason = timelineText!;
  } else if (share !== null && share >= 0.4) {
    intent = 'medium';
    intentReason = signalText!;
  }
  return {
    score: contact.leadScore,
    outcome: qualification.outcome,
    dealCents: annualBudgetCents(qualification.bant) ?? null,
    intent,
    intentReason,
  };
}

export function describeFacts(facts: RoutingFacts): string {
  return [
    `score ${facts.score ?? 'unknown'}`,
    `outcome ${facts.outcome ?? 'not decided'}`,
    `deal ${facts.dealCents === null ? 'size unknown' : `${formatUsd(facts.dealCents)} per year`}`,
    `intent ${facts.intent} (${facts.intentReason})`,
  ].join(', ');
}

/** Each condition of the rule that holds, in words; null when one does not. */
export function matchRule(rule: RoutingRule, facts: RoutingFacts): string[] | null {
  const { when } = rule;
  const held: string[] = [];
  if (when.minScore !== undefined) {
    if (facts.score === null || facts.score < when.minScore) return null;
    held.push(`score ${facts.score} ≥ ${when.minScore}`);
  }
  if (when.maxScore !== undefined) {
    if (facts.score === null || facts.score > when.maxScore) return null;
    held.push(`score ${facts.score} ≤ ${when.maxScore}`);
  }
  if (when.outcomes) {
    if (!when.outcomes.includes(facts.outcome ?? 'NONE')) return null;
    held.push(`outcome ${facts.outcome ?? 'not decided'}`);
  }
  if (when.minDealCents !== undefined) {
    if (facts.dealCents === null || facts.dealCents < when.minDealCents) return null;
    held.push(`deal ${formatUsd(facts.dealCents)} ≥ ${formatUsd(when.minDealCents)}`);
  }
  if (when.maxDealCents !== undefined) {
    if (facts.dealCents === null || facts.dealCents >= when.maxDealCents) return null;
    held.push(`deal ${formatUsd(facts.dealCents)} < ${formatUsd(when.maxDealCents)}`);
  }
  if (when.intent) {
    if (!when.intent.includes(facts.intent)) return null;
    held.push(`${facts.intent} intent (${facts.intentReason})`);
  }
  return held;
}

export interface ModeChoice {
  mode: RoutingMode;
  /** The rule that decided; null when the fallback did. */
  rule: string | null;
  reasons: string[];
}

/** The first enabled rule that matches decides; else the fallback (or the first enabled mode). */
export function chooseMode(facts: RoutingFacts, settings: RoutingSettings): ModeChoice {
  const enabled = new Set(settings.enabledModes);
  const reasons = [describeFacts(facts)];
  for (const rule of settings.rules) {
    const held = matchRule(rule, facts);
    if (!held) continue;
    const because = held.length > 0 ? held.join(', ') : 'always';
    if (!enabled.has(rule.mode)) {
      reasons.push(
        `rule ${rule.name} (${because}) would choose ${rule.mode}, but mode ${rule.mode} is disabled`,
      );
      continue;
    }
    reasons.push(`rule ${rule.name}: ${because} → mode ${rule.mode}`);
    return { mode: rule.mode, rule: rule.name, reasons };
  }
  const mode = enabled.has(settings.fallbackMode) ? settings.fallbackMode : settings.enabledModes[0]!;
  reasons.push(
    mode === settings.fallbackMode
      ? `no rule matched → fallback mode ${mode}`
      : `no rule matched; fallback mode ${settings.fallbackMode} is disabled → mode ${mode}`,
  );
  return { mode, rule: null, reasons };
}
