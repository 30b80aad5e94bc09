// The entry point of `dr-runbook` (bundled to dist/cli.cjs): the command line of src/cli/main.ts
// on this process's arguments, streams and exit code. A terminal answers a run's questions;
// Ctrl-C cancels a run (its record and report are still written).
import { createInterface } from 'node:readline/promises';
import { main } from './main.js';

const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
process.once('SIGTERM', () => abort.abort());
const terminal = process.stdin.isTTY ? createInterface({ input: process.stdin, output: process.stdout }) : undefined;

main(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
  ...(terminal ? { ask: (question: string) => terminal.question(question, { signal: abort.signal }) } : {}),
  signal: abort.signal,
})
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `dr-runbook: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 70;
    },
  )
  .finally(() => terminal?.close());
