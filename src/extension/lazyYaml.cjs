// The `yaml` package as the extension bundle sees it: the names core uses, each loading the
// separate dist/yaml.cjs bundle on first use. Activation then never parses the YAML library
// (half of the extension's code); the plan's manifests load it a moment later. Bundled in by the
// plugin in scripts/dev/build.mjs; tests and scripts import the real package.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS shim that loads a sibling bundle */
/* global exports */
const { join } = require('node:path');

let loaded;
const yaml = () => (loaded ??= require(join(__dirname, 'yaml.cjs')));

for (const name of [
  'isAlias',
  'isMap',
  'isScalar',
  'isSeq',
  'isPair',
  'LineCounter',
  'parseAllDocuments',
  'parseDocument',
  'parse',
  'stringify',
]) {
  Object.defineProperty(exports, name, { enumerable: true, get: () => yaml()[name] });
}
