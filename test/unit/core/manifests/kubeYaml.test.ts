/**
 * The manifest loader reads YAML as kubectl does: a corpus of tricky scalars and structures, read
 * by the loader and by kubectl (`kubectl annotate --local -o json`, which decodes files with the
 * same reader as `kubectl apply` and needs no server), must give the same JSON; a document kubectl
 * refuses, the loader refuses.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseManifestText } from '../../../../src/core/manifests/loadManifests.js';

const run = promisify(execFile);
const KUBECTL = process.env['KUBECTL'] ?? '/usr/bin/kubectl';

/** Plain scalars whose reading differs between YAML 1.1, YAML 1.2 and go-yaml. */
const SCALARS = [
  '0555',
  '0o17',
  '0O17',
  '0x1F',
  '0X1f',
  '-0x1F',
  '0b101',
  '-0b101',
  '+0b11',
  '0B11',
  '08',
  '09',
  '010',
  '0',
  '-0',
  '00',
  '1_000',
  '0x_1F',
  '1__0',
  '+12',
  '-12',
  '12345678901',
  '9223372036854775807',
  '1:20',
  '190:20:30',
  '1e3',
  '1E3',
  '1.5e-3',
  '.5',
  '+.5',
  '-.5',
  '1.',
  '1.0',
  '3.14',
  '1_0.5',
  '0.1_0',
  'y',
  'Y',
  'yes',
  'Yes',
  'YES',
  'n',
  'N',
  'no',
  'No',
  'NO',
  'on',
  'On',
  'ON',
  'off',
  'Off',
  'OFF',
  'true',
  'True',
  'TRUE',
  'false',
  'False',
  'FALSE',
  'tRUE',
  'yES',
  '~',
  'null',
  'Null',
  'NULL',
  'nULL',
  '',
  '2001-12-14',
  '2001-12-14t21:59:43.10-05:00',
  '2001-12-14 21:59:43.10 -5',
  '12:30:00',
  '1.2.3',
  '0x',
  '0b',
  '0o',
  '0xG',
  '+',
  '.',
  '_1',
  '1_',
  'Infinity',
  'NaN',
  'inf',
  '.nan1',
  '0.0.0.0',
  '0777',
  '0778',
  '1e',
  'e3',
  '0e0',
  '-1.5E+3',
  '+1',
  '0x7FFFFFFFFFFFFFFF',
  '0x10',
  '0o0',
  '1k',
  '100Mi',
  '"0555"',
  "'0555'",
  '!!str 0555',
  '!!str yes',
  '"yes"',
  '|\n    0555',
  '>-\n    on',
  '[1, 0555, yes]',
  '{a: on}',
];

const CORPUS = `apiVersion: example.com/v1
kind: Corpus
metadata:
  name: scalars
data:
${SCALARS.map((s, i) => `  k${i}: ${s}`).join('\n')}
---
apiVersion: example.com/v1
kind: Corpus
metadata:
  name: keys
data:
  on: 1
  "off": 2
  yes: 3
  n: 4
  12: five
  0x10: six
  1.5: seven
  true: eight
  0555: nine
---
apiVersion: example.com/v1
kind: Corpus
metadata:
  name: anchors
base: &base {a: 1, b: 2, mode: 0644}
more: &more {b: 20, c: 30}
merged:
  <<: *base
  c: 3
mergedList:
  <<: [*more, *base]
  d: 4
overridden:
  a: 0
  <<: *base
alias: *base
list: &list [0555, off]
again: *list
`;

/** Each corpus document as kubectl reads it, the annotation this test adds removed. */
async function kubectlReading(dir: string, text: string): Promise<unknown[]> {
  const file = join(dir, `corpus-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  const { stdout } = await run(KUBECTL, ['annotate', '--local', '-f', file, '-o', 'json', 'corpus-test=1'], { timeout: 30_000 });
  // One JSON object per document, one after the other.
  const items = JSON.parse(`[${stdout.replace(/\n}\n{/g, '\n},\n{')}]`) as Record<string, unknown>[];
  return items.map((item) => {
    const metadata = { ...(item['metadata'] as Record<string, unknown>) };
    const annotations = { ...(metadata['annotations'] as Record<string, string>) };
    delete annotations['corpus-test'];
    if (Object.keys(annotations).length) metadata['annotations'] = annotations;
    else delete metadata['annotations'];
    return { ...item, metadata };
  });
}

async function kubectlRefuses(dir: string, text: string): Promise<string | undefined> {
  try {
    await kubectlReading(dir, text);
    return undefined;
  } catch (e) {
    return String((e as { stderr?: string }).stderr ?? e);
  }
}

(existsSync(KUBECTL) ? describe : describe.skip)('kubeYaml: manifests read as kubectl reads them', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kube-yaml-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a corpus of tricky scalars, keys, anchors and merge keys exactly as kubectl does', async () => {
    const ours = parseManifestText(CORPUS, 'corpus.yaml');
    assert.deepEqual(ours.errors, []);
    const theirs = await kubectlReading(dir, CORPUS);
    assert.equal(ours.objects.length, theirs.length);
    for (const [i, object] of ours.objects.entries()) {
      const expected = theirs[i] as Record<string, unknown>;
      // Compare field by field so a failure names the scalar.
      for (const key of new Set([...Object.keys(object.body), ...Object.keys(expected)])) {
        const a = object.body[key];
        const b = expected[key];
        if (typeof a === 'object' && a && !Array.isArray(a) && typeof b === 'object' && b && !Array.isArray(b)) {
          for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
            const index = /^k(\d+)$/.exec(k)?.[1];
            const label = index
              ? `${object.name}.${key}.${k} (${JSON.stringify(SCALARS[Number(index)])})`
              : `${object.name}.${key}.${k}`;
            assert.deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], label);
          }
        } else assert.deepEqual(a, b, `${object.name}.${key}`);
      }
    }
  });

  it('keeps the line of every field, for errors that name a field', () => {
    const [object] = parseManifestText(CORPUS, 'corpus.yaml').objects;
    assert.equal(object!.fieldLines.get('/data/k0'), 6);
    assert.equal(object!.fieldLines.get('/metadata/name'), 4);
  });

  for (const [title, text] of [
    ['an infinite float', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  x: 1\nspec: {n: .inf}\n'],
    ['a NaN', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec: {n: .NaN}\n'],
    ['a null key', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec: {~: 1}\n'],
  ] as const) {
    it(`refuses ${title} as kubectl does`, async () => {
      const ours = parseManifestText(text, 'bad.yaml');
      assert.equal(ours.objects.length, 0, 'the loader refuses it');
      assert.equal(ours.errors[0]?.line, text.split('\n').findIndex((l) => l.startsWith('spec')) + 1);
      assert.ok(await kubectlRefuses(dir, text), 'kubectl refuses it');
    });
  }
});
