import { describe, expect, it } from 'vitest';
import {
  defaultFollowUpSequences,
  delayMs,
  followUpSettingsSchema,
  readFollowUpSequences,
} from './follow-up-settings.ts';
import { followUpValues, renderFollowUp, templateProblems } from './follow-up-template.ts';

const problems = (input: unknown) => {
  const parsed = followUpSettingsSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('follow-up templates', () => {
  it('fills the known placeholders as plain text and never expands a value', () => {
    const values = followUpValues(
      { firstName: ' Ada\n\u0007', lastName: null, company: '{{orgName}} Ltd' },
      'Acme',
    );
    expect(renderFollowUp('Hi {{ firstName }}, {{company}} and {{orgName}}.', values)).toBe(
      'Hi Ada, {{orgName}} Ltd and Acme.',
    );
    expect(
      renderFollowUp(
        'Hi {{firstName}} at {{company}}',
        followUpValues({ firstName: null, lastName: null, company: null }, 'Acme'),
      ),
    ).toBe('Hi there at your company');
  });

  it('names unknown placeholders and stray braces', () => {
    expect(templateProblems('Hi {{firstName}}')).toEqual([]);
    expect(templateProblems('Hi {{fistName}}')).toEqual([
      'unknown placeholder {{fistName}}; use {{firstName}}, {{lastName}}, {{company}}, {{orgName}}',
    ]);
    expect(templateProblems('Hi {{firstName}')).toEqual([
      'a "{{" or "}}" is not part of a placeholder such as {{firstName}}',
    ]);
  });
});

describe('follow-up settings', () => {
  it('has valid built-in sequences: nurture is three touches over two weeks, re-engage two', () => {
    expect(defaultFollowUpSequences.nurture.steps.map((s) => delayMs(s.delay) / 86_400_000)).toEqual([
      2, 5, 7,
    ]);
    expect(defaultFollowUpSequences['re-engage'].steps).toHaveLength(2);
    expect(followUpSettingsSchema.parse({ sequences: defaultFollowUpSequences })).toBeTruthy();
  });

  it('refuses bad sequences with the field and the reason', () => {
    expect(
      problems({
        sequences: {
          nurture: { steps: [{ delay: '2 days', body: 'Hi {{name}}', channels: ['fax'] }] },
          'Re Engage': { steps: [] },
          winback: { steps: [] },
        },
      }),
    ).toEqual([
      'sequences.nurture.steps.0.delay: delay is a whole number and a unit: "30m", "12h" or "3d"',
      'sequences.nurture.steps.0.channels.0: Invalid option: expected one of "conversation"|"email"|"sms"|"whatsapp"',
      'sequences.nurture.steps.0.body: unknown placeholder {{name}}; use {{firstName}}, {{lastName}}, {{company}}, {{orgName}}',
      'sequences.Re Engage: a sequence name is lowercase letters, digits and dashes, like "nurture"',
      'sequences.winback.steps: a sequence needs at least one step, or "enabled": false',
    ]);
    expect(problems({ sequences: { nurture: { steps: [{ delay: '400d', body: 'x' }] } } })).toEqual([
      'sequences.nurture.steps.0.delay: a delay is at most 365 days',
    ]);
    expect(problems({ nurture: {} })).toEqual([': Unrecognized key: "nurture"']);
  });

  it('puts the organization’s sequences over the built-in ones and fails loudly on a bad stored value', () => {
    const sequences = readFollowUpSequences({
      followUps: {
        sequences: {
          're-engage': { enabled: false },
          winback: { steps: [{ delay: '30d', body: 'Hi {{firstName}}, still on your list?' }] },
        },
      },
    });
    expect(Object.keys(sequences)).toEqual(['nurture', 're-engage', 'winback']);
    expect(sequences['re-engage']).toEqual({ enabled: false, steps: [] });
    expect(sequences.winback!.steps[0]!.channels).toEqual(['conversation', 'email', 'sms']);
    expect(readFollowUpSequences({})).toEqual(defaultFollowUpSequences);
    expect(() => readFollowUpSequences({ followUps: { sequences: { x: { steps: 'no' } } } })).toThrow(
      /the stored follow-up settings are invalid/,
    );
  });
});
