import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { canonicalJson, CHAIN_GENESIS, lastChain, verifyChain } from '../../../../src/core/run/hashChain.js';
import { createJournalWriter, readJournal } from '../../../../src/core/run/journal.js';
import { runEvents } from './runEvents.js';

const ev = runEvents({ runId: 'c0ffee01', scenarioId: 'quarterly-dr-drill', who: 'alice' });
const T = '2026-12-03T10:00:00.000Z';
const events = [
  ev.started({
    at: T,
    context: 'kind-dr',
    namespace: 'endpoint-stats',
    incidentStartedAt: T,
    steps: [{ number: 1, title: 'Create a namespace' }],
  }),
  ev.step(1, 'running', T),
  ev.step(1, 'succeeded', T, { durationMs: 1200, summary: 'namespace/endpoint-stats-dr-test created' }),
  ev.finished(T),
];

describe('the run record’s hash chain', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dr-chain-'));
    path = join(dir, 'run.jsonl');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeRecord(): Promise<string> {
    const writer = createJournalWriter(path);
    for (const e of events) assert.ok((await writer.append(e)).ok);
    return readFile(path, 'utf8');
  }

  it('is written with every line by the journal writer, and the record still reads as before', async () => {
    const text = await writeRecord();
    const verified = verifyChain(text);
    assert.ok(verified.ok, verified.ok ? '' : verified.error.message);
    assert.equal(verified.value.lines, 4);
    assert.equal(verified.value.head, lastChain(text));
    assert.notEqual(verified.value.head, CHAIN_GENESIS);
    const read = await readJournal(path);
    assert.ok(read.ok);
    assert.deepEqual(
      read.value.map((e) => ({ ...e, chain: undefined })),
      events.map((e) => ({ ...e, chain: undefined })),
    );
  });

  it('continues across writers (a resumed run), and past a line cut short by a crash', async () => {
    const first = createJournalWriter(path);
    for (const e of events.slice(0, 2)) assert.ok((await first.append(e)).ok);
    await appendFile(path, '{"runId":"c0ffee01","type":"st');
    const second = createJournalWriter(path);
    for (const e of events.slice(2)) assert.ok((await second.append(e)).ok);
    const verified = verifyChain(await readFile(path, 'utf8'));
    assert.ok(verified.ok, verified.ok ? '' : verified.error.message);
    assert.equal(verified.value.lines, 4);
  });

  it('finds where a record was changed, a line removed, lines swapped or a line added', async () => {
    const lines = (await writeRecord()).trimEnd().split('\n');
    const variants: [string, string[], number][] = [
      ['a changed duration', lines.map((l, i) => (i === 2 ? l.replace('"durationMs":1200', '"durationMs":900') : l)), 3],
      ['a removed line', lines.filter((_, i) => i !== 1), 2],
      ['two lines swapped', [lines[0]!, lines[2]!, lines[1]!, lines[3]!], 2],
      ['a line added at the end', [...lines, lines[3]!], 5],
    ];
    for (const [name, changed, line] of variants) {
      const result = verifyChain(`${changed.join('\n')}\n`);
      assert.ok(!result.ok, `${name} was not noticed`);
      assert.equal(result.error.line, line, `${name}: ${result.error.message}`);
    }
    assert.equal(
      (verifyChain(`${lines.slice(0, 3).join('\n')}\n`) as { ok: true; value: { lines: number } }).value.lines,
      3,
      'a cut record is still a chain; the bundle’s head notices the cut',
    );
  });

  it('notices any edit of any field of any line (property)', async () => {
    const text = await writeRecord();
    const lines = text.trimEnd().split('\n');
    fc.assert(
      fc.property(fc.nat(lines.length - 1), fc.string({ minLength: 1, maxLength: 20 }), (index, value) => {
        const object = JSON.parse(lines[index]!) as Record<string, unknown>;
        const keys = Object.keys(object).filter((k) => k !== 'chain');
        const key = keys[value.length % keys.length]!;
        fc.pre(JSON.stringify(object[key]) !== JSON.stringify(value));
        const edited = lines.map((l, i) => (i === index ? JSON.stringify({ ...object, [key]: value }) : l));
        const result = verifyChain(`${edited.join('\n')}\n`);
        return !result.ok && result.error.line === index + 1;
      }),
    );
  });

  it('hashes canonical JSON: key order and spacing do not matter, values do', async () => {
    assert.equal(canonicalJson({ b: 1, a: [2, { d: 1, c: 'x' }] }), '{"a":[2,{"c":"x","d":1}],"b":1}');
    const lines = (await writeRecord()).trimEnd().split('\n');
    const reordered = lines.map((l) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify(Object.fromEntries(Object.entries(o).reverse()), null, 0);
    });
    assert.ok(verifyChain(`${reordered.join('\n')}\n`).ok);
    await writeFile(path, 'not json\n');
    assert.deepEqual(verifyChain(await readFile(path, 'utf8')), {
      ok: false,
      error: { line: 1, message: 'line 1 is not a JSON record' },
    });
  });
});
