// Bundles the extension (and the in-host test suites) with esbuild.
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

// `yaml` in the extension's bundles resolves to src/extension/lazyYaml.cjs, which loads the real
// package from its own bundle, dist/yaml.cjs, on first use.
const lazyYaml = {
  name: 'lazy-yaml',
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, (args) =>
      args.importer.endsWith(join('node_modules', 'yaml', 'dist', 'index.js')) || args.kind === 'entry-point'
        ? undefined
        : { path: resolve('src/extension/lazyYaml.cjs') },
    );
  },
};

// Three bundles: the extension, loaded at activation; the YAML parser, loaded when the plan's
// manifests are first read; the adapters (client-node, execa), loaded by
// src/extension/trust.ts (the trust gate) when a run first needs them.
const extension = {
  ...common,
  entryPoints: { extension: 'src/extension/extension.ts', adapters: 'src/adapters/bundle.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  plugins: [lazyYaml],
};
const yamlBundle = {
  ...common,
  entryPoints: { yaml: 'yaml' },
  outdir,
  outExtension: { '.js': '.cjs' },
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

const targets = production ? [extension, yamlBundle] : [extension, yamlBundle, tests];
if (watch) {
  for (const options of targets) await (await context(options)).watch();
  console.log('esbuild: watching for changes');
} else {
  await Promise.all(targets.map((options) => build(options)));
}
