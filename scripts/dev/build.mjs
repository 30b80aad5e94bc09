// Bundles the extension, the dr-runbook command line (and the in-host test suites) with esbuild.
//   node scripts/dev/build.mjs              development build with source maps
//   node scripts/dev/build.mjs --production minified, no source maps (for the .vsix)
//   node scripts/dev/build.mjs --watch
//   node scripts/dev/build.mjs --outdir DIR the extension's bundles into DIR instead of dist/ (npm run bench)
import { build, context } from 'esbuild';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const outdirAt = process.argv.indexOf('--outdir');
const outdir = outdirAt >= 0 ? process.argv[outdirAt + 1] : 'dist';

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // `vscode` is provided by the host; pg-native is an optional peer of pg that we never load.
  external: ['vscode', 'pg-native'],
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // import.meta.url is not defined in CommonJS: give bundled ESM packages the file's own URL.
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
};

// `yaml` and the CommonMark parser in the extension's bundles resolve to shims in src/extension/
// that load the real package from its own bundle (dist/yaml.cjs, dist/markdown.cjs) on first use.
const lazyPackages = {
  name: 'lazy-packages',
  setup(b) {
    const shims = { yaml: 'src/extension/lazyYaml.cjs', 'mdast-util-from-markdown': 'src/extension/lazyMarkdown.cjs' };
    b.onResolve({ filter: /^(yaml|mdast-util-from-markdown)$/ }, (args) =>
      args.importer.includes(`${join('node_modules')}`) || args.kind === 'entry-point'
        ? undefined
        : { path: resolve(shims[args.path]) },
    );
  },
};

// Six bundles: the extension, loaded at activation (the shells of the tree and the commands); the
// plan's core (reader, Problems scan, tree rows, run history), loaded by src/extension/planCore.ts
// when the plan is first read; the runs (run controller, notebooks, previews), loaded by
// src/extension/runs/lazyRuns.ts on first use; the
// YAML parser, loaded when the plan's manifests are first read; the CommonMark parser, loaded
// when the plan is first read; the adapters (client-node, execa), loaded by
// src/extension/trust.ts (the trust gate) when a run first needs them.
const extension = {
  ...common,
  entryPoints: {
    extension: 'src/extension/extension.ts',
    runs: 'src/extension/runs/runsBundle.ts',
    plan: 'src/extension/planCoreBundle.ts',
    adapters: 'src/adapters/bundle.ts',
  },
  outdir,
  outExtension: { '.js': '.cjs' },
  plugins: [lazyPackages],
};
const yamlBundle = {
  ...common,
  entryPoints: { yaml: 'yaml', markdown: 'mdast-util-from-markdown' },
  outdir,
  outExtension: { '.js': '.cjs' },
};

// The command line (`dr-runbook`, package.json "bin"): one self-contained bundle, yaml included.
const cli = {
  ...common,
  entryPoints: { cli: 'src/cli/cli.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  banner: { js: `#!/usr/bin/env node\n${common.banner.js}` },
};

const integrationDir = 'test/integration';
const suites = Object.fromEntries(
  readdirSync(integrationDir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => [f.replace(/\.ts$/, ''), join(integrationDir, f)]),
);
// Mocha stays external: the suite index requires it from node_modules inside the extension host.
const tests = {
  ...common,
  entryPoints: suites,
  outdir: 'dist-test/integration',
  outExtension: { '.js': '.cjs' },
  external: [...common.external, 'mocha'],
};

const targets = production ? [extension, yamlBundle, cli] : [extension, yamlBundle, cli, tests];
if (watch) {
  for (const options of targets) await (await context(options)).watch();
  console.log('esbuild: watching for changes');
} else {
  await Promise.all(targets.map((options) => build(options)));
}
