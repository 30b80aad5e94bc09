#!/usr/bin/env node
// `dr-runbook`: checks the Node.js version and that the bundle is built, then runs dist/cli.cjs.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS launcher that loads the bundle */
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(`dr-runbook: Node.js 22 or later is needed (this is ${process.version}).\n`);
  process.exit(2);
}
const bundle = join(__dirname, '..', 'dist', 'cli.cjs');
if (!existsSync(bundle)) {
  process.stderr.write(`dr-runbook: ${bundle} is not built yet: run npm run build.\n`);
  process.exit(2);
}
require(bundle);
