// The extension bundle reaches `yaml` through src/extension/lazyYaml.cjs (see scripts/dev/build.mjs),
// which serves a fixed list of names: every value src/ imports from 'yaml' must be on it, or the
// bundle would hand core `undefined`.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('lazyYaml.cjs', () => {
  it('serves every name src/ imports from yaml', () => {
    const imported = new Set<string>();
    for (const file of sources(join(ROOT, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/import\s*\{([^}]*)\}\s*from\s*'yaml'/g)) {
        for (const name of m[1]!.split(',').map((n) => n.trim())) if (name && !name.startsWith('type ')) imported.add(name);
      }
    }
    assert.ok(imported.has('parseAllDocuments'), 'the scan found the imports');
    const shim = createRequire(import.meta.url)(join(ROOT, 'src/extension/lazyYaml.cjs')) as object;
    const served = Object.keys(shim);
    for (const name of imported) assert.ok(served.includes(name), `lazyYaml.cjs does not serve ${name}`);
  });

  it('lazyMarkdown.cjs serves fromMarkdown, the one name src/ imports from mdast-util-from-markdown', () => {
    const imported = new Set<string>();
    for (const file of sources(join(ROOT, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/import\s*\{([^}]*)\}\s*from\s*'mdast-util-from-markdown'/g)) {
        for (const name of m[1]!.split(',').map((n) => n.trim())) if (name && !name.startsWith('type ')) imported.add(name);
      }
    }
    assert.deepEqual([...imported], ['fromMarkdown']);
    const shim = createRequire(import.meta.url)(join(ROOT, 'src/extension/lazyMarkdown.cjs')) as object;
    assert.deepEqual(Object.keys(shim), ['fromMarkdown']);
  });
});
