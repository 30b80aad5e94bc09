import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatRunbookNotebook } from '../../../../src/core/notebook/runbookNotebook.js';
import { Redaction, secretValueProblem } from '../../../../src/core/secrets/redaction.js';

/** Every way a program might print a secret value: the forms the pipeline promises to know. */
const ENCODERS: Readonly<Record<string, (value: string, pick: readonly boolean[]) => string>> = {
  raw: (v) => v,
  'JSON string': (v) => JSON.stringify(v),
  'JSON in JSON': (v) => JSON.stringify(JSON.stringify(v)),
  'JSON, every character \\u-escaped': (v) =>
    [...Array(v.length).keys()].map((i) => `\\u${v.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  'percent-encoded (encodeURIComponent)': (v) => encodeURIComponent(v),
  'percent-encoded, lower case': (v) => encodeURIComponent(v).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
  'percent-encoded, every byte': (v) =>
    [...Buffer.from(v)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  'percent-encoded, some characters': (v, pick) =>
    [...v]
      .map((c, i) =>
        pick[i % pick.length] ? encodeURIComponent(c).replace(/^[^%]/, (x) => `%${x.charCodeAt(0).toString(16)}`) : c,
      )
      .join(''),
  'form-encoded': (v) => new URLSearchParams({ v }).toString().slice(2),
  'hex escapes, lower case': (v) => [...Buffer.from(v)].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join(''),
  'hex escapes, upper case': (v) =>
    [...Buffer.from(v)].map((b) => `\\x${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  'shell, single-quoted': (v) => `'${v.replace(/'/g, `'\\''`)}'`,
  'shell, double-quoted': (v) => `"${v.replace(/["\\$`]/g, '\\$&')}"`,
  'shell, backslash-escaped': (v) => v.replace(/[^A-Za-z0-9]/gu, '\\$&'),
  base64: (v) => Buffer.from(v).toString('base64'),
  'base64 of user:value (basic auth)': (v) => Buffer.from(`user:${v}`).toString('base64'),
  'base64 of x:value:y': (v) => Buffer.from(`x:${v}:y`).toString('base64'),
  'base64 of ab + value + more': (v) => Buffer.from(`ab${v}more`).toString('base64'),
  base64url: (v) => Buffer.from(`u:${v}`).toString('base64url'),
};

/** Characters secrets are made of here: letters, digits, everything JSON, URLs and shells escape, and non-ASCII. */
const SECRET_CHARS = [...'abcXYZ019', ...' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', 'é', '€', '😀', '\t'];
const secretValue = fc
  .array(fc.constantFrom(...SECRET_CHARS), { minLength: 8, maxLength: 24 })
  .map((chars) => chars.join(''))
  .filter((v) => secretValueProblem(v) === undefined);
const context = fc.string({ unit: fc.constantFrom(...'the quick brown fox: 42\n'), maxLength: 40 });

/** Whether `secret` can be read back from `text`: as is, unescaped in every way the encoders escape, or base64-decoded. */
function recoverable(text: string, secret: string): boolean {
  const seen = new Set<string>();
  let frontier = [text];
  for (let round = 0; round < 3 && frontier.length; round++) {
    const next: string[] = [];
    for (const t of frontier) {
      if (seen.has(t)) continue;
      seen.add(t);
      next.push(...UNESCAPES.map((unescape) => unescape(t)).filter((u) => u !== t));
    }
    frontier = next;
  }
  frontier.forEach((t) => seen.add(t));
  const needle = Buffer.from(secret);
  for (const t of seen) {
    if (t.includes(secret)) return true;
    for (const run of t.match(/[A-Za-z0-9+/_-]{8,}/g) ?? []) {
      for (let start = 0; start < 4; start++) {
        if (Buffer.from(run.slice(start).replace(/-/g, '+').replace(/_/g, '/'), 'base64').includes(needle)) return true;
      }
    }
  }
  return false;
}

/** Each undoes one kind of escape; recoverable() combines them. */
const UNESCAPES: readonly ((text: string) => string)[] = [
  (t) => decodeBytes(t, /%([0-9a-fA-F]{2})/g),
  (t) => decodeBytes(t, /\\x([0-9a-fA-F]{2})/g),
  (t) =>
    t.replace(/(?:\\u[0-9a-fA-F]{4})+/g, (run) =>
      String.fromCharCode(
        ...run
          .split('\\u')
          .slice(1)
          .map((h) => parseInt(h, 16)),
      ),
    ),
  (t) => t.replace(/\\([ntrbf])/g, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' })[c]!),
  (t) => t.replace(/\\([^])/gu, '$1'),
  // JSON's escapes in one pass, left to right, as JSON.parse reads a string.
  (t) =>
    t.replace(/\\(?:u([0-9a-fA-F]{4})|([^]))/g, (_m, unit: string | undefined, c: string | undefined) =>
      unit ? String.fromCharCode(parseInt(unit, 16)) : ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' }[c!] ?? c!),
    ),
  (t) => t.replace(/\+/g, ' '),
  (t) => t.replace(/'(?:\\'|"'")'/g, "'"),
];

/** `text` with each match of `escape` (its group: a byte in hex) replaced by that byte, read as UTF-8. */
function decodeBytes(text: string, escape: RegExp): string {
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of text.matchAll(escape)) {
    parts.push(Buffer.from(text.slice(last, m.index)), Buffer.from([parseInt(m[1]!, 16)]));
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(text.slice(last)));
  return Buffer.concat(parts).toString('utf8');
}

/** `text` cut at `cuts` (positions as fractions of its length), each piece a chunk. */
function chunked(text: string, cuts: readonly number[]): string[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * text.length)))].sort((a, b) => a - b);
  return [0, ...at].map((from, i) => text.slice(from, at[i] ?? text.length)).filter((c) => c !== '');
}

describe('the redaction pipeline', () => {
  it('masks a secret in every form the encoders print, however the output is cut into chunks (property)', () => {
    fc.assert(
      fc.property(
        secretValue,
        fc.constantFrom(...Object.keys(ENCODERS)),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
        context,
        context,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
        (secret, form, pick, before, after, cuts) => {
          const printed = `${before}${ENCODERS[form]!(secret, pick)}${after}`;
          assert.ok(recoverable(printed, secret), `the oracle reads ${form} back`);
          const redaction = new Redaction([secret]);
          let streamed = '';
          const stream = redaction.stream((clean) => (streamed += clean));
          for (const chunk of chunked(printed, cuts)) stream.write(chunk);
          stream.flush();
          assert.ok(!recoverable(streamed, secret), `${form} leaked through the stream: ${JSON.stringify(streamed)}`);
          assert.ok(!recoverable(redaction.text(printed), secret), `${form} leaked through text()`);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('gives a saved notebook only masked text (property)', () => {
    fc.assert(
      fc.property(secretValue, fc.constantFrom(...Object.keys(ENCODERS)), context, (secret, form, before) => {
        const redaction = new Redaction([secret]);
        const output = `${before}${ENCODERS[form]!(secret, [true, false])}\n`;
        const notebook = formatRunbookNotebook(
          { cells: [{ kind: 'code', source: 'printenv X', language: 'bash', output }] },
          { redact: redaction.text },
        );
        assert.ok(!recoverable(notebook, secret), notebook);
      }),
      { numRuns: 500 },
    );
  });

  it('passes text on at line ends and holds back only a tail that could still become a secret', () => {
    const redaction = new Redaction(['hunter2-secret']);
    const got: string[] = [];
    const stream = redaction.stream((clean) => got.push(clean));
    stream.write('connecting as postgres\npassword is hunt');
    assert.deepEqual(got, ['connecting as postgres\n']);
    stream.write('er2-secret; retrying\n');
    assert.deepEqual(got, ['connecting as postgres\n', 'password is ***; retrying\n']);
    stream.write('progress: ');
    stream.flush();
    assert.equal(got.at(-1), 'progress: ');
    // A long line with no secret in sight goes out before its end, all but the tail.
    stream.write('x'.repeat(5000));
    assert.equal(got.at(-1)?.length, 5000 - (redaction.longestForm - 1));
  });

  it('knows a value after add(), and keeps the ones it knew', () => {
    const redaction = new Redaction();
    assert.equal(redaction.text('pw: first-value-1'), 'pw: first-value-1');
    redaction.add(['first-value-1']);
    redaction.add(['second-value-2']);
    assert.equal(redaction.text('first-value-1 second-value-2'), '*** ***');
  });

  it('masks each line of a multi-line value, and the value trimmed', () => {
    const redaction = new Redaction(['  line-one-secret\nline-two-secret  ']);
    assert.equal(redaction.text('a line-one-secret b line-two-secret c'), 'a *** b *** c');
  });

  it('refuses values too short to mask, saying why', () => {
    assert.equal(secretValueProblem('long-enough'), undefined);
    assert.match(
      secretValueProblem('abc') ?? '',
      /^it is 3 characters long; DR Runbook needs at least 8 .* Use a longer value\.$/,
    );
    assert.match(secretValueProblem('  short  ') ?? '', /^it is 5 characters long/);
    // A short value is never learnt, so it blanks no ordinary word.
    assert.equal(new Redaction(['cab']).text('a table about cabs'), 'a table about cabs');
  });
});
