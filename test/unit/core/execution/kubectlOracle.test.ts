// The oracle for what a plan's kubectl line means: each command form the classifier accepts runs
// through the engine against one test server and through kubectl (the binary on this machine)
// against another, both from the same starting state; the resulting objects must be the same.
// Dry-run forms must change nothing on either side; forms kubectl refuses must change nothing.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LogLine } from '../../../../src/core/cluster/logLines.js';
import { followLogs } from '../../../../src/core/cluster/logs.js';
import type { KubeObject } from '../../../../src/core/cluster/model.js';
import { executeStep, type StepContext } from '../../../../src/core/execution/stepExecutor.js';
import { ok } from '../../../../src/core/result.js';
import { parsePlan } from '../../../../src/core/runbook/parsePlan.js';
import { NS, rollOut } from '../../../support/flaskApi.js';
import { startTestCluster, type TestCluster } from '../../../support/testCluster.js';
import { agreeingPerson, stepContext } from '../../../support/runUi.js';
import { until } from '../../../support/until.js';

const KUBECTL = process.env['KUBECTL'] ?? '/usr/bin/kubectl';
const run = promisify(execFile);

const CONFIG_MAP = (name: string, ns?: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}data:\n  LOG_LEVEL: info\n`;

/** The project the commands' paths are relative to. */
function writeProject(root: string): void {
  mkdirSync(join(root, 'k8s/app/nested'), { recursive: true });
  writeFileSync(join(root, 'k8s/app/a.yaml'), CONFIG_MAP('a'));
  writeFileSync(join(root, 'k8s/app/b.yaml'), `${CONFIG_MAP('b')}---\n${CONFIG_MAP('c')}`);
  writeFileSync(join(root, 'k8s/app/nested/d.yaml'), CONFIG_MAP('d'));
  writeFileSync(join(root, 'k8s/other-ns.yaml'), CONFIG_MAP('e', 'team-b'));
  writeFileSync(join(root, 'k8s/team-b.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-b}\n');
}

interface Row {
  readonly command: string;
  /** What both sides start with besides namespaces endpoint-stats, team-a and team-b: nothing at all, or a rolled-out flask-api. */
  readonly seed?: 'empty' | 'rollout';
  /**
   * kubectl create sends protobuf, which the test server does not read (see its README): the engine's
   * result is checked against the namespaces it must leave instead.
   */
  readonly namespacesAfter?: readonly string[];
  /** kubectl refuses the line: the engine must fail too, and nothing may change. */
  readonly refused?: boolean;
  /** A dry run: nothing may change on either side. */
  readonly unchanged?: boolean;
}

const ROWS: readonly Row[] = [
  { command: 'kubectl apply -f k8s/app/a.yaml' },
  { command: 'kubectl apply -f k8s/app/a.yaml', seed: 'empty', refused: true },
  { command: 'kubectl apply -f k8s/app/' },
  { command: 'kubectl apply -R -f k8s/app/' },
  { command: 'kubectl apply -f k8s/app/a.yaml -f k8s/app/b.yaml' },
  { command: 'kubectl apply --server-side --force-conflicts -f k8s/app/a.yaml' },
  { command: 'kubectl apply -f k8s/app/a.yaml --dry-run=server', unchanged: true },
  { command: 'kubectl apply -f k8s/app/a.yaml --dry-run=client', unchanged: true },
  { command: 'kubectl apply -f k8s/app/a.yaml --dry-run', unchanged: true },
  { command: 'kubectl apply -n team-b -f k8s/app/a.yaml' },
  { command: 'kubectl --namespace=team-b apply -f k8s/other-ns.yaml' },
  { command: 'kubectl apply -n team-a -f k8s/other-ns.yaml', refused: true },
  { command: 'kubectl create namespace team-c', namespacesAfter: ['endpoint-stats', 'team-a', 'team-b', 'team-c'] },
  { command: 'kubectl create namespace team-c --dry-run=server', unchanged: true, namespacesAfter: [] },
  { command: 'kubectl create ns team-c --dry-run=client', unchanged: true, namespacesAfter: [] },
  { command: 'kubectl delete namespace team-a team-b' },
  { command: 'kubectl delete namespace/team-a namespace/team-b' },
  { command: 'kubectl delete ns team-a --dry-run=server', unchanged: true },
  { command: 'kubectl delete namespace team-a --dry-run=client', unchanged: true },
  { command: `kubectl rollout undo deployment/flask-api -n ${NS}`, seed: 'rollout' },
  { command: `kubectl rollout undo deploy flask-api -n ${NS} --to-revision=1`, seed: 'rollout' },
  { command: `kubectl -n ${NS} rollout undo deployment/flask-api --dry-run=server`, seed: 'rollout', unchanged: true },
];

/** The engine on `t` (or the context a command names), confirming everything, its output kept. */
function engineContext(root: string, t: TestCluster, output: string[]): StepContext {
  return stepContext(root, {
    namespace: NS,
    output,
    ui: agreeingPerson({ confirmOther: () => Promise.resolve(true) }),
    cluster: (target) => Promise.resolve(ok(target?.context ? t.connect({ context: target.context }) : t.cluster)),
  });
}

/** Everything but what the server or the client writes for itself, by kind/namespace/name. */
function state(t: TestCluster): Map<string, unknown> {
  const objects = new Map<string, unknown>();
  const kinds: [string, string][] = [
    ['v1', 'Namespace'],
    ['v1', 'ConfigMap'],
    ['apps/v1', 'Deployment'],
  ];
  for (const [apiVersion, kind] of kinds) {
    for (const o of t.server.list(apiVersion, kind) as KubeObject[]) {
      if (o.metadata?.deletionTimestamp) continue; // going away: counts as gone
      const {
        uid: _u,
        resourceVersion: _r,
        creationTimestamp: _c,
        managedFields: _m,
        generation: _g,
        ...metadata
      } = o.metadata ?? {};
      const annotations = { ...metadata['annotations'] };
      delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
      const labels = metadata['labels'];
      objects.set(`${kind} ${metadata['namespace'] ?? ''}/${metadata['name']}`, {
        metadata: { name: metadata['name'], namespace: metadata['namespace'], labels, annotations },
        spec: o['spec'],
        data: o['data'],
      });
    }
  }
  return objects;
}

(existsSync(KUBECTL) ? describe : describe.skip)('kubectl lines: the engine against kubectl, object by object', function () {
  this.timeout(120_000);
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'dr-oracle-'));
    writeProject(root);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  async function seeded(seed: Row['seed']): Promise<TestCluster> {
    const t = await startTestCluster({ anonymousIsAdmin: true });
    if (seed !== 'empty')
      for (const name of [NS, 'team-a', 'team-b']) t.server.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    if (seed === 'rollout') {
      await rollOut(t, 'flask-api:1.0');
      await rollOut(t, 'flask-api:1.1');
    }
    return t;
  }

  for (const row of ROWS) {
    it(`${row.command}${row.seed === 'empty' ? ' (before its namespace exists)' : ''}`, async () => {
      const [engineSide, kubectlSide] = [await seeded(row.seed), await seeded(row.seed)];
      try {
        const before = state(engineSide);
        assert.deepEqual([...state(kubectlSide).keys()].sort(), [...before.keys()].sort(), 'the same starting state');

        const step = parsePlan(`## Oracle\n1. Run\n   \`\`\`\n   ${row.command}\n   \`\`\`\n`).scenarios[0]!.steps[0]!;
        assert.notEqual(step.commands[0]!.kind, 'other', `the engine carries out ${row.command} itself`);
        const output: string[] = [];
        const outcome = await executeStep(step, engineContext(root, engineSide, output));
        if (row.namespacesAfter) {
          assert.equal(outcome.state, 'succeeded', outcome.summary);
          if (row.unchanged) assert.deepEqual(state(engineSide), before);
          else
            assert.deepEqual(
              engineSide.server
                .list('v1', 'Namespace')
                .map((n) => n.metadata.name as string)
                .filter((n) => !n.startsWith('kube-') && n !== 'default')
                .sort(),
              row.namespacesAfter,
            );
          return;
        }

        const words = row.command.split(' ').slice(1);
        const kubectl = await run(KUBECTL, ['--kubeconfig', kubectlSide.kubeconfigPath, ...words], {
          cwd: root,
          timeout: 60_000,
        }).then(
          () => 'ok' as const,
          (e: Error) => e.message,
        );

        if (row.refused) {
          assert.notEqual(kubectl, 'ok', 'kubectl refuses it');
          assert.equal(outcome.state, 'failed', outcome.summary);
          assert.deepEqual(state(engineSide), before);
          assert.deepEqual(state(kubectlSide), before);
          return;
        }
        assert.equal(kubectl, 'ok');
        assert.equal(outcome.state, 'succeeded', `${outcome.summary}\n${output.join('')}`);
        if (row.unchanged) {
          assert.deepEqual(state(engineSide), before, 'the engine changed nothing');
          assert.deepEqual(state(kubectlSide), before, 'kubectl changed nothing');
        }
        // Rollouts settle on their own time: compare once both sides hold the same template.
        assert.deepEqual(state(engineSide), state(kubectlSide));
      } finally {
        await engineSide.stop();
        await kubectlSide.stop();
      }
    });
  }

  // A one-off `kubectl logs` (no -f) is kubectl's own: every form prints what kubectl prints, from the
  // same pods (`POD` is a running flask-api pod, whose container restarted once when `restarted`), and
  // a form kubectl refuses fails the step with kubectl's own reason.
  const LOG_ROWS: readonly { args: string; restarted?: boolean; refused?: RegExp }[] = [
    { args: `logs -n ${NS} deployment/flask-api` },
    { args: `logs -n ${NS} deployment/flask-api --tail=1` },
    { args: `logs -n ${NS} -l app=flask-api --tail=2` },
    { args: `logs -n ${NS} -l app=flask-api` },
    { args: `logs -n ${NS} pod/POD` },
    { args: `logs -n ${NS} POD` },
    { args: `logs -n ${NS} POD flask-api` },
    { args: `logs -n ${NS} pod/POD -c flask-api` },
    { args: `logs -n ${NS} pod/POD --container=flask-api --tail=1` },
    { args: `logs -n ${NS} deployment/flask-api -c flask-api --since=10m` },
    { args: `logs -n ${NS} pod/POD --since=1h --tail=1` },
    { args: `logs -n ${NS} pod/POD --previous`, restarted: true },
    { args: `logs -n ${NS} pod/POD -p -c flask-api --tail=1`, restarted: true },
    { args: `logs -n ${NS} pod/POD --previous`, refused: /previous terminated container "flask-api" in pod "[^"]+" not found/ },
    { args: `logs -n ${NS} pod/POD -c nope`, refused: /container nope is not valid for pod/ },
    { args: `logs -n ${NS} pod/missing`, refused: /pods "missing" not found/ },
  ];
  for (const row of LOG_ROWS) {
    const what = row.refused ? 'fails with kubectl’s reason' : 'prints what kubectl prints';
    it(`kubectl ${row.args}${row.restarted ? ' (after a restart)' : ''} ${what}`, async () => {
      const t = await seeded('rollout');
      try {
        const pods = t.server
          .list('v1', 'Pod', NS)
          .filter((p) => !p.metadata.deletionTimestamp)
          .map((p) => p.metadata.name as string);
        for (const pod of pods) {
          t.server.emitLogs(NS, pod, 'flask-api', ['first', 'second']);
          if (!row.restarted) continue;
          t.server.restartContainer(NS, pod, 'flask-api');
          t.server.emitLogs(NS, pod, 'flask-api', ['after the restart']);
        }
        const args = row.args.replace('POD', pods[0]!);
        const step = parsePlan(`## Oracle\n1. Run\n   \`\`\`\n   kubectl ${args}\n   \`\`\`\n`).scenarios[0]!.steps[0]!;
        assert.equal(step.commands[0]!.kind, 'logs', args);
        const output: string[] = [];
        const saved = process.env['KUBECONFIG'];
        process.env['KUBECONFIG'] = t.kubeconfigPath;
        let outcome;
        try {
          outcome = await executeStep(step, engineContext(root, t, output));
        } finally {
          if (saved === undefined) delete process.env['KUBECONFIG'];
          else process.env['KUBECONFIG'] = saved;
        }
        const printed = await run(KUBECTL, ['--kubeconfig', t.kubeconfigPath, ...args.split(' ')]).then(
          (r) => ({ ok: true as const, text: r.stdout }),
          (e: { stderr?: string }) => ({ ok: false as const, text: String(e.stderr) }),
        );
        if (row.refused) {
          assert.ok(!printed.ok, 'kubectl refuses it');
          assert.match(printed.text, row.refused);
          assert.equal(outcome.state, 'failed', output.join(''));
          assert.ok(output.join('').includes(printed.text.trim()), output.join(''));
          return;
        }
        assert.ok(printed.ok, printed.text);
        assert.equal(outcome.state, 'succeeded', output.join(''));
        assert.match(printed.text, /second/);
        if (row.restarted) assert.doesNotMatch(printed.text, /after the restart/, 'the previous container’s log only');
        // Less the command line, the summary and what kubectl writes to stderr ("Found 2 pods, using pod/...").
        const engine = output
          .join('')
          .split('\n')
          .slice(1, -2)
          .filter((l) => !l.startsWith('Found '))
          .join('\n');
        assert.equal(`${engine}\n`, printed.text);
      } finally {
        await t.stop();
      }
    });
  }

  // Followed logs of a selector are the engine's own (client-node streams, not kubectl): the same
  // lines as `kubectl logs -f`, per pod, before and after the follow starts. kubectl gets --prefix
  // to say which pod printed a line; the engine's lines carry it.
  for (const [args, before] of [
    [`logs -f -n ${NS} -l app=flask-api --tail=2`, 2],
    [`logs -f -n ${NS} -l app=flask-api`, 10], // kubectl's default for a selector
  ] as const) {
    it(`kubectl ${args} follows what kubectl follows`, async () => {
      const t = await seeded('rollout');
      const stop = new AbortController();
      try {
        const pods = t.server
          .list('v1', 'Pod', NS)
          .filter((p) => !p.metadata.deletionTimestamp)
          .map((p) => p.metadata.name as string);
        const old = Array.from({ length: 12 }, (_, i) => `line ${i}`);
        for (const pod of pods) t.server.emitLogs(NS, pod, 'flask-api', old);
        const plan = parsePlan(`## Oracle\n1. Run\n   \`\`\`\n   kubectl ${args}\n   \`\`\`\n`);
        const command = plan.scenarios[0]!.steps[0]!.commands[0]!;
        assert.ok(command.kind === 'logs' && command.follow && command.resource === 'selector', command.kind);
        const engine: string[] = [];
        const following = followLogs(
          t.cluster,
          { namespace: command.namespace!, selector: command.name, name: command.name },
          {
            signal: stop.signal,
            ...(command.tail !== undefined ? { tailLines: command.tail } : {}),
            onLines: (lines: LogLine[]) => void engine.push(...lines.map((l) => `[pod/${l.pod}/${l.container}] ${l.text}`)),
          },
        );
        const kubectl = spawn(KUBECTL, ['--kubeconfig', t.kubeconfigPath, ...args.split(' '), '--prefix'], {
          signal: stop.signal,
        });
        kubectl.on('error', () => undefined); // the abort at the end
        let printed = '';
        kubectl.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
        const lines = (): string[] => printed.split('\n').filter((l) => l !== '');
        const both = (n: number) => (): boolean => engine.length === n && lines().length === n;
        await until('both to print the last lines of every pod', both(before * pods.length));
        for (const pod of pods) t.server.emitLogs(NS, pod, 'flask-api', ['live']);
        await until('both to print the new line of every pod', both((before + 1) * pods.length));
        assert.deepEqual([...engine].sort(), lines().sort());
        assert.ok(!engine.some((l) => l.endsWith(`] ${old[old.length - before - 1]}`)), 'no line older than the tail');
        stop.abort();
        assert.ok((await following).ok);
      } finally {
        stop.abort();
        await t.stop();
      }
    });
  }
});
