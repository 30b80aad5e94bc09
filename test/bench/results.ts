// The benchmarks' machine-readable results: each benchmark writes test-results/bench/<name>.json
// (its figures in one shape, plus its own details), and `npm run bench` (all.ts) collects them
// into test-results/bench/results.json and one table.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { formatTable } from './stats.ts';

export const BENCH_RESULTS = resolve(import.meta.dirname, '../../test-results/bench');

/** One measured figure, its baseline measured side by side in the same run, and its target. */
export interface Figure {
  /** Stable key, e.g. `activation.ms`. */
  readonly id: string;
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: { readonly label: string; readonly value: number };
  /** value / baseline.value */
  readonly ratio?: number;
  /** The target in words (`< 50 ms`) and whether this run met it. */
  readonly target?: { readonly text: string; readonly met: boolean };
  /** How to read the ratio when "value / baseline" alone would mislead (`5.5x faster`). */
  readonly ratioNote?: string;
}

export interface BenchResult {
  readonly bench: string;
  readonly date: string;
  readonly seconds: number;
  readonly machine: Machine;
  readonly options: Record<string, unknown>;
  readonly figures: readonly Figure[];
  readonly details: unknown;
}

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  /** 1-minute load average when the benchmark ended: others using the machine make figures noisy. */
  readonly loadAverage: number;
}

export function machine(): Machine {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
  };
}

/** A figure with its ratio to the baseline filled in. */
export function figure(f: Omit<Figure, 'ratio'>): Figure {
  return f.baseline && f.baseline.value !== 0 ? { ...f, ratio: f.value / f.baseline.value } : f;
}

export function resultPath(bench: string): string {
  return join(BENCH_RESULTS, `${bench}.json`);
}

/** Writes test-results/bench/<bench>.json and returns its path. */
export function writeResult(result: Omit<BenchResult, 'date' | 'machine'>): string {
  mkdirSync(BENCH_RESULTS, { recursive: true });
  const path = resultPath(result.bench);
  const full: BenchResult = { ...result, date: new Date().toISOString(), machine: machine() };
  writeFileSync(path, `${JSON.stringify(full, null, 2)}\n`);
  return path;
}

export function readResult(bench: string): BenchResult {
  return JSON.parse(readFileSync(resultPath(bench), 'utf8')) as BenchResult;
}

export function formatValue(value: number, unit: string): string {
  if (unit === 'bytes') return value >= 1e6 ? `${(value / 1e6).toFixed(2)} MB` : `${(value / 1e3).toFixed(1)} kB`;
  if (unit === 'lines/s') return `${Math.round(value).toLocaleString('en')} lines/s`;
  if (unit === 'ms') return `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ms`;
  if (unit === 's') return `${value.toFixed(value < 10 ? 2 : 1)} s`;
  if (unit === 'count') return String(value);
  return `${value.toFixed(2)} ${unit}`;
}

/** figure | value | baseline | ratio | target, one row a figure. */
export function figureTable(figures: readonly Figure[]): string {
  return formatTable(
    ['figure', 'value', 'baseline', 'ratio', 'target'],
    figures.map((f) => [
      f.label,
      formatValue(f.value, f.unit),
      f.baseline ? `${formatValue(f.baseline.value, f.unit)} (${f.baseline.label})` : '',
      f.ratio === undefined ? '' : `${f.ratio.toFixed(2)}x${f.ratioNote ? ` (${f.ratioNote})` : ''}`,
      f.target ? `${f.target.text}: ${f.target.met ? 'met' : 'NOT met'}` : '',
    ]),
  );
}
