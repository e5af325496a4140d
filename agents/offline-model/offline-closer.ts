import type { CloserModel, CloserTurnRequest, CloserTurnResult } from '../../core/closing/closer-model.ts';
import { readPlan } from '../../core/closing/plan-pricing.ts';
import { answerFromKnowledge, statedTeamSize } from './knowledge-answer.ts';

/**
 * The closer without a model key: a deterministic reading of the prospect's message that drives
 * the same tools Claude would call, so the demo shows mode A end to end (proposal, objection,
 * payment link, demo booking) with prices and answers copied from the knowledge base. It picks one
 * intent per message, in order: a demo time chosen from the ones offered, a new team size, a demo
 * request, an objection, a yes to the proposal, a question, else a nudge towards the next step.
 */
export function createOfflineCloser(options: { competitors?: readonly string[] } = {}): CloserModel {
  const competitors = (options.competitors ?? []).map((name) => name.toLowerCase());
  return {
    name: 'offline',
    async runTurn(request: CloserTurnRequest): Promise<CloserTurnResult> {
      const text = await (request.task === 'open' ? opening(request) : reply(request, competitors));
      // Streamed word by word, as a model would, so the widget shows it arriving.
      for (const piece of text.match(/\S+\s*/g) ?? []) request.onText?.(piece);
      return { text, model: 'offline', usage: { inputTokens: 0, outputTokens: 0 }, costMicroUsd: 0 };
    },
  };
}

type ToolResult = Record<string, unknown> & { isError: boolean };

async function call(request: CloserTurnRequest, name: string, input: unknown = {}): Promise<ToolResult> {
  const outcome = await request.callTool(name, input);
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(outcome.content) as Record<string, unknown>;
  } catch {
    // A tool always answers JSON; anything else counts as a failed call.
  }
  return { ...parsed, isError: outcome.isError };
}

const prospectTexts = (request: CloserTurnRequest) =>
  request.history.filter((turn) => turn.role === 'prospect').map((turn) => turn.text);

/** "8 users", "for 12 seats", "we have 40 reps". */
function seatsIn(text: string): number | undefined {
  const stated = statedTeamSize([text]);
  if (stated !== undefined) return stated;
  const match = /\b(\d[\d,]{0,6})\s+(?:users|seats|licen[cs]es|people|reps|agents|sellers)\b/i.exec(text);
  return match ? Number(match[1]!.replace(/,/g, '')) : undefined;
}

const nextStep = (summary: string) =>
  `Would you like to go ahead with ${summary}? I can send a secure payment link, or set up a short demo first.`;

async function propose(request: CloserTurnRequest, seats: number, lead: string): Promise<string> {
  const result = await call(request, 'propose_plan', { seats });
  if (result.handedOff) return handedOffLine(result);
  if (result.isError || typeof result.summary !== 'string') {
    return 'Let me bring in someone from the team to put the right offer together for you.';
  }
  return `${lead}I'd suggest ${result.summary}.\n\n${nextStep(result.summary)}`;
}

function handedOffLine(result: ToolResult): string {
  const instruction = String(result.instruction ?? '');
  if (/priced individually/i.test(instruction) || /custom pricing/i.test(String(result.reason))) {
    return "That plan is priced individually, so a person from our team will prepare the offer with you. They'll be in touch shortly.";
  }
  if (/no demo time/i.test(instruction)) {
    return "There's no demo time free in the coming days, so a person from our team will arrange one with you directly.";
  }
  if (/team this size/i.test(instruction)) {
    return 'For a team your size, a person from our team will prepare the offer with you. They will be in touch shortly.';
  }
  return 'A person from our team will take it from here and be in touch shortly.';
}

async function opening(request: CloserTurnRequest): Promise<string> {
  const { context } = request;
  const name = context.firstName ? `, ${context.firstName}` : '';
  const seats = seatsIn(prospectTexts(request).join('\n'));
  if (seats === undefined) {
    return `Thanks${name}, that gives me a good picture. To put the right plan together: how many people on your team would use ${context.organization.name}?`;
  }
  return propose(request, seats, `Thanks${name}, that gives me a good picture. For a team of ${seats}, `);
}

/** The demo time the prospect chose among the numbered ones offered, if the message picks one. */
function chosenSlot(message: string, offered: { number: number; label: string }[]): number | undefined {
  if (offered.length === 0) return undefined;
  const lower = message.toLowerCase();
  const ordinals = ['first', 'second', 'third', 'fourth', 'fifth'];
  const byNumber =
    /^\W*(?:option|number|slot|#)?\s*([1-9])\W*$/.exec(lower) ??
    /\b(?:option|number|slot|#)\s*([1-9])\b/.exec(lower) ??
    /\b([1-9])\s*(?:works|please|is fine|is good|sounds good|suits|for me)\b/.exec(lower) ??
    /\b(?:take|pick|choose|book)\s+(?:the\s+)?([1-9])\b/.exec(lower);
  const number = byNumber
    ? Number(byNumber[1])
    : (() => {
        const index = ordinals.findIndex((word) =>
          new RegExp(`\\b(?:the )?${word}(?: one| option| slot)?\\b`).test(lower),
        );
        if (index >= 0) return index + 1;
        if (/\b(?:the )?last (?:one|option|slot)\b/.test(lower)) return offered.length;
        // "Tuesday at 10 works": a weekday and hour that match exactly one offered time.
        const matching = offered.filter((slot) => {
          const [weekday, , , time] = slot.label.toLowerCase().split(/[\s,]+/);
          const hour = Number(time?.slice(0, 2));
          const saysDay = weekday !== undefined && new RegExp(`\\b${weekday.slice(0, 3)}`).test(lower);
          const saysHour = new RegExp(
            `\\b(?:${hour}|${hour % 12 || 12})(?::00)?\\s*(?:am|pm|h|o'clock)?\\b`,
          ).test(lower);
          return saysDay && saysHour;
        });
        return matching.length === 1 ? matching[0]!.number : undefined;
      })();
  return number !== undefined && offered.some((slot) => slot.number === number) ? number : undefined;
}

const demoRequest =
  /\b(demo|walk ?through|walkthrough|show me|see it in action|see it live|(?:a|quick|short) call|meeting|book a time|schedule a)\b/i;

const objectionTopics: [topic: string, pattern: RegExp][] = [
  [
    'security',
    /\b(secur\w*|gdpr|soc ?2|iso ?27001|encrypt\w*|privacy|data (?:residency|protection|stored|storage)|hipaa|sso)\b/i,
  ],
  [
    'integrations',
    /\b(integrat\w*|salesforce|hubspot|pipedrive|zapier|api|webhooks?|connect(?:s|or)? (?:to|with)|sync\w*)\b/i,
  ],
  ['contract', /\b(contract|cancel\w*|commitment|lock[- ]?in|terms|refund\w*|notice period|trial)\b/i],
  [
    'price',
    /\b(expensive|pricey|too much|cost\w*|price\w*|cheaper|discount\w*|afford\w*|budget|over our|out of our)\b/i,
  ],
  [
    'competitor',
    /\b(compared? (?:to|with)|versus|vs\.?|better than|cheaper than|alternative|competitor|switch(?:ing)? from)\b/i,
  ],
];

function objectionIn(message: string, competitors: readonly string[]): string | undefined {
  const lower = message.toLowerCase();
  const namesCompetitor = competitors.some(
    (name) => name.length > 2 && new RegExp(`\\b${escapeRegExp(name)}\\b`).test(lower),
  );
  for (const [topic, pattern] of objectionTopics) {
    if (topic === 'competitor' && namesCompetitor) return topic;
    if (pattern.test(message)) return topic;
  }
  return namesCompetitor ? 'competitor' : undefined;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const agreement =
  /\b(yes|yeah|yep|sure|ok(?:ay)?|sounds (?:good|great)|let'?s (?:do it|go|proceed)|go ahead|sign (?:me|us) up|send (?:me |us )?(?:the |a )?(?:payment )?link|buy it|purchase|we'?re in|i'?m in|ready to (?:buy|start|go)|deal)\b/i;
const hesitation = /\b(not (?:yet|sure|now|ready)|no\b|don'?t|maybe later|hold off|think about it|but)\b/i;

async function reply(request: CloserTurnRequest, competitors: readonly string[]): Promise<string> {
  const { context } = request;
  const message = request.history.at(-1)?.text ?? '';
  const proposal = context.closing.proposal;

  const slot = chosenSlot(message, context.closing.offeredSlots ?? []);
  if (slot !== undefined) {
    const result = await call(request, 'book_demo', { slot });
    if (result.booked) {
      return `You're booked for ${result.when as string}. An invitation is on its way by email. Is there anything you'd like us to cover in the demo?`;
    }
    if (Array.isArray(result.slots)) {
      return `Sorry, that time was just taken. These are still free:\n${listSlots(result.slots)}\n\nWhich one suits you?`;
    }
  }

  const seats = seatsIn(message);
  if (seats !== undefined && seats !== proposal?.seats) {
    return propose(request, seats, `For ${seats} user${seats === 1 ? '' : 's'}, `);
  }

  if (demoRequest.test(message)) {
    const result = await call(request, 'offer_demo_slots');
    if (result.handedOff) return handedOffLine(result);
    if (Array.isArray(result.slots)) {
      return `Happy to show you. These times are free for a demo:\n${listSlots(result.slots)}\n\nWhich one suits you? Just reply with its number.`;
    }
  }

  const topic = objectionIn(message, competitors);
  if (topic) {
    const result = await call(request, 'answer_objection', { topic });
    const entries = (Array.isArray(result.knowledge) ? result.knowledge : []) as {
      kind: string;
      title: string;
      text: string;
    }[];
    const answer =
      (topic === 'price' ? beyondThePrice(entries) : null) ??
      answerFromKnowledge(
        message,
        entries.map((entry) => ({
          kind: entry.kind as 'faq',
          title: entry.title,
          body: entry.text,
          score: 1,
        })),
        proposal?.seats,
      ) ??
      firstSentences(entries[0]?.text);
    if (!answer) return unknownAnswer;
    const follow = proposal ? nextStep(proposal.summary) : 'Does that answer it?';
    return `${message.includes('?') ? 'Good question.' : 'I understand.'} ${answer}\n\n${follow}`;
  }

  if (proposal && agreement.test(message) && !hesitation.test(message)) {
    const result = await call(request, 'send_payment_link');
    if (typeof result.url === 'string') {
      return `Great! Here is your secure payment link for ${proposal.summary}: ${result.url}\nIt charges ${result.charges as string}. Once it's paid, you'll get a welcome message with the next steps.`;
    }
  }

  if (!proposal) {
    const known = seatsIn(prospectTexts(request).join('\n'));
    if (known !== undefined) return propose(request, known, `For a team of ${known}, `);
  }

  const asks = /\?|\b(how|what|which|does|do you|can|is there|are there)\b/i.test(message);
  const answer = asks ? answerFromKnowledge(message, context.knowledge, proposal?.seats) : null;
  if (answer) return proposal ? `${answer}\n\n${nextStep(proposal.summary)}` : answer;
  if (asks) return unknownAnswer;
  return proposal
    ? nextStep(proposal.summary)
    : `How many people on your team would use ${context.organization.name}? Then I can tell you exactly what it costs.`;
}

/**
 * A price objection is not answered by repeating the price: the pricing sentences that are no plan
 * line ("Annual billing saves 20% on every plan.", "A 14-day trial is free.") are the answer.
 */
function beyondThePrice(entries: { kind: string; text: string }[]): string | null {
  const sentences = entries
    .filter((entry) => entry.kind === 'pricing')
    .flatMap((entry) => entry.text.split(/(?<=[.!?])\s+(?=[A-Z0-9$€£])/))
    .filter((sentence) => readPlan(sentence) === null);
  return sentences.length > 0 ? sentences.slice(0, 2).join(' ') : null;
}

const unknownAnswer =
  "That's a fair question, and I don't want to guess at the answer. Would you like me to bring in someone from the team who can answer it properly?";

const listSlots = (slots: unknown[]) =>
  (slots as { number: number; label: string }[]).map((slot) => `${slot.number}. ${slot.label}`).join('\n');

function firstSentences(text: string | undefined): string | null {
  if (!text) return null;
  return text
    .split(/(?<=[.!?])\s+(?=[A-Z0-9$])/)
    .slice(0, 2)
    .join(' ');
}
