import { z } from 'zod';
import type { Actor } from '../actor.ts';
import type { Db } from '../db.ts';
import { getOrganization, updateOrganizationSettings } from '../organizations.ts';
import { templateProblems } from './follow-up-template.ts';

/**
 * Follow-up sequences: named series of touches, each sent a delay after the previous one (the
 * first, a delay after the sequence starts). Two come built in — `nurture` for a lead the
 * qualifier decided NURTURE, `re-engage` for a lead who went quiet while being qualified —
 * and an organization overrides them, turns them off or adds its own in `settings.followUps`:
 *
 *     { "sequences": { "nurture": { "steps": [{ "delay": "3d", "body": "Hi {{firstName}}, …" }] },
 *                      "re-engage": { "enabled": false } } }
 *
 * A sequence given there replaces the built-in one of that name as a whole.
 */

/** Where a touch goes, in order of preference: `conversation` is the lead's open email/SMS/WhatsApp thread. */
export const followUpChannelPreferences = ['conversation', 'email', 'sms', 'whatsapp'] as const;
export type FollowUpChannelPreference = (typeof followUpChannelPreferences)[number];

const units = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const maxDelayMs = 365 * units.d;

/** `"30m"`, `"12h"`, `"3d"` → milliseconds. */
export function delayMs(delay: string): number {
  const match = /^(\d{1,6})([mhd])$/.exec(delay);
  if (!match) throw new Error(`not a delay: ${delay}`);
  return Number(match[1]) * units[match[2] as keyof typeof units];
}

const template = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `at most ${max} characters`)
    .superRefine((value, ctx) => {
      for (const message of templateProblems(value)) ctx.addIssue({ code: 'custom', message });
    });

export const followUpStepSchema = z.strictObject({
  delay: z
    .string()
    .trim()
    .superRefine((delay, ctx) => {
      if (!/^\d{1,6}[mhd]$/.test(delay)) {
        ctx.addIssue({ code: 'custom', message: 'delay is a whole number and a unit: "30m", "12h" or "3d"' });
      } else if (delayMs(delay) > maxDelayMs) {
        ctx.addIssue({ code: 'custom', message: 'a delay is at most 365 days' });
      }
    }),
  channels: z
    .array(z.enum(followUpChannelPreferences))
    .min(1, 'list at least one channel')
    .refine((list) => new Set(list).size === list.length, 'a channel is listed twice')
    .default(['conversation', 'email', 'sms']),
  /** For an email that starts a new thread; a touch in an existing thread keeps its subject. */
  subject: template(200).optional(),
  body: template(2_000),
});
export type FollowUpStep = z.infer<typeof followUpStepSchema>;

export const followUpSequenceSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    steps: z.array(followUpStepSchema).max(10, 'at most 10 steps').default([]),
  })
  .refine((sequence) => !sequence.enabled || sequence.steps.length > 0, {
    message: 'a sequence needs at least one step, or "enabled": false',
    path: ['steps'],
  });
export type FollowUpSequence = z.infer<typeof followUpSequenceSchema>;

const sequenceNameRule = 'a sequence name is lowercase letters, digits and dashes, like "nurture"';
export const sequenceNameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,49}$/, sequenceNameRule);

export const followUpSettingsSchema = z.strictObject({
  sequences: z
    .record(sequenceNameSchema, followUpSequenceSchema, {
      // The record's own message for a bad key does not say why; the name rule does.
      error: (issue) => (issue.code === 'invalid_key' ? sequenceNameRule : undefined),
    })
    .refine((sequences) => Object.keys(sequences).length <= 20, 'at most 20 sequences')
    .default({}),
});
export type FollowUpSettings = z.infer<typeof followUpSettingsSchema>;

export const defaultFollowUpSequences: Record<'nurture' | 're-engage', FollowUpSequence> = {
  // Three touches over two weeks, then the lead rests until it comes back on its own.
  nurture: followUpSequenceSchema.parse({
    steps: [
      {
        delay: '2d',
        subject: 'Following up from {{orgName}}',
        body: 'Hi {{firstName}}, thanks again for the conversation. Whenever the timing suits {{company}}, reply to this message and we will pick up where we left off.',
      },
      {
        delay: '5d',
        subject: 'Anything changed at {{company}}?',
        body: 'Hi {{firstName}}, a quick check-in from {{orgName}}: if anything has moved on your side (budget, timeline, who is involved), a one-line reply is enough and we will take it from there.',
      },
      {
        delay: '7d',
        subject: 'Last note from {{orgName}} for now',
        body: 'Hi {{firstName}}, this is the last note from {{orgName}} for now. If it is worth revisiting later, just reply and we will be glad to help.',
      },
    ],
  }),
  // Two nudges for a lead who never answered the first message.
  're-engage': followUpSequenceSchema.parse({
    steps: [
      {
        delay: '2d',
        subject: 'Did my message reach you?',
        body: 'Hi {{firstName}}, just making sure my last message reached you. Is now a good time to talk about what {{company}} needs? A short reply is plenty.',
      },
      {
        delay: '4d',
        subject: 'One last check-in from {{orgName}}',
        body: 'Hi {{firstName}}, I do not want to crowd your inbox, so this is my last check-in from {{orgName}}. If it is useful later, reply any time.',
      },
    ],
  }),
};

/** The organization's sequences: the built-in ones with its own on top. */
export function readFollowUpSequences(settings: unknown): Record<string, FollowUpSequence> {
  const stored =
    settings && typeof settings === 'object' ? (settings as { followUps?: unknown }).followUps : undefined;
  if (stored === undefined || stored === null) return { ...defaultFollowUpSequences };
  const parsed = followUpSettingsSchema.safeParse(stored);
  // Saved settings are checked on the way in; only a hand-edited row fails here. Sending the
  // built-in texts instead would put words in the organization's mouth, so fail loudly.
  if (!parsed.success) {
    throw new Error(`the stored follow-up settings are invalid: ${z.prettifyError(parsed.error)}`);
  }
  return { ...defaultFollowUpSequences, ...parsed.data.sequences };
}

export async function getFollowUpSequences(db: Db, orgId: string): Promise<Record<string, FollowUpSequence>> {
  return readFollowUpSequences((await getOrganization(db, orgId)).settings);
}

/**
 * Validates and saves the organization's own sequences (replacing what it saved before) and
 * returns the sequences now in effect. A ZodError names each bad field (HTTP 400).
 */
export async function saveFollowUpSettings(
  db: Db,
  orgId: string,
  input: unknown,
  actor: Actor,
): Promise<Record<string, FollowUpSequence>> {
  const settings = followUpSettingsSchema.parse(input ?? {});
  await updateOrganizationSettings(db, orgId, { followUps: settings }, actor);
  return { ...defaultFollowUpSequences, ...settings.sequences };
}
