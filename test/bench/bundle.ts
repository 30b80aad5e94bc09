// npm run bench:bundle
//
// The production build (`scripts/dev/build.mjs --production`, minified), made in a temporary
// folder so that the checkout's dist/ (which the tests load) is left alone:
//   - dist/extension.cjs, what activation loads: target under 2 MB; its baseline is one bundle
//     holding everything (extension.cjs + every lazy bundle), what activation would load if the
//     runs, the parsers, @kubernetes/client-node and execa were not split out and loaded on first use;
//   - the lazy bundles (dist/plan.cjs, dist/runs.cjs, dist/markdown.cjs, dist/yaml.cjs, dist/adapters.cjs), each on its own;
//   - the .vsix that `npm run package` makes of it (vsce, the same options).
// Results go to test-results/bench/bundle.json.
import { execa } from 'execa';
import { cpSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeTempDir, removeQuietly, ROOT } from '../../scripts/lib/codeServer.ts';
import { figure, figureTable, writeResult, type Figure } from './results.ts';

export const BUNDLE_TARGET_BYTES = 2_000_000;

/** What a .vsix of the extension holds (see .vscodeignore), with the production build in its dist/. */
const PACKAGED = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore', 'media'];

export interface ProductionExtension {
  /** An extension folder, installable as it is: the manifest, media and the minified dist/. */
  readonly dir: string;
  remove(): void;
}

/** Builds the extension for production into a temporary extension folder. */
export async function buildProductionExtension(): Promise<ProductionExtension> {
  const dir = makeTempDir('production-extension-');
  for (const entry of PACKAGED) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  mkdirSync(join(dir, 'dist'));
  await execa(process.execPath, [join(ROOT, 'scripts/dev/build.mjs'), '--production', '--outdir', join(dir, 'dist')], {
    cwd: ROOT,
  });
  return { dir, remove: () => removeQuietly(dir) };
}

async function main(): Promise<void> {
  const started = performance.now();
  const extension = await buildProductionExtension();
  try {
    const size = (file: string) => statSync(join(extension.dir, file)).size;
    const main = size('dist/extension.cjs');
    // Every bundle the extension loads later; the command line (dist/cli.cjs) is not in the .vsix.
    const lazy = readdirSync(join(extension.dir, 'dist'))
      .filter((f) => f.endsWith('.cjs') && f !== 'extension.cjs' && f !== 'cli.cjs')
      .sort()
      .map((f) => ({ file: `dist/${f}`, bytes: size(`dist/${f}`) }));
    const lazyBytes = lazy.reduce((sum, l) => sum + l.bytes, 0);
    // As `npm run package` does, on the same production build.
    const vsix = join(extension.dir, 'dr-runbook.vsix');
    await execa(
      join(ROOT, 'node_modules/.bin/vsce'),
      ['package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', vsix],
      { cwd: extension.dir },
    );
    const figures: Figure[] = [
      figure({
        id: 'bundle.extension.bytes',
        label: 'dist/extension.cjs (activation loads it)',
        value: main,
        unit: 'bytes',
        baseline: { label: 'one bundle', value: main + lazyBytes },
        target: { text: '< 2 MB', met: main < BUNDLE_TARGET_BYTES },
      }),
      ...lazy.map((l) =>
        figure({ id: `bundle.${l.file.slice(5, -4)}.bytes`, label: `${l.file} (lazy)`, value: l.bytes, unit: 'bytes' }),
      ),
      figure({ id: 'bundle.vsix.bytes', label: 'dr-runbook.vsix', value: size('dr-runbook.vsix'), unit: 'bytes' }),
    ];
    const path = writeResult({
      bench: 'bundle',
      seconds: (performance.now() - started) / 1000,
      options: { build: 'scripts/dev/build.mjs --production' },
      figures,
      details: {
        extensionBytes: main,
        lazyBytes: Object.fromEntries(lazy.map((l) => [l.file, l.bytes])),
        vsixBytes: size('dr-runbook.vsix'),
        targetBytes: BUNDLE_TARGET_BYTES,
      },
    });
    console.log(`\n${figureTable(figures)}\n\nresults: ${path}`);
  } finally {
    extension.remove();
  }
}

if (resolve(process.argv[1] ?? '') === import.meta.filename) await main();
