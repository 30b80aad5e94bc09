import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifests, parseManifestText } from '../../../../src/core/manifests/loadManifests.js';

describe('parseManifestText', () => {
  it('reads every document with its kind, name, namespace and line', () => {
    const file = parseManifestText(
      [
        '# leading comment',
        'apiVersion: v1',
        'kind: Service',
        'metadata:',
        '  name: db',
        '  namespace: endpoint-stats',
        '---',
        '---',
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: flask-api}',
        '',
      ].join('\n'),
      'k8s/x.yaml',
    );
    assert.deepEqual(file.errors, []);
    assert.deepEqual(
      file.objects.map((o) => [o.kind, o.name, o.namespace, o.line, o.column, o.file]),
      [
        ['Service', 'db', 'endpoint-stats', 2, 1, 'k8s/x.yaml'],
        ['Deployment', 'flask-api', undefined, 9, 1, 'k8s/x.yaml'],
      ],
    );
  });

  it('expands a List into its items', () => {
    const file = parseManifestText(
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n',
      'list.yaml',
    );
    assert.deepEqual(
      file.objects.map((o) => [o.name, o.line, o.column]),
      [
        ['a', 4, 3],
        ['b', 7, 3],
      ],
    );
  });

  it('reports malformed YAML at its line and column', () => {
    const file = parseManifestText('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: [unclosed\n', 'bad.yaml');
    assert.equal(file.objects.length, 0);
    assert.equal(file.errors.length > 0, true);
    const [first] = file.errors;
    assert.equal(first!.kind, 'syntax');
    assert.equal(first!.file, 'bad.yaml');
    assert.ok(first!.line >= 5, `line ${first!.line}`);
  });

  it('reports a tab-indented document and a duplicate key', () => {
    const dup = parseManifestText('apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata: {name: a}\n', 'dup.yaml');
    assert.deepEqual(
      dup.errors.map((e) => [e.kind, e.line]),
      [['syntax', 3]],
    );
  });

  it('reports documents with no kind, no apiVersion, no name, or that are not mappings, and keeps the good ones', () => {
    const file = parseManifestText(
      [
        'apiVersion: v1',
        'metadata: {name: nokind}',
        '---',
        'kind: ConfigMap',
        'metadata: {name: noversion}',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: {labels: {a: b}}',
        '---',
        '- just',
        '- a list',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: {name: good}',
      ].join('\n'),
      'mixed.yaml',
    );
    assert.deepEqual(
      file.errors.map((e) => [e.kind, e.line, e.column, e.message]),
      [
        ['invalid', 1, 1, 'This document has no kind.'],
        ['invalid', 4, 1, 'This ConfigMap has no apiVersion.'],
        ['invalid', 7, 1, 'This ConfigMap has no metadata.name.'],
        ['invalid', 11, 1, 'A manifest document must be a mapping with apiVersion, kind and metadata.'],
      ],
    );
    assert.deepEqual(
      file.objects.map((o) => o.name),
      ['good'],
    );
  });
});

describe('loadManifests', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'dr-manifests-'));
    mkdirSync(join(root, 'k8s/monitoring'), { recursive: true });
    writeFileSync(join(root, 'k8s/monitoring/b.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n');
    writeFileSync(join(root, 'k8s/monitoring/a.yml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n');
    writeFileSync(join(root, 'k8s/monitoring/README.md'), '# not a manifest\n');
    mkdirSync(join(root, 'k8s/monitoring/nested'));
    writeFileSync(join(root, 'k8s/monitoring/nested/c.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n');
    mkdirSync(join(root, 'k8s/empty'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('reads a folder like kubectl apply -f: its manifest files sorted, not recursive', async () => {
    const files = await loadManifests(root, 'k8s/monitoring/');
    assert.deepEqual(
      files.map((f) => [f.file, f.objects.map((o) => o.name)]),
      [
        ['k8s/monitoring/a.yml', ['a']],
        ['k8s/monitoring/b.yaml', ['b']],
      ],
    );
  });

  it('reads a single file', async () => {
    const [file] = await loadManifests(root, 'k8s/monitoring/b.yaml');
    assert.equal(file!.objects[0]!.name, 'b');
  });

  it('reports a path that does not exist, and a folder with no manifest', async () => {
    const [missing] = await loadManifests(root, 'k8s/typo.yaml');
    assert.deepEqual(
      missing!.errors.map((e) => [e.kind, e.message]),
      [['missing', 'k8s/typo.yaml does not exist.']],
    );
    const [empty] = await loadManifests(root, 'k8s/empty');
    assert.deepEqual(
      empty!.errors.map((e) => e.kind),
      ['missing'],
    );
  });
});
