// `npm test`: everything a fresh Debian machine needs to check the project, in one command.
// Installs the system packages it lacks (as root; otherwise it says what to run), then runs the
// type check, lint, format check, a look for merge conflict markers, and the unit, integration and end-to-end tiers, printing each
// tier's counts and a closing "N passed, N failed" line.
import { spawn } from 'node:child_process';
import { ensurePrerequisites } from './prerequisites.mjs';

const only = process.argv.slice(2); // e.g. `npm test -- unit integration`

/** Runs a command, echoing its output, and returns its exit code and output. */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    const echo = (stream) => (chunk) => {
      output += chunk;
      stream.write(chunk);
    };
    child.stdout.on('data', echo(process.stdout));
    child.stderr.on('data', echo(process.stderr));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
    child.on('error', (error) => resolve({ code: 1, output: String(error) }));
  });
}

/** Counts from mocha's spec reporter ("12 passing", "1 failing", "2 pending"). */
function mochaCounts(output) {
  const count = (word) => Number(new RegExp(`^\\s*(\\d+) ${word}`, 'm').exec(output)?.[1] ?? 0);
  return { passed: count('passing'), failed: count('failing'), skipped: count('pending') };
}

/** Counts from the integration harness's closing line. */
function harnessCounts(output) {
  const m = /^integration: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/m.exec(output);
  return m ? { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3] ?? 0) } : { passed: 0, failed: 0, skipped: 0 };
}

const checks = [
  { name: 'build', command: ['node', ['scripts/dev/build.mjs']] },
  { name: 'typecheck', command: ['npx', ['tsc', '-p', '.', '--noEmit']] },
  { name: 'lint', command: ['npx', ['eslint', '.', '--max-warnings', '0']] },
  { name: 'format', command: ['npx', ['prettier', '--check', '.', '--log-level', 'warn']] },
  { name: 'conflict markers', command: ['node', ['scripts/dev/noConflictMarkers.mjs']] },
  { name: 'unit', command: ['npx', ['mocha', '--config', 'test/unit/.mocharc.json']], counts: mochaCounts },
  { name: 'integration', command: ['npx', ['tsx', 'test/harness/runIntegration.ts']], counts: harnessCounts },
  { name: 'e2e', command: ['npx', ['mocha', '--config', 'test/e2e/.mocharc.json']], counts: mochaCounts },
];

const started = Date.now();
await ensurePrerequisites();
const results = [];
for (const check of checks) {
  if (only.length && !only.includes(check.name) && check.name !== 'build') continue;
  console.log(`\n=== ${check.name} ===`);
  const t0 = Date.now();
  const { code, output } = await run(...check.command);
  const counts = check.counts?.(output);
  // A tier that exits non-zero without a failing count still counts as a failure.
  if (counts && code !== 0 && counts.failed === 0) counts.failed = 1;
  results.push({ name: check.name, ok: code === 0, seconds: (Date.now() - t0) / 1000, counts, output });
}

/**
 * Mocha's "N failing" sections of a tier's output, so that the end of a long log (all a CI page
 * may keep) still says which test failed and why. At most `limit` lines.
 */
function failures(output, limit = 80) {
  const lines = output.split('\n');
  const picked = [];
  for (let i = 0; i < lines.length && picked.length < limit; i++) {
    if (!/^\s*\d+ failing\s*$/.test(lines[i])) continue;
    for (let j = i; j < lines.length && picked.length < limit; j++) {
      if (j > i && /^\s*\d+ (passing|pending)\b/.test(lines[j])) break;
      picked.push(lines[j]);
    }
  }
  return picked;
}

console.log('\n=== summary ===');
let passed = 0;
let failed = 0;
let skipped = 0;
for (const r of results) {
  const c = r.counts
    ? `${r.counts.passed} passed, ${r.counts.failed} failed, ${r.counts.skipped} skipped`
    : r.ok
      ? 'ok'
      : 'FAILED';
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(12)} ${c.padEnd(40)} ${r.seconds.toFixed(1)} s`);
  if (r.counts) {
    passed += r.counts.passed;
    failed += r.counts.failed;
    skipped += r.counts.skipped;
  } else if (!r.ok) {
    failed += 1;
  }
}
for (const r of results.filter((r) => !r.ok)) {
  const lines = failures(r.output);
  if (lines.length) console.log(`\n=== ${r.name}: what failed (repeated from above) ===\n${lines.join('\n')}`);
}
console.log(`took ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
