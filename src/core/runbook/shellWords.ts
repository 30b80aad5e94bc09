import type { Word } from './model.js';

/**
 * Splits one command line into words the way a POSIX shell would for the simple commands a
 * plan holds: single and double quotes, backslash escapes, and `#` comments. No expansion.
 * Columns are 1-based and point at the start of each word in `line`.
 */
export function shellWords(line: string, firstColumn = 1): Word[] {
  const words: Word[] = [];
  let current = '';
  let start = -1;
  let quote: '"' | "'" | undefined;
  const finish = (): void => {
    if (start >= 0) words.push({ value: current, column: firstColumn + start });
    current = '';
    start = -1;
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) current += line[++i];
      else current += ch;
      continue;
    }
    if (ch === ' ' || ch === '\t') {
      finish();
      continue;
    }
    if (ch === '#' && start < 0) break;
    if (start < 0) start = i;
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '\\' && i + 1 < line.length) current += line[++i];
    else current += ch;
  }
  finish();
  return words;
}
