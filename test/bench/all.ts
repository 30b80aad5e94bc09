// npm run bench [-- --quick] [-- --only bundle,activation,k8s,restore]
//
// Every benchmark, one after the other, each in a process of its own as its own npm script runs
// it (so each can still be run alone): the bundle size (bundle.ts), activation, cluster calls
// during activation and the time until the tree shows the plan in the real VS Code
// (activation.ts), the Kubernetes engine (k8s.ts) and the restore (restore.ts). Each writes
// test-results/bench/<name>.json; this collects their figures into test-results/bench/results.json
// and prints one table: figure | value | baseline | ratio | target.
// --quick: fewer runs and a smaller database, for a check in a few minutes; the default gives the
// real figures.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../../scripts/lib/codeServer.ts';
import { BENCH_RESULTS, figureTable, machine, readResult, resultPath, type BenchResult, type Figure } from './results.ts';

interface Part {
  readonly name: string;
  readonly nodeOptions?: readonly string[];
  readonly quick: readonly string[];
}

const PARTS: readonly Part[] = [
  { name: 'bundle', quick: [] },
  { name: 'activation', quick: ['--runs', '3'] },
  { name: 'k8s', nodeOptions: ['--expose-gc'], quick: ['--runs', '3'] },
  { name: 'restore', quick: ['--rows', '300000', '--runs', '3'] },
];

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } },
});
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((name) => !PARTS.some((p) => p.name === name)) ?? [];
if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')}: pick from ${PARTS.map((p) => p.name).join(', ')}`);
const parts = PARTS.filter((p) => !only || only.includes(p.name));

function run(part: Part): Promise<number> {
  const args = [...(part.nodeOptions ?? []), '--import', 'tsx', join(ROOT, 'test/bench', `${part.name}.ts`)];
  if (values.quick) args.push(...part.quick);
  process.stdout.write(`\n=== ${part.name}: node ${args.join(' ')}\n`);
  return new Promise((resolveExit) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolveExit(code ?? (signal ? 1 : 0)));
    child.on('error', () => resolveExit(1));
  });
}

const started = performance.now();
const results: BenchResult[] = [];
const failed: string[] = [];
for (const part of parts) {
  rmSync(resultPath(part.name), { force: true }); // never report an older run's figures
  const code = await run(part);
  if (code === 0 && existsSync(resultPath(part.name))) results.push(readResult(part.name));
  else failed.push(part.name);
}

const figures: (Figure & { bench: string })[] = results.flatMap((r) => r.figures.map((f) => ({ bench: r.bench, ...f })));
const seconds = (performance.now() - started) / 1000;
mkdirSync(BENCH_RESULTS, { recursive: true });
const file = join(BENCH_RESULTS, 'results.json');
writeFileSync(
  file,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      seconds,
      machine: machine(),
      options: { quick: values.quick, only: only ?? parts.map((p) => p.name) },
      failed,
      figures,
      benches: Object.fromEntries(
        results.map((r) => [r.bench, { date: r.date, seconds: r.seconds, options: r.options, machine: r.machine }]),
      ),
    },
    null,
    2,
  )}\n`,
);

const targets = figures.filter((f) => f.target);
const m = machine();
console.log(
  [
    '',
    `=== npm run bench${values.quick ? ' --quick' : ''}: ${(seconds / 60).toFixed(1)} min on ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, load ${m.loadAverage}`,
    '',
    figureTable(figures),
    '',
    `targets met: ${targets.filter((f) => f.target!.met).length} of ${targets.length}`,
    ...(failed.length ? [`FAILED (no figures): ${failed.join(', ')}`] : []),
    `results: ${file}`,
  ].join('\n'),
);
process.exitCode = failed.length ? 1 : 0;
