// `mdast-util-from-markdown` as the extension bundle sees it: `fromMarkdown`, loading the separate
// dist/markdown.cjs bundle on first use, when the plan is first read (not while the extension's
// code loads). Bundled in by the plugin in scripts/dev/build.mjs; tests import the real package.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS shim that loads a sibling bundle */
/* global exports */
const { join } = require('node:path');

let loaded;
Object.defineProperty(exports, 'fromMarkdown', {
  enumerable: true,
  get: () => (loaded ??= require(join(__dirname, 'markdown.cjs'))).fromMarkdown,
});
