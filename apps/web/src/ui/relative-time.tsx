const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];
const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/**
 * "3 hours ago", "in 2 days". Under a minute, the past is "just now", but the future counts its
 * seconds: a schedule's next run 45 s away is "in 45 s", not "just now" (it has not happened).
 */
export function formatRelative(date: Date, now = Date.now()): string {
  const seconds = Math.round((date.getTime() - now) / 1000);
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  if (seconds > 0) return `in ${seconds} s`;
  return 'just now';
}

export function RelativeTime({ date }: { date: Date | string }) {
  const value = typeof date === 'string' ? new Date(date) : date;
  return (
    <time dateTime={value.toISOString()} title={value.toLocaleString()}>
      {formatRelative(value)}
    </time>
  );
}
