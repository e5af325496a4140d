/** Inngest-style durations: milliseconds, or "30s", "5m", "2h", "1d", "1w" (combinable: "1h30m"). */
export function durationMs(duration: number | string): number {
  if (typeof duration === 'number') return duration;
  const units: Record<string, number> = {
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
    d: 86_400_000,
    w: 604_800_000,
  };
  let total = 0;
  const rest = duration
    .trim()
    .replace(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g, (_, amount: string, unit: string) => {
      total += Number(amount) * units[unit]!;
      return '';
    });
  if (rest.trim() !== '' || duration.trim() === '')
    throw new Error(`not a duration: ${JSON.stringify(duration)}`);
  return total;
}
