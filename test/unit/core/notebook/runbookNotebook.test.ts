import assert from 'node:assert/strict';
import { fenceOfLanguageId, languageIdOfFence } from '../../../../src/core/notebook/cellLanguage.js';
import {
  formatRunbookNotebook,
  parseRunbookNotebook,
  setStepDone,
  stepLine,
  stepOfCell,
} from '../../../../src/core/notebook/runbookNotebook.js';
import type { NotebookDoc } from '../../../../src/core/notebook/notebookModel.js';

const tick = '```';

/** A drill notebook as the extension writes it, half worked through. */
const drill = [
  '<!-- dr-runbook-notebook: {"title":"Quarterly DR drill","scenario":"quarterly-dr-drill","kind":"drill","context":"kind-dr","namespace":"endpoint-stats-dr-test","startedBy":"alice","startedAt":"2026-11-24T09:00:00.000Z"} -->',
  '',
  '# DR drill: Quarterly DR drill',
  '',
  'Context `kind-dr`, namespace `endpoint-stats-dr-test`.',
  '',
  '- [x] 1. Book a test window outside peak hours.',
  '<!-- dr-runbook: {"state":"done","by":"alice","at":"2026-11-24T09:01:00.000Z"} -->',
  '',
  '- [x] 2. Create a namespace for the test:',
  '',
  `${tick}sh`,
  'kubectl create namespace endpoint-stats-dr-test',
  tick,
  '',
  `${tick}output`,
  'namespace/endpoint-stats-dr-test created',
  tick,
  '<!-- dr-runbook: {"state":"succeeded","by":"alice","at":"2026-11-24T09:02:00.000Z","ms":412,"exitCode":0} -->',
  '',
  '- [ ] 3. Copy the production configuration into the test namespace.',
  '',
  '- [ ] 7. Remove the test environment:',
  '',
  `${tick}sh`,
  'kubectl delete namespace endpoint-stats-dr-test',
  tick,
  '',
].join('\n');

/** Odd but valid files: every one must come back byte for byte. */
const odd: Record<string, string> = {
  'the drill notebook': drill,
  'the drill notebook with CRLF line ends': drill.replace(/\n/g, '\r\n'),
  'no final newline': drill.slice(0, -1),
  'a byte order mark': `\uFEFF${drill}`,
  'an empty file': '',
  'only blank lines': '\n\n\n',
  'a single line, no newline': '- [ ] 1. Do it',
  'no header, many blank lines, unknown markdown between cells': [
    '',
    '',
    'Some notes a person wrote, with **bold** and a [link](https://example.com).',
    '',
    '',
    '',
    '> a quote',
    '> - [ ] 2. a step line inside a quote is not a step',
    '',
    '| a | b |',
    '|---|---|',
    '| 1 | 2 |',
    "<!-- a comment of the person's own -->",
    '   ',
    '* [X] 4. Star bullet, capital X',
    '## A heading right after',
    `${tick}`,
    'a bare fence, no language',
    tick,
    `${tick}   bash   title="x"`,
    'echo info string with more words',
    `${tick}${tick}`,
    '',
    '',
    '',
  ].join('\n'),
  'fences of every kind': [
    '- [ ] 1. Step',
    `~~~~sh`,
    'echo tilde fence, closed by a longer one',
    '~~~~~~',
    `${tick}${tick}sh`,
    `${tick}`,
    'a fence inside a longer fence',
    `${tick}`,
    `${tick}${tick}`,
    `${tick}${tick}sh`,
    'a fence longer than it needs',
    `${tick}${tick}   `,
    `${tick}sh`,
    tick,
    `${tick}sh`,
    '',
    tick,
    `${tick}sh`,
    'echo hi',
    tick,
    `${tick}${tick}output`,
    'output that is fenced longer than needed',
    `${tick}${tick}`,
    '',
    '',
    '<!-- dr-runbook: {"state":"failed",  "by":"bob"} -->',
    `${tick}sh`,
    'true',
    tick,
    `${tick}output`,
    tick,
    `${tick}sh`,
    'printf x',
    tick,
    '',
    `${tick}${tick}output`,
    `${tick}`,
    '',
    '',
    `${tick}${tick}`,
  ].join('\n'),
  'a markdown step with an indented code block under it': [
    '- [ ] 2. Create the namespace:',
    '   ```',
    '   kubectl create namespace x',
    '',
    '   # - [ ] 3. not a step, inside the fence',
    '   ```',
    '   More text of the step.',
    '',
    '<!-- dr-runbook: {"state":"skipped"} -->',
  ].join('\n'),
  'a header alone': '<!-- dr-runbook-notebook: {} -->\n',
  'a header glued to the first cell': '<!-- dr-runbook-notebook: {"unknown":[1,2]} -->\n# Title\n',
  'json with escapes and unknown keys': [
    '<!-- dr-runbook-notebook: {"title":"caf\\u00e9 --\\u003e drill","x":{"y":null}} -->',
    '```sh',
    'echo',
    '```',
    '<!-- dr-runbook: {"state":"done","note":"by hand \\"really\\"","ms":1.5e3} -->',
  ].join('\n'),
};

describe('runbook notebook format', () => {
  describe('parse then format gives back the same text', () => {
    for (const [name, text] of Object.entries(odd)) {
      it(name, () => {
        const parsed = parseRunbookNotebook(text);
        assert.ok(parsed.ok, parsed.ok ? '' : `line ${parsed.error.line}: ${parsed.error.message}`);
        assert.equal(formatRunbookNotebook(parsed.value), text);
      });
    }
    it('a file mixing line ends comes back with its first line end everywhere', () => {
      const parsed = parseRunbookNotebook('# T\r\n\nx\n');
      assert.ok(parsed.ok);
      assert.equal(formatRunbookNotebook(parsed.value), '# T\r\n\r\nx\r\n');
    });
  });

  describe('reads the cells', () => {
    const parsed = parseRunbookNotebook(drill);
    assert.ok(parsed.ok);
    const doc = parsed.value;

    it('reads the header', () => {
      assert.deepEqual(doc.header, {
        title: 'Quarterly DR drill',
        scenario: 'quarterly-dr-drill',
        kind: 'drill',
        context: 'kind-dr',
        namespace: 'endpoint-stats-dr-test',
        startedBy: 'alice',
        startedAt: '2026-11-24T09:00:00.000Z',
      });
    });

    it('makes a markdown cell of each step and a code cell of each command, with output and run record', () => {
      assert.deepEqual(
        doc.cells.map((c) => [c.kind, c.source.split('\n')[0], c.language]),
        [
          ['markdown', '# DR drill: Quarterly DR drill', undefined],
          ['markdown', '- [x] 1. Book a test window outside peak hours.', undefined],
          ['markdown', '- [x] 2. Create a namespace for the test:', undefined],
          ['code', 'kubectl create namespace endpoint-stats-dr-test', 'sh'],
          ['markdown', '- [ ] 3. Copy the production configuration into the test namespace.', undefined],
          ['markdown', '- [ ] 7. Remove the test environment:', undefined],
          ['code', 'kubectl delete namespace endpoint-stats-dr-test', 'sh'],
        ],
      );
      const create = doc.cells[3]!;
      assert.equal(create.output, 'namespace/endpoint-stats-dr-test created\n');
      assert.deepEqual(create.run, { state: 'succeeded', by: 'alice', at: '2026-11-24T09:02:00.000Z', ms: 412, exitCode: 0 });
      assert.deepEqual(doc.cells[1]!.run, { state: 'done', by: 'alice', at: '2026-11-24T09:01:00.000Z' });
      assert.equal(doc.cells[6]!.output, undefined);
      assert.equal(doc.cells[6]!.run, undefined);
    });

    it("knows each cell's step", () => {
      assert.deepEqual(
        doc.cells.map((_, i) => stepOfCell(doc, i)),
        [undefined, 1, 2, 2, 3, 7, 7],
      );
      assert.deepEqual(stepLine(doc.cells[2]!.source), { number: 2, done: true, text: 'Create a namespace for the test:' });
      assert.equal(setStepDone(doc.cells[4]!.source, true).slice(0, 9), '- [x] 3. ');
      assert.equal(setStepDone('plain text', true), 'plain text');
    });
  });

  describe('writes changes', () => {
    it("writes a new output and run record after a command, redacted, in the file's line ends", () => {
      const parsed = parseRunbookNotebook(drill.replace(/\n/g, '\r\n'));
      assert.ok(parsed.ok);
      const cells = parsed.value.cells.map((c, i) =>
        i === 6
          ? { ...c, output: 'namespace "x" deleted\npassword=hunter2\n', run: { state: 'failed' as const, by: 'bob', ms: 5 } }
          : c,
      );
      const text = formatRunbookNotebook({ ...parsed.value, cells }, { redact: (t) => t.replace(/hunter2/g, '***') });
      assert.ok(
        text.endsWith(
          [
            '```sh',
            'kubectl delete namespace endpoint-stats-dr-test',
            '```',
            '',
            '```output',
            'namespace "x" deleted',
            'password=***',
            '```',
            '<!-- dr-runbook: {"state":"failed","by":"bob","ms":5} -->',
            '',
          ].join('\r\n'),
        ),
        text,
      );
      assert.ok(!text.includes('hunter2'));
      const again = parseRunbookNotebook(text);
      assert.ok(again.ok);
      assert.equal(again.value.cells[6]!.output, 'namespace "x" deleted\npassword=***\n');
    });

    it('saves and reads back an output of 200,000 lines (1 MB and more), and a markdown cell as long', () => {
      const output = Array.from({ length: 200_000 }, (_, i) => `line ${i}`).join('\n') + '\n';
      assert.ok(output.length > 1_000_000);
      const doc: NotebookDoc = {
        cells: [
          { kind: 'markdown', source: output.trimEnd() },
          { kind: 'code', source: 'kubectl logs deployment/flask-api', language: 'sh', output },
        ],
      };
      const text = formatRunbookNotebook(doc);
      const again = parseRunbookNotebook(text);
      assert.ok(again.ok, again.ok ? '' : again.error.message);
      assert.equal(again.value.cells[1]!.output, output);
      assert.equal(again.value.cells[0]!.source.split('\n').length, 200_000);
    });

    it('picks a fence that output full of fences cannot close, and keeps --> out of the comment', () => {
      const doc: NotebookDoc = {
        cells: [
          {
            kind: 'code',
            language: 'sh',
            source: 'cat README.md',
            output: '```\nx\n````',
            run: { state: 'succeeded', by: 'a-->b' },
          },
        ],
      };
      const text = formatRunbookNotebook(doc);
      assert.equal(
        text,
        '```sh\ncat README.md\n```\n\n`````output\n```\nx\n````\n`````\n<!-- dr-runbook: {"state":"succeeded","by":"a--\\u003eb"} -->\n',
      );
      const parsed = parseRunbookNotebook(text);
      assert.ok(parsed.ok);
      assert.equal(parsed.value.cells[0]!.output, '```\nx\n````\n');
      assert.equal(parsed.value.cells[0]!.run?.by, 'a-->b');
    });

    it('keeps a hand-spaced run record until its meaning changes', () => {
      const text = '```sh\nx\n```\n<!-- dr-runbook: { "state": "done" } -->\n';
      const parsed = parseRunbookNotebook(text);
      assert.ok(parsed.ok);
      assert.equal(formatRunbookNotebook(parsed.value), text);
      const changed = { ...parsed.value, cells: [{ ...parsed.value.cells[0]!, run: { state: 'skipped' as const } }] };
      assert.equal(formatRunbookNotebook(changed), '```sh\nx\n```\n<!-- dr-runbook: {"state":"skipped"} -->\n');
    });

    it('separates new cells with one blank line, and a cell appended after the last one too', () => {
      const parsed = parseRunbookNotebook('# T\n\n- [ ] 1. A\n');
      assert.ok(parsed.ok);
      const cells = [...parsed.value.cells, { kind: 'code' as const, language: 'sh', source: 'echo a' }];
      assert.equal(formatRunbookNotebook({ ...parsed.value, cells }), '# T\n\n- [ ] 1. A\n\n```sh\necho a\n```\n');
    });
  });

  describe('refuses a file it cannot read, with the line and what to do', () => {
    const cases: [string, string, number, RegExp][] = [
      ['an unterminated fence', '# T\n\n```sh\nkubectl get pods\n', 3, /never closed: add a line with ```/],
      ['an unterminated fence inside markdown', '- [ ] 1. x\n   ~~~\n   y\n', 2, /never closed/],
      ['an unterminated output block', '```sh\nx\n```\n```output\ny\n', 4, /never closed/],
      ['a corrupt run record', '```sh\nx\n```\n<!-- dr-runbook: {"state":"done" -->\n', 4, /not valid JSON/],
      ['a run record not on one line', '```sh\nx\n```\n<!-- dr-runbook: {"state":"done"}\n-->\n', 4, /damaged/],
      ['an unknown state', '```sh\nx\n```\n<!-- dr-runbook: {"state":"maybe"} -->\n', 4, /"state" must be one of/],
      ['a wrongly typed field', '```sh\nx\n```\n<!-- dr-runbook: {"state":"done","ms":"fast"} -->\n', 4, /"ms" must be a number/],
      ['a run record before any cell', '<!-- dr-runbook: {"state":"done"} -->\n', 1, /does not follow/],
      [
        'two run records for one cell',
        '```sh\nx\n```\n<!-- dr-runbook: {"state":"done"} -->\n<!-- dr-runbook: {"state":"done"} -->\n',
        5,
        /does not follow/,
      ],
      ['an output block after markdown', '# T\n```output\nx\n```\n', 2, /does not come right after a command/],
      ['a corrupt header', '<!-- dr-runbook-notebook: {title} -->\n', 1, /header is not valid JSON/],
      ['a header that is not an object', '<!-- dr-runbook-notebook: [1] -->\n', 1, /must be a JSON object/],
      ['a header further down', '# T\n<!-- dr-runbook-notebook: {} -->\n', 2, /must be the first line/],
    ];
    for (const [name, text, line, message] of cases) {
      it(name, () => {
        const parsed = parseRunbookNotebook(text);
        assert.ok(!parsed.ok, 'it parsed');
        assert.equal(parsed.error.line, line);
        assert.match(parsed.error.message, message);
      });
    }
  });
});

describe('cell languages', () => {
  it('maps fences to editor ids and back, keeping the fence the file wrote', () => {
    assert.equal(languageIdOfFence('sh'), 'shellscript');
    assert.equal(languageIdOfFence('Bash'), 'shellscript');
    assert.equal(languageIdOfFence(undefined), 'plaintext');
    assert.equal(languageIdOfFence('yml'), 'yaml');
    assert.equal(languageIdOfFence('sql'), 'sql');
    assert.equal(fenceOfLanguageId('shellscript', 'bash'), 'bash');
    assert.equal(fenceOfLanguageId('shellscript', undefined), 'sh');
    assert.equal(fenceOfLanguageId('plaintext', undefined), undefined);
    assert.equal(fenceOfLanguageId('yaml', 'yml'), 'yml');
    assert.equal(fenceOfLanguageId('sql', 'sh'), 'sql');
  });
});

describe('generated files', () => {
  // Pieces a person might put in a runbook notebook, in any order, with any spacing.
  const pieces = [
    '# Heading',
    '- [ ] 1. A step',
    '- [x] 12. A done step\n  with a continuation line',
    'Free text.\nMore free text.',
    '```sh\nkubectl get pods\n```',
    '```sh\nkubectl get pods\n```\n\n```output\nNAME READY\n```',
    '```sh\nfalse\n```\n```output\n```\n<!-- dr-runbook: {"state":"failed","exitCode":1} -->',
    '<!-- dr-runbook: {"state":"done","by":"carol"} -->',
    '~~~yaml\nkind: Namespace\n~~~',
    '   ```\n   indented fence in markdown\n   ```',
    '  ',
    '<!-- a note -->',
  ];
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };

  it('come back byte for byte, and read the same again after formatting, 500 of them', () => {
    let readable = 0;
    for (let n = 0; n < 500; n++) {
      const parts: string[] = [];
      for (let k = random(8); k >= 0; k--) parts.push(pieces[random(pieces.length)]!, '\n'.repeat(random(3) + 1));
      let text = parts.join('');
      if (random(2)) text = text.slice(0, -1);
      if (random(4) === 0) text = `<!-- dr-runbook-notebook: {"scenario":"s${n}"} -->\n${text}`;
      if (random(3) === 0) text = text.replace(/\n/g, '\r\n');
      const parsed = parseRunbookNotebook(text);
      if (!parsed.ok) continue; // e.g. a run record that follows nothing, or two in a row
      readable++;
      const formatted = formatRunbookNotebook(parsed.value);
      assert.equal(formatted, text, JSON.stringify(text));
      // And a notebook with its layout forgotten (as if every cell were new) still reads back the same cells.
      const fresh = formatRunbookNotebook({
        header: parsed.value.header,
        cells: parsed.value.cells.map(({ layout: _, ...c }) => c),
      });
      const again = parseRunbookNotebook(fresh);
      assert.ok(again.ok, fresh);
      assert.deepEqual(
        again.value.cells.map((c) => [c.kind, c.source, c.output, c.run]),
        parsed.value.cells.map((c) => [c.kind, c.source, c.output, c.run]),
        fresh,
      );
    }
    assert.ok(readable > 250, `only ${readable} of 500 were readable`);
  });

  it('a command cell whose language is "output" is not written as an output block', () => {
    const text = formatRunbookNotebook({ cells: [{ kind: 'code', language: 'output', source: 'x' }] });
    assert.equal(text, '```text\nx\n```\n');
  });
});
