/** Durations as the plan writes them ("1 hour", "30 minutes", "4h") and as people read them. */

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  sec: 1_000,
  secs: 1_000,
  second: 1_000,
  seconds: 1_000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

const DURATION = /(\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)\b/i;

/** Numbers as a plan may write them in words ("one hour", "half an hour", "a day"). */
const WORD_NUMBERS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
  forty: 40,
  'forty-five': 45,
  fifty: 50,
  sixty: 60,
  ninety: 90,
  'half a': 0.5,
  'half an': 0.5,
};

const WORD_DURATION = new RegExp(
  `\\b(${Object.keys(WORD_NUMBERS)
    .sort((x, y) => y.length - x.length)
    .join('|')})\\s+(seconds?|minutes?|hours?|days?)\\b`,
  'i',
);

/** The first duration written in `text` ("1 hour", "4h", "one hour"), in milliseconds, or undefined when there is none. */
export function findDuration(text: string): number | undefined {
  const digits = DURATION.exec(text);
  const words = WORD_DURATION.exec(text);
  const match = digits && (!words || digits.index <= words.index) ? digits : words;
  if (!match) return undefined;
  const unit = UNIT_MS[match[2]!.toLowerCase()];
  const amount = match === digits ? Number(match[1]) : WORD_NUMBERS[match[1]!.toLowerCase().replace(/\s+/g, ' ')];
  return unit === undefined || amount === undefined ? undefined : Math.round(amount * unit);
}

/** "4 h", "1 h 5 min", "42 s": short and unambiguous for a status bar. */
export function formatDuration(ms: number): string {
  const negative = ms < 0;
  let rest = Math.round(Math.abs(ms) / 1000);
  const days = Math.floor(rest / 86_400);
  rest -= days * 86_400;
  const hours = Math.floor(rest / 3_600);
  rest -= hours * 3_600;
  const minutes = Math.floor(rest / 60);
  const seconds = rest - minutes * 60;
  const parts: string[] = [];
  if (days) parts.push(`${days} d`);
  if (hours) parts.push(`${hours} h`);
  if (minutes) parts.push(`${minutes} min`);
  if (seconds || parts.length === 0) parts.push(`${seconds} s`);
  return (negative ? '-' : '') + parts.slice(0, 2).join(' ');
}
