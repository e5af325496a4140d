import { z } from 'zod';
import type { InboundMessage } from '../../core/conversations/inbound-message.ts';
import { DomainError } from '../../core/errors.ts';
import { escapeMarkup } from '../../core/markup-text.ts';
import { normalizePhone } from '../../core/phone-number.ts';
import type { InboundRequest } from '../channel-adapter.ts';
import { parseFormFields } from '../twilio-form.ts';

/**
 * A prospect's phone call to the organization's Twilio number, as Twilio's voice webhook reports
 * it: once when the call comes in, then after each `<Gather input="speech">` with what the caller
 * said (`SpeechResult`, transcribed by Twilio). Each answer is TwiML (`callTwiml`): what to say,
 * then listen again. Only parsing and TwiML live here; the route decides what is said.
 */
export interface CallRequest {
  callSid: string;
  /** The caller, in E.164. */
  phone: string;
  /** The number called. */
  to: string;
  /** What the caller said since the last prompt; null when the call has just come in. */
  speech: string | null;
}

const callSchema = z.object({
  CallSid: z.string().min(1, 'CallSid is missing'),
  From: z.string().min(1, 'From is missing'),
  To: z.string().default(''),
  SpeechResult: z.string().optional(),
});

export function parseCallRequest(request: InboundRequest): CallRequest {
  const call = parseFormFields(callSchema, request);
  const phone = normalizePhone(call.From);
  // A withheld number ("anonymous") leaves no one to answer later.
  if (!phone) throw new DomainError('invalid', `From is not a phone number: ${call.From}`);
  const speech = call.SpeechResult?.trim();
  return { callSid: call.CallSid, phone, to: call.To, speech: speech ? speech : null };
}

/**
 * What the caller said in the call's `turn`-th answer, as a prospect message of the voice
 * channel. Its provider id is the call and the turn, so a webhook Twilio delivers again is
 * stored once.
 */
export function spokenMessage(
  orgId: string,
  call: CallRequest & { speech: string },
  turn: number,
): InboundMessage {
  return {
    orgId,
    channel: 'voice',
    from: { phone: call.phone },
    body: call.speech,
    providerMessageId: `${call.callSid}:${turn}`,
    metadata: { provider: 'twilio', callSid: call.callSid, to: call.to },
  };
}

export interface CallStep {
  /** Said in order, each as one `<Say>`. */
  say: string[];
  /** Then listen for speech; Twilio posts what it heard to `action`. */
  listen?: { action: string; prompt?: string };
  /** Said when the caller says nothing, before hanging up. */
  goodbye?: string;
}

/** The TwiML for one step of the call; every text is escaped, so a reply is never markup. */
export function callTwiml(step: CallStep): string {
  const say = (text: string) => `<Say>${escapeMarkup(text)}</Say>`;
  const parts = step.say.map(say);
  if (step.listen) {
    parts.push(
      `<Gather input="speech" speechTimeout="auto" method="POST" action="${escapeMarkup(step.listen.action)}">${
        step.listen.prompt ? say(step.listen.prompt) : ''
      }</Gather>`,
    );
  }
  if (step.goodbye) parts.push(say(step.goodbye));
  parts.push('<Hangup/>');
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${parts.join('')}</Response>`;
}
