import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
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

  it('follows symlinks in a folder as kubectl does, and reads subfolders only with -R', async () => {
    mkdirSync(join(root, 'k8s/linked'));
    symlinkSync(join(root, 'k8s/monitoring/b.yaml'), join(root, 'k8s/linked/b.yaml'));
    writeFileSync(join(root, 'k8s/linked/a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n');
    assert.deepEqual(
      (await loadManifests(root, 'k8s/linked')).map((f) => [f.file, f.objects.map((o) => o.name)]),
      [
        ['k8s/linked/a.yaml', ['a']],
        ['k8s/linked/b.yaml', ['b']],
      ],
    );
    assert.deepEqual(
      (await loadManifests(root, 'k8s/monitoring', undefined, { recursive: true })).map((f) => f.file),
      ['k8s/monitoring/a.yml', 'k8s/monitoring/b.yaml', 'k8s/monitoring/nested/c.yaml'],
    );
  });

  it('refuses a FIFO, a socket-like or device path without opening it', async () => {
    execFileSync('mkfifo', [join(root, 'k8s/pipe.yaml')]);
    const [fifo] = await loadManifests(root, 'k8s/pipe.yaml');
    assert.deepEqual(
      fifo!.errors.map((e) => [e.kind, e.message]),
      [['unreadable', 'k8s/pipe.yaml is a named pipe (FIFO): DR Runbook reads only regular files as manifests.']],
    );
    const [device] = await loadManifests(root, '/dev/zero');
    assert.match(device!.errors[0]!.message, /^\/dev\/zero is a device/);
    // In a folder too: the FIFO is named, not skipped, and the other files still load.
    mkdirSync(join(root, 'k8s/withPipe'));
    execFileSync('mkfifo', [join(root, 'k8s/withPipe/a.yaml')]);
    writeFileSync(join(root, 'k8s/withPipe/b.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n');
    assert.deepEqual(
      (await loadManifests(root, 'k8s/withPipe')).map((f) => [f.file, f.errors.length, f.objects.length]),
      [
        ['k8s/withPipe/a.yaml', 1, 0],
        ['k8s/withPipe/b.yaml', 0, 1],
      ],
    );
  });

  it('refuses a file over the size limit, an empty file and one with no objects', async () => {
    writeFileSync(join(root, 'k8s/huge.yaml'), '');
    truncateSync(join(root, 'k8s/huge.yaml'), 50 * 1024 * 1024);
    const [huge] = await loadManifests(root, 'k8s/huge.yaml');
    assert.equal(
      huge!.errors[0]!.message,
      'k8s/huge.yaml is 50 MB: DR Runbook reads manifests up to 4 MB. Split it into smaller files.',
    );
    writeFileSync(join(root, 'k8s/empty.yaml'), '');
    writeFileSync(join(root, 'k8s/comments.yaml'), '# nothing yet\n---\n');
    for (const name of ['empty', 'comments']) {
      const [file] = await loadManifests(root, `k8s/${name}.yaml`);
      assert.deepEqual(
        file!.errors.map((e) => [e.kind, e.message]),
        [['invalid', `k8s/${name}.yaml holds no objects: kubectl refuses it ("no objects passed to apply").`]],
      );
    }
  });

  it('refuses a YAML alias bomb with its file and line, and goes on with the other files', async () => {
    mkdirSync(join(root, 'k8s/bomb'));
    const bomb = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: bomb}',
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'data: {x: [*d,*d,*d,*d,*d,*d,*d,*d,*d]}',
    ].join('\n');
    writeFileSync(join(root, 'k8s/bomb/a.yaml'), bomb);
    writeFileSync(join(root, 'k8s/bomb/b.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n');
    const [a, b] = await loadManifests(root, 'k8s/bomb');
    assert.equal(a!.objects.length, 0);
    assert.deepEqual(
      a!.errors.map((e) => [e.file, e.line]),
      [['k8s/bomb/a.yaml', 5]],
    );
    assert.match(a!.errors[0]!.message, /alias/i);
    assert.equal(b!.objects.length, 1);
  });
});
