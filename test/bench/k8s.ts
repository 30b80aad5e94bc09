// npm run bench:k8s [-- --runs N --seconds N]
//
// (a) Applying every manifest of the complete-cluster-failure scenario to an empty cluster:
//     our engine as "Run DR Scenario" drives it (parse every step's manifests, one server-side
//     dry run of all of them, then each step's server-side apply in dependency order) against
//     `kubectl apply -f` once per command of the plan, the way a person follows it. Readiness
//     waits excluded. Each run gets a fresh test API server in a process of its own; medians.
//     Target: ours at least 5x faster.
// (b) Log fan-in: lines per second delivered from 20 pods emitting as fast as they can, followed
//     by our log follower against `kubectl logs -f -l ... --prefix`, and our peak memory, which
//     must stay flat. Target: 100,000 lines/s.
// Results go to test-results/bench/k8s.json (see results.ts).
import { execa } from 'execa';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { connectCluster } from '../../src/adapters/kubernetes/clusterClient.ts';
import { applyItems, applyPreflighted, preflightObjects } from '../../src/core/cluster/apply.ts';
import { followLogs } from '../../src/core/cluster/logs.ts';
import { fillSecretTemplate, secretPlaceholders } from '../../src/core/manifests/secretTemplate.ts';
import { ManifestCache } from '../../src/core/manifests/loadManifests.ts';
import { stepManifests } from '../../src/core/problems.ts';
import { parsePlan } from '../../src/core/runbook/parsePlan.ts';
import { figure, writeResult } from './results.ts';
import { formatTable, median } from './stats.ts';

const repo = resolve(import.meta.dirname, '../..');
const { values: opts } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, seconds: { type: 'string', default: '5' } },
});
const runs = Number(opts.runs);
const fanInSeconds = Number(opts.seconds);
const log = (message: string): void => void process.stdout.write(`bench: ${message}\n`);
const fakeSecret = (name: string): string => `bench-only-${name.toLowerCase()}`;

const plan = parsePlan(readFileSync(join(repo, 'DR-PLAN.md'), 'utf8'));
const steps = plan.scenarios.find((s) => s.id === 'complete-cluster-failure')!.steps.filter((s) => s.kind === 'apply');
const commands = steps.flatMap((s) => s.commands.flatMap((c) => (c.kind === 'apply' ? c.paths.map((p) => p.value) : [])));

/** A copy of the project's k8s/ with the secrets template filled, for kubectl (which cannot fill it). */
function filledProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dr-bench-project-'));
  cpSync(join(repo, 'k8s'), join(dir, 'k8s'), { recursive: true });
  const secrets = join(dir, 'k8s/security/secrets.yaml');
  writeFileSync(
    secrets,
    readFileSync(secrets, 'utf8').replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_, name: string) => fakeSecret(name)),
  );
  return dir;
}

/** Parsed manifests, kept between runs as the extension keeps them between the tree and a run. */
const manifestCache = new ManifestCache();

/** TLS handshakes of the engine's last timed apply: undici opens one connection per handshake. */
let engineHandshakes = 0;

async function timeEngine(): Promise<number> {
  const server = await startBenchServer('empty');
  let connections = 0;
  const onConnected = (): void => {
    connections++;
  };
  subscribe('undici:client:connected', onConnected);
  try {
    const connected = connectCluster({ kubeconfigPath: server.kubeconfig });
    if (!connected.ok) throw new Error(connected.error.message);
    const started = performance.now();
    // As "Run DR Scenario" does: load every step's manifests, one preflight (server-side dry run)
    // of all of them, then each step applied in turn.
    const perStep = await Promise.all(
      steps.map(async (step) =>
        applyItems(
          (await stepManifests(repo, step, manifestCache)).flatMap((f) => f.objects),
          'endpoint-stats',
        ).map((item) => {
          if (!secretPlaceholders(item.body).length) return item;
          const filled = fillSecretTemplate(item.body, fakeSecret);
          if (!filled.ok) throw new Error('secret template');
          return { ...item, body: filled.value };
        }),
      ),
    );
    const preflight = await preflightObjects(connected.value, perStep.flat(), { expectedNamespaces: ['endpoint-stats'] });
    if (!preflight.ok) throw new Error(`engine preflight failed: ${JSON.stringify(preflight.error).slice(0, 400)}`);
    for (const [index, items] of perStep.entries()) {
      const applied = await applyPreflighted(connected.value, preflight.value, items);
      if (!applied.ok)
        throw new Error(`engine apply of step ${steps[index]!.number} failed: ${JSON.stringify(applied.error).slice(0, 400)}`);
    }
    const seconds = (performance.now() - started) / 1000;
    engineHandshakes = connections;
    return seconds;
  } finally {
    unsubscribe('undici:client:connected', onConnected);
    await server.stop();
  }
}

async function timeKubectl(project: string): Promise<number> {
  const server = await startBenchServer('empty');
  const dir = mkdtempSync(join(tmpdir(), 'dr-bench-kubectl-'));
  try {
    const env = { KUBECONFIG: server.kubeconfig, KUBECACHEDIR: join(dir, 'cache'), HOME: dir };
    const started = performance.now();
    for (const path of commands) await execa('kubectl', ['apply', '-f', path], { cwd: project, env });
    return (performance.now() - started) / 1000;
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface BenchServer {
  readonly kubeconfig: string;
  readonly pods: string[];
  stop(): Promise<void>;
}

/** A test API server in a child process (see benchServer.ts). */
async function startBenchServer(...args: string[]): Promise<BenchServer> {
  const child = execa(process.execPath, ['--import', 'tsx', join(repo, 'test/bench/benchServer.ts'), ...args], {
    cwd: repo,
    stdout: 'pipe',
    stderr: 'inherit',
    reject: false,
    forceKillAfterDelay: 3_000,
  });
  const ready = await new Promise<{ kubeconfig: string; pods: string[] }>((resolveReady, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (line) => resolveReady(JSON.parse(line) as { kubeconfig: string; pods: string[] }));
    void child.then(() => reject(new Error('the benchmark API server exited early')));
  });
  return {
    ...ready,
    async stop() {
      child.kill('SIGTERM');
      await child;
    },
  };
}

interface FanIn {
  linesPerSecond: number;
  peakRssMiB: number;
  /** Peak heap in the first and in the second half of the measurement: flat memory keeps them equal. */
  heapFirstHalfMiB: number;
  heapSecondHalfMiB: number;
}

async function logFanIn(): Promise<{ ours: FanIn; kubectl: number; pods: number }> {
  const ready = await startBenchServer('logs', '20', '50000');
  try {
    const connected = connectCluster({ kubeconfigPath: ready.kubeconfig });
    if (!connected.ok) throw new Error(connected.error.message);
    let lines = 0;
    const controller = new AbortController();
    const following = followLogs(
      connected.value,
      { namespace: 'bench', selector: 'app=flask-api', name: 'bench/flask-api' },
      {
        signal: controller.signal,
        tailLines: 0,
        onLines: (batch) => {
          lines += batch.length;
        },
      },
    );
    await new Promise((r) => setTimeout(r, 1_000)); // warm up: every stream connected
    // Live memory: once a second, a full GC (with --expose-gc) and the heap that survives it.
    const gc = (globalThis as { gc?: () => void }).gc;
    let peak = 0;
    const heap = [0, 0];
    const startLines = lines;
    const started = performance.now();
    const sampler = setInterval(() => {
      gc?.();
      const m = process.memoryUsage();
      peak = Math.max(peak, m.rss);
      const half = performance.now() - started < (fanInSeconds * 1_000) / 2 ? 0 : 1;
      heap[half] = Math.max(heap[half]!, m.heapUsed + m.external + m.arrayBuffers);
    }, 1_000);
    await new Promise((r) => setTimeout(r, fanInSeconds * 1_000));
    const ours = (lines - startLines) / ((performance.now() - started) / 1000);
    clearInterval(sampler);
    controller.abort();
    await following;

    // kubectl, side by side on the same server and pods.
    let kubectlLines = 0;
    const kubectl = execa(
      'kubectl',
      ['logs', '-f', '-n', 'bench', '-l', 'app=flask-api', '--prefix', '--tail=0', '--max-log-requests=25'],
      {
        env: { KUBECONFIG: ready.kubeconfig },
        reject: false,
        buffer: false,
        stderr: 'pipe',
      },
    );
    let kubectlStderr = '';
    kubectl.stderr?.on('data', (chunk: Buffer) => void (kubectlStderr += chunk.toString()));
    const firstLine = new Promise<void>((resolveFirst) => {
      kubectl.stdout?.on('data', (chunk: Buffer) => {
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) kubectlLines++;
        if (kubectlLines) resolveFirst();
      });
    });
    // Warm up as ours did, but from kubectl's first line: on a busy machine it can take seconds to start.
    const startedFollowing = await Promise.race([firstLine.then(() => true), new Promise((r) => setTimeout(r, 30_000, false))]);
    if (!startedFollowing) throw new Error(`kubectl logs -f printed no line in 30 s:\n${kubectlStderr}`);
    await new Promise((r) => setTimeout(r, 1_000));
    const kStart = kubectlLines;
    const kStarted = performance.now();
    await new Promise((r) => setTimeout(r, fanInSeconds * 1_000));
    const kubectlRate = (kubectlLines - kStart) / ((performance.now() - kStarted) / 1000);
    kubectl.kill('SIGKILL');
    await kubectl;
    return {
      ours: {
        linesPerSecond: ours,
        peakRssMiB: peak / 2 ** 20,
        heapFirstHalfMiB: heap[0]! / 2 ** 20,
        heapSecondHalfMiB: heap[1]! / 2 ** 20,
      },
      kubectl: kubectlRate,
      pods: ready.pods.length,
    };
  } finally {
    await ready.stop();
  }
}

const benchStarted = performance.now();
const project = filledProject();
try {
  log(`applying ${steps.length} plan steps (${commands.length} kubectl commands), ${runs} runs each, in alternating order`);
  await timeEngine(); // warm up the module graph and the JIT
  const ours: number[] = [];
  const kubectl: number[] = [];
  for (let run = 0; run < runs; run++) {
    if (run % 2 === 0) {
      ours.push(await timeEngine());
      kubectl.push(await timeKubectl(project));
    } else {
      kubectl.push(await timeKubectl(project));
      ours.push(await timeEngine());
    }
    log(`run ${run + 1}: ours ${ours.at(-1)!.toFixed(3)} s, kubectl ${kubectl.at(-1)!.toFixed(3)} s`);
  }
  log(`log fan-in: 20 pods, ${fanInSeconds} s each for ours and kubectl`);
  const fanIn = await logFanIn();
  const applyOurs = median(ours);
  const applyKubectl = median(kubectl);
  const results = {
    apply: {
      oursSeconds: applyOurs,
      kubectlSeconds: applyKubectl,
      speedup: applyKubectl / applyOurs,
      target: 5,
      runs,
      // kubectl is one process per command: at least one handshake each.
      tlsHandshakes: { ours: engineHandshakes, kubectlAtLeast: commands.length },
    },
    logs: {
      pods: fanIn.pods,
      oursLinesPerSecond: fanIn.ours.linesPerSecond,
      kubectlLinesPerSecond: fanIn.kubectl,
      ratio: fanIn.ours.linesPerSecond / fanIn.kubectl,
      targetLinesPerSecond: 100_000,
      peakRssMiB: fanIn.ours.peakRssMiB,
      heapPeakFirstHalfMiB: fanIn.ours.heapFirstHalfMiB,
      heapPeakSecondHalfMiB: fanIn.ours.heapSecondHalfMiB,
    },
  };
  const heapGrowth = fanIn.ours.heapSecondHalfMiB / fanIn.ours.heapFirstHalfMiB;
  const file = writeResult({
    bench: 'k8s',
    seconds: (performance.now() - benchStarted) / 1000,
    options: { runs, seconds: fanInSeconds },
    figures: [
      figure({
        id: 'k8s.apply.seconds',
        label: 'apply cluster-failure manifests (HTTPS)',
        value: applyOurs,
        unit: 's',
        baseline: { label: 'kubectl apply', value: applyKubectl },
        ratioNote: `${results.apply.speedup.toFixed(1)}x faster`,
        target: { text: '>= 5x faster', met: results.apply.speedup >= 5 },
      }),
      figure({
        id: 'k8s.logs.linesPerSecond',
        label: `log fan-in, ${fanIn.pods} pods (plain HTTP)`,
        value: fanIn.ours.linesPerSecond,
        unit: 'lines/s',
        baseline: { label: 'kubectl logs -f', value: fanIn.kubectl },
        target: { text: '>= 100,000 lines/s', met: fanIn.ours.linesPerSecond >= 100_000 },
      }),
      figure({
        id: 'k8s.logs.liveHeapMiB',
        label: 'log fan-in live heap, 2nd half',
        value: fanIn.ours.heapSecondHalfMiB,
        unit: 'MiB',
        baseline: { label: '1st half', value: fanIn.ours.heapFirstHalfMiB },
        target: { text: 'flat (<= 1.10x)', met: heapGrowth <= 1.1 },
      }),
    ],
    details: results,
  });
  console.log('');
  console.log(
    formatTable(
      ['figure', 'ours', 'baseline (kubectl)', 'ratio', 'target'],
      [
        [
          'apply cluster-failure manifests (median)',
          `${applyOurs.toFixed(3)} s`,
          `${applyKubectl.toFixed(3)} s`,
          `${results.apply.speedup.toFixed(1)}x faster`,
          '>= 5x',
        ],
        [
          'TLS handshakes, the whole scenario apply',
          String(engineHandshakes),
          `>= ${commands.length} (a process per command)`,
          '',
          '',
        ],
        [
          'log fan-in, 20 pods',
          `${Math.round(fanIn.ours.linesPerSecond).toLocaleString('en')} lines/s`,
          `${Math.round(fanIn.kubectl).toLocaleString('en')} lines/s`,
          `${results.logs.ratio.toFixed(2)}x`,
          '>= 100,000 lines/s',
        ],
        [
          'log fan-in live memory (after GC, 1st → 2nd half)',
          `${fanIn.ours.heapFirstHalfMiB.toFixed(0)} → ${fanIn.ours.heapSecondHalfMiB.toFixed(0)} MiB`,
          '',
          `${heapGrowth.toFixed(2)}x`,
          'flat (~1.00x)',
        ],
        ['process peak RSS during fan-in', `${fanIn.ours.peakRssMiB.toFixed(0)} MiB`, '', '', ''],
      ],
    ),
  );
  console.log(`\nresults: ${file}`);
} finally {
  rmSync(project, { recursive: true, force: true });
}
