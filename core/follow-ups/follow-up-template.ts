/**
 * The text of a follow-up touch: the organization's words with a few `{{placeholders}}` filled
 * from the lead and the organization. Plain text in, plain text out — values are inserted as
 * text, never interpreted, and a value that itself looks like `{{x}}` is not expanded again.
 */
export const followUpPlaceholders = ['firstName', 'lastName', 'company', 'orgName'] as const;
export type FollowUpPlaceholder = (typeof followUpPlaceholders)[number];

export type FollowUpValues = Record<FollowUpPlaceholder, string>;

const placeholder = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;

/** What is wrong with a template, one sentence each; empty when it is fine. */
export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  for (const [, name] of template.matchAll(placeholder)) {
    if (!(followUpPlaceholders as readonly string[]).includes(name!)) {
      problems.push(
        `unknown placeholder {{${name}}}; use ${followUpPlaceholders.map((p) => `{{${p}}}`).join(', ')}`,
      );
    }
  }
  // What is left after the placeholders must not still look like one (a typo such as `{{name}`).
  if (/\{\{|\}\}/.test(template.replace(placeholder, ''))) {
    problems.push('a "{{" or "}}" is not part of a placeholder such as {{firstName}}');
  }
  return problems;
}

/** Fills the placeholders; call it only on a template `templateProblems` accepted. */
export function renderFollowUp(template: string, values: FollowUpValues): string {
  return template.replace(placeholder, (_, name: string) => values[name as FollowUpPlaceholder] ?? '');
}

/**
 * The values for one lead. Missing ones read naturally ("Hi there,"); stored values are
 * flattened to one short line so a lead's data cannot reshape the message.
 */
export function followUpValues(
  contact: { firstName: string | null; lastName: string | null; company: string | null },
  orgName: string,
): FollowUpValues {
  return {
    firstName: oneLine(contact.firstName) || 'there',
    lastName: oneLine(contact.lastName),
    company: oneLine(contact.company) || 'your company',
    orgName: oneLine(orgName),
  };
}

function oneLine(value: string | null): string {
  return (value ?? '')
    .replace(/[\p{Cc}\p{Cf}\s]+/gu, ' ')
    .trim()
    .slice(0, 100);
}
