import type { BantItem, Outcome } from './bant-state.ts';

/**
 * The qualifier's fixed lines: the opening of a conversation we start, the guardrail answers
 * (refusal, handoff, "I'll find out") and the offline model's questions and closings. Several
 * phrasings per line, picked by a hash of the conversation, so two prospects do not get a form
 * letter yet one conversation reads the same when replayed.
 */

/** FNV-1a: a stable small hash for picking a phrasing. */
export function pick<T>(options: readonly T[], seed: string, salt: string | number = ''): T {
  let hash = 0x811c9dc5;
  for (const char of `${seed}:${salt}`) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return options[hash % options.length]!;
}

const questions: Record<BantItem, ((organization: string) => string)[]> = {
  need: [
    (org) => `What's prompting you to look at ${org} right now — what would you most like to fix?`,
    () => "What's the main challenge you're hoping to solve?",
    () => "What isn't working today that made you start looking?",
  ],
  competition: [
    () => 'How are you handling this today — another tool, or mostly spreadsheets?',
    () => 'Are you using or evaluating any other tools for this at the moment?',
    () => "What's your current setup for this — anything you're already using or comparing?",
  ],
  timeline: [
    () => 'When would you ideally like to have something in place?',
    () => 'Is there a date you are working toward for getting this live?',
    () => "What's your timeframe for making a change?",
  ],
  authority: [
    () => 'Would you be the one signing off on this, or is someone else involved in the decision?',
    () => 'Who else would be involved in deciding on a tool like this?',
    () => 'How does a purchase like this usually get approved on your side — is it your call?',
  ],
  budget: [
    () => 'Have you set aside a budget for this? Even a rough range helps.',
    () => 'Roughly what budget are you working with for this?',
    () => 'Do you have a budget in mind for a solution like this, per month or per year?',
  ],
};

/** What a question asks about, judged from its words (used to read short answers in context). */
export function topicOfQuestion(text: string): BantItem | null {
  const lower = text.toLowerCase();
  if (/\bbudget|spend|invest|price range|per month or per year/.test(lower)) return 'budget';
  if (/\bsign(ing)? off|decision|decid|approv|your call|who else/.test(lower)) return 'authority';
  if (
    /\bwhen would|timeframe|time frame|timeline|date you|by when|in place|go live|getting this live/.test(
      lower,
    )
  ) {
    return 'timeline';
  }
  if (
    /\bhandling this today|using or evaluating|current setup|other tools|spreadsheets|already using/.test(
      lower,
    )
  ) {
    return 'competition';
  }
  if (
    /\bprompting|challenge|problem|fix|not working|isn't working|hoping to|looking for|what brings|start(ed)? looking/.test(
      lower,
    )
  )
    return 'need';
  return null;
}

export function question(item: BantItem, organization: string, seed: string, turn: number): string {
  return pick(questions[item], seed, `${item}:${turn}`)(organization);
}

/** The first message of a conversation we start: the disclosure, then one question. */
export function openingMessage(input: {
  disclosure: string;
  organization: string;
  firstName: string | null;
  seed: string;
}): string {
  const greeting = input.firstName
    ? `Hi ${input.firstName}, thanks for your interest in ${input.organization}.`
    : `Thanks for your interest in ${input.organization}.`;
  return `${input.disclosure}\n\n${greeting} ${question('need', input.organization, input.seed, 0)}`;
}

const closings: Record<Outcome, ((organization: string) => string)[]> = {
  QUALIFIED: [
    (org) =>
      `Thanks — that's really helpful. From what you've shared, ${org} looks like a strong fit, so someone from our team will reach out shortly to set up a call.`,
    (org) =>
      `That's everything I needed, thank you. It sounds like ${org} could help a lot here; a member of our team will be in touch soon to plan next steps.`,
  ],
  NURTURE: [
    () =>
      "Thanks for sharing all that. It sounds like the timing isn't quite right yet, so we'll send you a few useful resources and check back in closer to when you're ready.",
    () =>
      "Thanks, that's really useful. It sounds like it's a bit early for a decision, so we'll keep in touch with helpful material and follow up when the time is right.",
  ],
  DISQUALIFIED: [
    (org) =>
      `Thanks for being upfront. It sounds like ${org} isn't the right fit right now — if anything changes, we're here and happy to help.`,
    (org) =>
      `I appreciate you telling me. It doesn't sound like ${org} is the right fit at the moment, but you're always welcome to reach out if things change.`,
  ],
};

export function closingLine(outcome: Outcome, organization: string, seed: string): string {
  return pick(closings[outcome], seed, outcome)(organization);
}

export function refusalLine(organization: string, seed: string): string {
  return pick(
    [
      `I'm sorry, but I can't help with that. I'm here to answer questions about ${organization} and to understand what you need.`,
      `That's not something I can do or share, I'm afraid. I'm happy to help with questions about ${organization}, though.`,
    ],
    seed,
    'refusal',
  );
}

export function handoffLine(alreadyRequested: boolean, seed: string): string {
  if (alreadyRequested) {
    return 'A person from our team has already been notified and will join this conversation shortly.';
  }
  return pick(
    [
      "Of course — I've asked a person from our team to join this conversation. They'll be with you shortly; meanwhile I'm happy to help with anything else.",
      "Absolutely. I've let our team know, and a person will join this conversation shortly. Anything I can help with in the meantime?",
    ],
    seed,
    'handoff',
  );
}

/** When the knowledge base has no answer: never guess. */
export function unknownAnswerLine(seed: string): string {
  return pick(
    [
      "That's a good question — I don't have that information, so I'll find out from the team and get back to you.",
      "I don't want to guess on that one. I'll find out from our team and follow up with you.",
    ],
    seed,
    'unknown',
  );
}

/** When the model fails: the prospect still gets an answer, and a person is asked to follow up. */
export const modelFailureLine =
  "Sorry — I'm having trouble answering right now. I've asked a person from our team to follow up with you shortly.";
