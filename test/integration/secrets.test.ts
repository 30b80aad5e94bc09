import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { connectCluster } from '../../src/adapters/kubernetes/clusterClient.js';
import { deploymentManifest, LEAKED_PASSWORD, LEAKY_LOGGER_IMAGE } from '../support/testImages.js';
import { activeExtension, channelFileName, channelText, eventually, outputChannelTexts, usePlan, setAnswers } from './support.js';

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
`;

// Its pods log the Redis password once they run (the integration harness makes them).
const LEAKY_LOGGER = deploymentManifest('leaky-logger', 'endpoint-stats', `${LEAKY_LOGGER_IMAGE}:1`);

// A careless script, as a team might have one: it prints the passwords it was given.
const SCRIPT = `#!/bin/sh
echo "connecting as postgres with password $POSTGRES_PASSWORD"
echo "error: the first try was refused for password $POSTGRES_PASSWORD; retrying"
echo "app role password, base64: $(printf '%s' "$APP_DB_PASSWORD" | base64)"
echo "session key: $FLASK_SECRET_KEY"
echo "print-secrets: done"
`;

const token = (): string => randomBytes(9).toString('base64url');
/** The values of k8s/security/secrets.yaml's placeholders, from the environment as a person would export them. */
const SECRETS: Record<string, string> = {
  POSTGRES_PASSWORD: `pg-${token()}`,
  APP_DB_PASSWORD: `app/${token()}+?&=`,
  REDIS_PASSWORD: LEAKED_PASSWORD, // the one the leaky-logger pods log
  FLASK_SECRET_KEY: `flask-${token()}`,
};

/** Every form a value could leak in: as is, base64 (a Secret's data, or a script's), URL-encoded. */
function leakForms(value: string): string[] {
  const base64 = Buffer.from(value).toString('base64');
  return [value, base64, base64.replace(/=+$/, ''), encodeURIComponent(value)];
}

function assertNoSecret(where: string, text: string): void {
  for (const [name, value] of Object.entries(SECRETS)) {
    for (const form of leakForms(value)) assert.ok(!text.includes(form), `${name} appears in ${where}`);
  }
}

describe('nothing secret reaches an output channel, the run record or the report, in the real extension host', () => {
  usePlan(
    'secrets-plan.md',
    { 'secrets-plan.md': PLAN, 'scripts/print-secrets.sh': SCRIPT, 'secrets/leaky-logger.yaml': LEAKY_LOGGER },
    ['scripts/print-secrets.sh'],
  );

  before(() => {
    for (const [name, value] of Object.entries(SECRETS)) process.env[name] = value;
  });
  after(async () => {
    for (const name of Object.keys(SECRETS)) delete process.env[name];
    setAnswers((await activeExtension()).exports.runs, undefined);
  });

  it('applies the Secret template and runs steps that print the secrets; every channel got the output, none holds a secret', async function () {
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

    // The run's channel received every step's output, with the printed secrets masked.
    const run = await channelText(CHANNEL, /=== finished after /, 30_000);
    assert.match(run, /Secret endpoint-stats\/postgres-credentials (created|configured|unchanged)/);
    assert.match(run, /connecting as postgres with password \*\*\*\n/);
    assert.match(run, /app role password, base64: \*\*\*\n/);
    assert.match(run, /session key: \*\*\*\n/);
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

    // Every channel of this host, the extension's own log included: no secret in any form.
    const channels = await eventually('the extension log to name the secrets it found', async () => {
      const all = await outputChannelTexts();
      return /REDIS_PASSWORD set/.test(all.get('DR Runbook') ?? '') ? all : undefined;
    });
    assert.ok(channels.has(channelFileName(CHANNEL)) && channels.has('DR Runbook'), [...channels.keys()].join(', '));
    for (const [name, text] of channels) assertNoSecret(`the output channel "${name}"`, text);

    // The run record and the report under .dr-runs/: the steps are there, the secrets are not.
    const reportPath = await eventually('the run report', () => runs.lastReport);
    const read = async (path: string): Promise<string> =>
      new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(path)));
    const report = await read(reportPath);
    const record = await read(reportPath.replace(/\.md$/, '.jsonl'));
    assert.match(report, /^# DR run report: Secrets go to the cluster and to scripts/);
    assert.match(report, /\| 2 \| Run a script that prints what it was given \| succeeded \|/);
    // The summary of a step's output is its last error line: here one that printed a password.
    assert.match(record, /error: the first try was refused for password \*\*\*; retrying/);
    assert.match(report, /error: the first try was refused for password \*\*\*; retrying/);
    assertNoSecret('the run report', report);
    assertNoSecret('the run record', record);
  });
});
