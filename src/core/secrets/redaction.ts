/**
 * The redaction pipeline: the one way text reaches anything DR Runbook shows or writes (output
 * and log channels, its own log, messages and dialogs, the tree, the run record, the report,
 * notebooks). It masks every known secret value in every form the value can take on its way out,
 * then the built-in patterns (patterns.ts) for secrets it was never told about.
 *
 * The forms of a value, each matched wherever it stands in the text:
 * - as is, and trimmed;
 * - each character as itself or escaped: percent-encoded in upper or lower case (all of the
 *   value or any part of it, `+` for a space), `\xNN` and `\uNNNN` escapes, JSON or shell
 *   backslashes (also doubled, as in JSON inside JSON), a single quote closed and reopened as
 *   the shell quotes it (`'\''`);
 * - base64 and base64url at each of the three byte offsets, so a prefix (`user:` in basic auth)
 *   cannot hide the value: the characters that depend on the value alone are matched.
 *
 * Streams (a script's output, a notebook cell's) go through `stream()`, which keeps state across
 * chunks: a secret written in two pieces is masked as if it came in one.
 */
import { redactedMark, redactPatterns } from './patterns.js';

export { redactedMark } from './patterns.js';

/** Text in, the same text with every secret masked. */
export type Redactor = (text: string) => string;

/**
 * Values shorter than this are refused when they are set: masking them would blank ordinary
 * words and short base64 runs, and not masking them would leak them.
 */
export const minimumSecretLength = 8;

/** Why `value` cannot be a secret value, or undefined when it can. */
export function secretValueProblem(value: string): string | undefined {
  const length = [...value.trim()].length;
  if (length >= minimumSecretLength) return undefined;
  return `it is ${length} character${length === 1 ? '' : 's'} long; DR Runbook needs at least ${minimumSecretLength} to mask a secret in output without blanking ordinary words, so a shorter one could leak. Use a longer value.`;
}

/** At most this many backslashes before a character are taken as escaping (JSON in JSON in a shell). */
const MAX_BACKSLASHES = 3;

/**
 * The known values and every form of them. The set only grows: a value replaced with "Set Secret"
 * is still masked for the rest of the session, since it may still be in output on its way out.
 */
export class Redaction {
  private readonly values = new Set<string>();
  private matcher: RegExp | undefined;
  private longest = 0;

  constructor(values: Iterable<string> = []) {
    this.add(values);
  }

  /** Learns more secret values; too-short ones are ignored (secretValueProblem refuses them where they are set). */
  add(values: Iterable<string>): void {
    let changed = false;
    for (const value of values) {
      for (const candidate of candidates(value)) {
        if (!this.values.has(candidate)) {
          this.values.add(candidate);
          changed = true;
        }
      }
    }
    if (changed) this.compile();
  }

  /** Masks every known value in every form, then the built-in patterns. */
  readonly text: Redactor = (text: string): string => {
    if (text === '') return text;
    return redactPatterns(this.matcher ? text.replace(this.matcher, redactedMark) : text);
  };

  /** A redacting stream that writes to `sink`; see RedactingStream. */
  stream(sink: (clean: string) => void): RedactingStream {
    return new RedactingStream(this, sink);
  }

  /** The longest text a known form can match: a stream holds back one character less. */
  get longestForm(): number {
    return this.longest;
  }

  /** `at`, moved past the end of a known form that covers it (a stream never cuts through one). */
  safeCut(text: string, at: number): number {
    const matcher = this.matcher;
    if (!matcher) return at;
    matcher.lastIndex = 0;
    let cut = at;
    for (let m = matcher.exec(text); m && m.index < at; m = matcher.exec(text)) {
      if (m.index + m[0].length > at) {
        cut = m.index + m[0].length;
        break;
      }
    }
    matcher.lastIndex = 0;
    return cut;
  }

  private compile(): void {
    const forms = [...this.values]
      .sort((a, b) => b.length - a.length)
      .flatMap((value) => [...base64Forms(value), { source: charsPattern(value), length: charsMaxLength(value) }]);
    const unique = new Map(forms.map((f) => [f.source, f]));
    this.matcher = unique.size ? new RegExp([...unique.keys()].join('|'), 'g') : undefined;
    this.longest = Math.max(0, ...[...unique.values()].map((f) => f.length));
  }
}

/**
 * Stateful redaction of a stream of chunks. Text is passed on at line ends, and otherwise all but
 * a tail as long as the longest known form (so a secret cut between two chunks is seen whole);
 * `flush()` passes on the rest (end of a step, end of the stream).
 */
export class RedactingStream {
  private pending = '';

  constructor(
    private readonly redaction: Redaction,
    private readonly sink: (clean: string) => void,
  ) {}

  write(chunk: string): void {
    if (chunk === '') return;
    this.pending += chunk;
    const hold = Math.max(0, this.redaction.longestForm - 1);
    const cut = this.redaction.safeCut(this.pending, Math.max(this.pending.lastIndexOf('\n') + 1, this.pending.length - hold));
    if (cut > 0) this.emit(cut);
  }

  /** Passes on what is held back. */
  flush(): void {
    if (this.pending !== '') this.emit(this.pending.length);
  }

  private emit(cut: number): void {
    const out = this.pending.slice(0, cut);
    this.pending = this.pending.slice(cut);
    this.sink(this.redaction.text(out));
  }
}

/** The values a secret stands for: itself, trimmed, and each line of a multi-line one (long enough to mask). */
function candidates(value: string): string[] {
  const all = [value, value.trim(), ...value.split(/\r?\n/).map((l) => l.trim())];
  return [...new Set(all)].filter((v) => secretValueProblem(v) === undefined);
}

/** base64 and base64url at offsets 0, 1 and 2: the characters that depend only on the value's bytes. */
function base64Forms(value: string): { source: string; length: number }[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms = new Set<string>();
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const start = [0, 2, 3][offset]!;
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    const core = encoded.slice(start, end);
    const whole = offset === 0 ? [encoded, encoded.replace(/=+$/, '')] : [];
    for (const form of [...whole, core]) {
      if (form.length < minimumSecretLength) continue;
      forms.add(form);
      forms.add(form.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return [...forms].sort((a, b) => b.length - a.length).map((form) => ({ source: escapeRegExp(form), length: form.length }));
}

/** A pattern matching the value with each character as itself or in any of its escaped forms. */
function charsPattern(value: string): string {
  return [...value].map(charPattern).join('');
}

function charsMaxLength(value: string): number {
  return [...value].reduce((sum, c) => sum + charMaxLength(c), 0);
}

const BACKSLASHES = `\\\\{0,${MAX_BACKSLASHES}}`;
const ESCAPE = `\\\\{1,${MAX_BACKSLASHES}}`;
const JSON_SHORT: Readonly<Record<string, string>> = { '\n': 'n', '\t': 't', '\r': 'r', '\b': 'b', '\f': 'f' };

function charPattern(c: string): string {
  const bytes = [...Buffer.from(c, 'utf8')];
  const units = [...Array(c.length).keys()].map((i) => c.charCodeAt(i));
  const alternatives = [
    BACKSLASHES + escapeRegExp(c),
    bytes.map((b) => `%${hexPattern(b, 2)}`).join(''),
    bytes.map((b) => `${ESCAPE}x${hexPattern(b, 2)}`).join(''),
    units.map((u) => `${ESCAPE}u${hexPattern(u, 4)}`).join(''),
  ];
  if (JSON_SHORT[c]) alternatives.push(`${ESCAPE}${JSON_SHORT[c]}`);
  if (c === ' ') alternatives.push('\\+');
  if (c === "'") alternatives.push(`'${BACKSLASHES}''`, `'"'"'`);
  return `(?:${alternatives.join('|')})`;
}

function charMaxLength(c: string): number {
  const bytes = Buffer.byteLength(c, 'utf8');
  return Math.max(MAX_BACKSLASHES + c.length, 3 * bytes, (MAX_BACKSLASHES + 3) * bytes, (MAX_BACKSLASHES + 5) * c.length, 5);
}

/** A hex number of `digits` digits, each letter in either case. */
function hexPattern(n: number, digits: number): string {
  return [...n.toString(16).padStart(digits, '0')].map((d) => (/[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d)).join('');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
