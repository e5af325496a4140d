/**
 * A five-field cron expression (minute hour day-of-month month day-of-week, UTC) with `*`,
 * lists, ranges and steps — what the embedded runtime needs for Inngest `cron` triggers.
 */
export interface CronSchedule {
  next(after: Date): Date;
}

const fields = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 6 },
] as const;

function parseField(text: string, field: (typeof fields)[number]): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!match) throw new Error(`cron ${field.name}: cannot read ${JSON.stringify(part)}`);
    const step = match[4] ? Number(match[4]) : 1;
    const from = match[1] === '*' ? field.min : Number(match[2]);
    const to = match[1] === '*' ? field.max : match[3] ? Number(match[3]) : match[4] ? field.max : from;
    if (from < field.min || to > field.max || from > to || step < 1) {
      throw new Error(`cron ${field.name}: ${JSON.stringify(part)} is outside ${field.min}-${field.max}`);
    }
    for (let value = from; value <= to; value += step)
      values.add(field.name === 'day of week' && value === 7 ? 0 : value);
  }
  return values;
}

export function parseCron(expression: string): CronSchedule {
  const parts = expression
    .replace(/^TZ=UTC\s+/, '')
    .trim()
    .split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron ${JSON.stringify(expression)}: expected five fields (UTC)`);
  const [minutes, hours, days, months, weekdays] = parts.map((part, i) => parseField(part, fields[i]!));
  const anyDay = parts[2] === '*';
  const anyWeekday = parts[4] === '*';
  return {
    next(after) {
      const t = new Date(after.getTime());
      t.setUTCSeconds(0, 0);
      t.setUTCMinutes(t.getUTCMinutes() + 1);
      // At most four years of minutes; a valid expression matches far sooner.
      for (let i = 0; i < 2_200_000; i++) {
        const dayMatches =
          anyDay && anyWeekday
            ? true
            : anyDay
              ? weekdays!.has(t.getUTCDay())
              : anyWeekday
                ? days!.has(t.getUTCDate())
                : days!.has(t.getUTCDate()) || weekdays!.has(t.getUTCDay());
        if (
          months!.has(t.getUTCMonth() + 1) &&
          dayMatches &&
          hours!.has(t.getUTCHours()) &&
          minutes!.has(t.getUTCMinutes())
        ) {
          return t;
        }
        t.setUTCMinutes(t.getUTCMinutes() + 1);
      }
      throw new Error(`cron ${JSON.stringify(expression)} never fires`);
    },
  };
}
