import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { connectCluster } from '../../src/adapters/kubernetes/clusterClient.js';
import { formatRunbookNotebook } from '../../src/core/notebook/runbookNotebook.js';
import type { PlanNode } from '../../src/core/runbook/planTree.js';
import {
  deploymentManifest,
  LEAKED_PASSWORD,
  LEAKY_LOGGER_IMAGE,
  NEVER_READY_IMAGE,
  WEBHOOK_ECHO_SECRET,
} from '../support/testImages.js';
import {
  activeExtension,
  channelFileName,
  channelText,
  eventually,
  outputChannelTexts,
  selectRunbookKernel,
  setAnswers,
  usePlan,
  workspaceRoot,
} from './support.js';

const CHANNEL = 'DR Runbook: Secrets go to the cluster and to scripts';

const PLAN = `# Secret handling

RPO: 1 hour. RTO: 4 hours.

### Scenario 1: Secrets go to the cluster and to scripts

1. Create the namespace, the Secrets from the template, and a service that logs its password:
   \`\`\`
   kubectl apply -f k8s/core/namespace.yaml
   kubectl apply -f k8s/security/secrets.yaml
   kubectl apply -f secrets/leaky-logger.yaml
   \`\`\`
2. Run a script that prints what it was given:
   \`\`\`
   ./scripts/print-secrets.sh
   \`\`\`
3. Run a command DR Runbook does not know, which prints a password:
   \`\`\`
   printenv REDIS_PASSWORD
   \`\`\`
4. Follow the logs of the service:
   \`\`\`
   kubectl logs -f -n endpoint-stats deployment/leaky-logger
   \`\`\`

### Scenario 2: A webhook echoes the Secret

1. Apply a Secret the admission webhook refuses:
   \`\`\`
   kubectl apply -f secrets/webhook-echo.yaml
   \`\`\`

### Scenario 3: A pod fails with a password in its events

1. Identify the failure cause
`;

// Its pods log the Redis password once they run (the integration harness makes them).
const LEAKY_LOGGER = deploymentManifest('leaky-logger', 'endpoint-stats', `${LEAKY_LOGGER_IMAGE}:1`);

const WEBHOOK_ECHO = `apiVersion: v1
kind: Secret
metadata: {name: ${WEBHOOK_ECHO_SECRET}, namespace: endpoint-stats}
stringData: {auth: not-the-secret}
`;

// A careless script, as a team might have one: it prints the passwords it was given, every way
// a program can (PGPASSWORD comes only from VS Code's secret storage).
const SCRIPT = `#!/bin/bash
echo "connecting as postgres with password $POSTGRES_PASSWORD"
echo "error: the first try was refused for password $POSTGRES_PASSWORD; retrying"
printf 'in two writes: %s' "\${FLASK_SECRET_KEY:0:6}"; sleep 0.3; printf '%s done\\n' "\${FLASK_SECRET_KEY:6}"
echo "base64: $(printf '%s' "$APP_DB_PASSWORD" | base64 -w0)"
echo "basic auth: $(printf 'app:%s' "$APP_DB_PASSWORD" | base64 -w0)"
echo "json: {\\"password\\": \\"$(printf '%s' "$APP_DB_PASSWORD" | sed 's/\\\\/\\\\\\\\/g; s/"/\\\\"/g')\\"}" | sed 's/"password"/"pw"/'
echo "percent: $(printf '%s' "$APP_DB_PASSWORD" | od -An -tx1 | tr -d ' \\n' | sed 's/../%&/g')"
echo "hex: $(printf '%s' "$APP_DB_PASSWORD" | od -An -tx1 | tr -d ' \\n' | sed 's/../\\\\x&/g')"
printf 'shell: %q\\n' "$APP_DB_PASSWORD"
echo "from the secret storage: $PGPASSWORD"
echo "print-secrets: done"
`;

const token = (): string => randomBytes(9).toString('base64url');
/** The values of k8s/security/secrets.yaml's placeholders, from the environment as a person would export them. */
const SECRETS: Record<string, string> = {
  POSTGRES_PASSWORD: `pg-${token()}`,
  APP_DB_PASSWORD: `app/${token()}+?&="\\'`,
  REDIS_PASSWORD: LEAKED_PASSWORD, // the one the leaky-logger pods log and the webhook echoes
  FLASK_SECRET_KEY: `flask-${token()}`,
};
/** Set with "Set Secret" only: it reaches the script from VS Code's secret storage. */
const STORED = { PGPASSWORD: `stored-${token()}` };

/** Every form a value could leak in, as the script above prints them. */
function leakForms(value: string): string[] {
  const base64 = Buffer.from(value).toString('base64');
  const hex = [...Buffer.from(value)].map((b) => b.toString(16).padStart(2, '0'));
  return [
    value,
    base64,
    base64.replace(/=+$/, ''),
    Buffer.from(`app:${value}`).toString('base64').slice(4, -4),
    encodeURIComponent(value),
    hex.map((h) => `%${h}`).join(''),
    hex.map((h) => `\\x${h}`).join(''),
    JSON.stringify(value).slice(1, -1),
  ];
}

function assertNoSecret(where: string, text: string): void {
  for (const [name, value] of Object.entries({ ...SECRETS, ...STORED })) {
    for (const form of leakForms(value)) assert.ok(!text.includes(form), `${name} appears in ${where} as ${form}`);
  }
}

const read = async (uri: vscode.Uri): Promise<string> => new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));

describe('nothing secret reaches any sink, in the real extension host', () => {
  usePlan(
    'secrets-plan.md',
    {
      'secrets-plan.md': PLAN,
      'scripts/print-secrets.sh': SCRIPT,
      'secrets/leaky-logger.yaml': LEAKY_LOGGER,
      'secrets/webhook-echo.yaml': WEBHOOK_ECHO,
    },
    ['scripts/print-secrets.sh'],
  );

  before(async () => {
    for (const [name, value] of Object.entries(SECRETS)) process.env[name] = value;
    const { secrets } = (await activeExtension()).exports;
    for (const [name, value] of Object.entries(STORED)) {
      const stored = await secrets.store(name, value);
      assert.ok(stored.ok, stored.ok ? '' : stored.error);
    }
  });
  after(async () => {
    for (const name of Object.keys(SECRETS)) delete process.env[name];
    const { runs, secrets } = (await activeExtension()).exports;
    setAnswers(runs, undefined);
    for (const name of Object.keys(STORED)) await secrets.store(name, '');
  });

  it('refuses a value too short to mask, saying why, and stores nothing', async () => {
    const { secrets } = (await activeExtension()).exports;
    const stored = await secrets.store('SHORT_ONE', 'abc');
    assert.ok(!stored.ok);
    assert.match(stored.error, /^SHORT_ONE was not stored: it is 3 characters long; DR Runbook needs at least 8 /);
    assert.equal((await secrets.load()).has('SHORT_ONE'), false);
  });

  it('applies the Secret template and runs steps that print the secrets every way; every channel, the record and the report hold none', async function () {
    this.timeout(120_000);
    const { runs } = (await activeExtension()).exports;
    setAnswers(runs, {
      beforeStep: () => Promise.resolve('continue'),
      confirmOther: () => Promise.resolve(true),
    });
    const result = await vscode.commands.executeCommand<{ outcome: string } | undefined>('drRunbook.runScenario', {
      scenario: { id: 'secrets-go-to-the-cluster-and-to-scripts' },
    });
    assert.equal(result?.outcome, 'finished');

    // The secrets were handled for real: the cluster holds the values from the environment.
    const connected = connectCluster();
    assert.ok(connected.ok, connected.ok ? '' : connected.error.message);
    const secret = await connected.value.read({
      apiVersion: 'v1',
      kind: 'Secret',
      name: 'postgres-credentials',
      namespace: 'endpoint-stats',
    });
    assert.ok(secret.ok && secret.value, 'the Secret was applied');
    const data = secret.value['data'] as Record<string, string>;
    assert.equal(Buffer.from(data['POSTGRES_PASSWORD'] ?? '', 'base64').toString(), SECRETS['POSTGRES_PASSWORD']);

    // The run's channel received every step's output, with the printed secrets masked in every form.
    const run = await channelText(CHANNEL, /=== finished after /, 30_000);
    assert.match(run, /Secret endpoint-stats\/postgres-credentials (created|configured|unchanged)/);
    assert.match(run, /connecting as postgres with password \*\*\*\n/);
    assert.match(run, /in two writes: \*\*\* done\n/);
    assert.match(run, /\nbase64: \*\*\*\n/);
    assert.match(run, /basic auth: [A-Za-z0-9+/]{0,8}\*\*\*[A-Za-z0-9+/=]{0,4}\n/);
    assert.match(run, /json: \{"pw": "\*\*\*"\}\n/);
    assert.match(run, /percent: \*\*\*\n/);
    assert.match(run, /hex: \*\*\*\n/);
    assert.match(run, /shell: \*\*\*\n/);
    assert.match(run, /from the secret storage: \*\*\*\n/);
    assert.match(run, /print-secrets: done/);
    assert.match(run, /\$ printenv REDIS_PASSWORD\n\*\*\*\n/);

    // The followed logs: the password the pods logged is masked too.
    const logs = await channelText('Logs: endpoint-stats/leaky-logger', /leaky-logger: ready/);
    assert.match(logs, /\[leaky-logger-[a-z0-9-]+\/app\] redis AUTH \*\*\* accepted\n/);

    // "Follow Logs" on the Deployment in the tree masks it as well: it knows every secret value of the plan.
    await vscode.commands.executeCommand('drRunbook.followLogs', {
      object: { kind: 'Deployment', name: 'leaky-logger', namespace: 'endpoint-stats' },
    });
    const again = await channelText('Logs: endpoint-stats/leaky-logger', /leaky-logger: ready[^]*leaky-logger: ready/);
    assert.equal(again.match(/redis AUTH \*\*\* accepted\n/g)?.length, 2, again);

    // The run record and the report under .dr-runs/: the steps are there, the secrets are not.
    const reportPath = await eventually('the run report', () => runs.lastReport);
    const report = await read(vscode.Uri.file(reportPath));
    const record = await read(vscode.Uri.file(reportPath.replace(/\.md$/, '.jsonl')));
    assert.match(report, /^# DR run report: Secrets go to the cluster and to scripts/);
    assert.match(report, /\| 2 \| Run a script that prints what it was given \| succeeded \|/);
    // The summary of a step's output is its last error line: here one that printed a password.
    assert.match(record, /error: the first try was refused for password \*\*\*; retrying/);
    assert.match(report, /error: the first try was refused for password \*\*\*; retrying/);
    assertNoSecret('the run report', report);
    assertNoSecret('the run record', record);
  });

  it('a server error that echoes the Secret reaches the tree, the channel and a notebook masked', async function () {
    this.timeout(60_000);
    const { runs, tree } = (await activeExtension()).exports;
    const outcome = await vscode.commands.executeCommand<{ state: string; summary: string } | undefined>('drRunbook.runStep', {
      scenario: { id: 'a-webhook-echoes-the-secret' },
      step: { number: 1 },
    });
    assert.equal(outcome?.state, 'failed');
    assert.match(outcome.summary, /denied the request: in \{"stringData":\{"auth":"\*\*\*"\}\}/);
    const scenario = (await tree.getChildren()).find(
      (n): n is Extract<PlanNode, { type: 'scenario' }> =>
        n.type === 'scenario' && n.scenario.id === 'a-webhook-echoes-the-secret',
    );
    assert.ok(scenario);
    const [step] = await tree.getChildren(scenario);
    const item = tree.getTreeItem(step!);
    const tooltip = item.tooltip as string;
    assert.match(tooltip, /failed: .*denied the request: in \{"stringData":\{"auth":"\*\*\*"\}\}/);
    assertNoSecret('the tree item', `${item.label as string} ${item.description as string} ${tooltip}`);
    assert.equal(runs.states.get('a-webhook-echoes-the-secret', 1).summary, outcome.summary);
  });

  it("a manual step's facts (a failing pod's events) reach the dialog masked", async function () {
    this.timeout(60_000);
    const { runs } = (await activeExtension()).exports;
    const connected = connectCluster();
    assert.ok(connected.ok, connected.ok ? '' : connected.error.message);
    const namespace = 'endpoint-stats';
    const pod = await connected.value.apply(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'crashing-app', namespace },
        // Meets the restricted Pod Security level the namespace enforces.
        spec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'app',
              image: NEVER_READY_IMAGE,
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
      { dryRun: false, force: true },
    );
    assert.ok(pod.ok, pod.ok ? '' : pod.error.message);
    const event = await connected.value.apply(
      {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'crashing-app.readiness', namespace },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'crashing-app', namespace },
        type: 'Warning',
        reason: 'Unhealthy',
        message: `Readiness probe failed: redis AUTH ${LEAKED_PASSWORD} refused`,
        count: 1,
        lastTimestamp: new Date().toISOString(),
      },
      { dryRun: false, force: true },
    );
    assert.ok(event.ok, event.ok ? '' : event.error.message);
    let shown: readonly string[] = [];
    setAnswers(runs, {
      beforeStep: () => Promise.resolve('continue'),
      manualStep: (_step, facts) => {
        shown = facts;
        return Promise.resolve('done');
      },
    });
    const result = await vscode.commands.executeCommand<{ outcome: string } | undefined>('drRunbook.runScenario', {
      scenario: { id: 'a-pod-fails-with-a-password-in-its-events' },
    });
    assert.equal(result?.outcome, 'finished');
    const facts = shown.join('\n');
    assert.match(facts, /Pod crashing-app: /);
    assert.match(facts, /Warning Unhealthy: Readiness probe failed: redis AUTH \*\*\* refused/);
    assertNoSecret("the manual step's facts", facts);
  });

  it('a notebook with no scenario header: a cell that prints a password shows it masked, and saving masks what the file held', async function () {
    this.timeout(60_000);
    const { runs, notebooks } = (await activeExtension()).exports;
    setAnswers(runs, { confirmOther: () => Promise.resolve(true) });
    // Written by hand or by an older version: its saved output holds the passwords in clear.
    const uri = vscode.Uri.joinPath(workspaceRoot(), '.dr-runs', 'loose-notes.runbook.md');
    const leaked = `${SECRETS['POSTGRES_PASSWORD']}\n${JSON.stringify(SECRETS['APP_DB_PASSWORD'])}\n${STORED.PGPASSWORD}\n`;
    await vscode.workspace.fs.writeFile(
      uri,
      new TextEncoder().encode(
        formatRunbookNotebook({
          cells: [
            { kind: 'markdown', source: '# Loose notes' },
            { kind: 'code', source: 'cat old-output.txt', language: 'sh', output: leaked },
            { kind: 'code', source: 'printenv POSTGRES_PASSWORD', language: 'sh' },
          ],
        }),
      ),
    );
    const notebook = await vscode.workspace.openNotebookDocument(uri);
    await selectRunbookKernel(notebook);
    await notebooks.execute([notebook.cellAt(2)], notebook);
    const cellOutput = notebook
      .cellAt(2)
      .outputs.flatMap((o) => o.items)
      .map((i) => new TextDecoder().decode(i.data))
      .join('');
    assert.match(cellOutput, /^\$ printenv POSTGRES_PASSWORD\n\*\*\*\n/);
    assertNoSecret('the cell output', cellOutput);
    assert.ok(await notebook.save(), 'the notebook saves');
    const saved = await read(uri);
    assert.match(saved, /```sh\nprintenv POSTGRES_PASSWORD\n```\n\n```output\n\$ printenv POSTGRES_PASSWORD\n\*\*\*\n/);
    assert.match(saved, /```output\n\*\*\*\n"\*\*\*"\n\*\*\*\n```/);
    assertNoSecret('the saved notebook', saved);
  });

  it('no output channel of this host holds a secret, the extension log included', async () => {
    const channels = await eventually('the extension log to name the secrets it found', async () => {
      const all = await outputChannelTexts();
      return /REDIS_PASSWORD set/.test(all.get('DR Runbook') ?? '') ? all : undefined;
    });
    assert.ok(channels.has(channelFileName(CHANNEL)) && channels.has('DR Runbook'), [...channels.keys()].join(', '));
    for (const [name, text] of channels) assertNoSecret(`the output channel "${name}"`, text);
  });
});
