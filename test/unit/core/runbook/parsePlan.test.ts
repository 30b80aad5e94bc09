import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parsePlan } from '../../../../src/core/runbook/parsePlan.js';
import type { Command } from '../../../../src/core/runbook/model.js';

const ourPlan = readFileSync(new URL('../../../../DR-PLAN.md', import.meta.url), 'utf8');

describe('parsePlan on our DR-PLAN.md', () => {
  const plan = parsePlan(ourPlan);

  it('reads the RPO and RTO as durations', () => {
    assert.equal(plan.rpoMs, 3_600_000);
    assert.equal(plan.rtoMs, 4 * 3_600_000);
    assert.deepEqual(plan.problems, []);
  });

  it('finds the three recovery scenarios and the drill, with their step counts', () => {
    assert.deepEqual(
      plan.scenarios.map((s) => [s.id, s.title, s.kind, s.steps.length]),
      [
        ['database-failure', 'Database failure', 'recovery', 3],
        ['complete-cluster-failure', 'Complete cluster failure', 'recovery', 9],
        ['application-deployment-failure', 'Application deployment failure', 'recovery', 3],
        ['quarterly-dr-drill', 'Quarterly DR drill', 'drill', 7],
      ],
    );
  });

  it('keeps each step number, text and source line', () => {
    const cluster = plan.scenarios[1]!;
    const lines = ourPlan.split('\n');
    for (const step of cluster.steps) {
      assert.match(lines[step.line - 1]!, new RegExp(`^${step.number}\\. `));
    }
    assert.deepEqual(
      cluster.steps.map((s) => s.number),
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.equal(cluster.steps[2]!.text, 'Recreate the persistent volumes and the backup volume claim');
    assert.equal(cluster.steps[3]!.title, 'Bring up the database and its hourly backup');
    assert.match(
      cluster.steps[3]!.text,
      /^Bring up the database and its hourly backup\. The secrets file is a template: .* nothing is applied while one is missing\.$/,
    );
  });

  it('classifies the commands of the cluster-failure scenario', () => {
    const steps = plan.scenarios[1]!.steps;
    assert.deepEqual(
      steps.map((s) => s.kind),
      ['manual', 'apply', 'apply', 'apply', 'script', 'apply', 'apply', 'apply', 'manual'],
    );
    const paths = steps.flatMap((s) => s.commands.flatMap((c) => (c.kind === 'apply' ? c.paths.map((p) => p.value) : [])));
    assert.deepEqual(paths, [
      'k8s/core/namespace.yaml',
      'k8s/monitoring/',
      'k8s/storage/persistent-volumes.yaml',
      'k8s/maintenance/backup-pvc.yaml',
      'k8s/security/secrets.yaml',
      'k8s/database/postgres.yaml',
      'k8s/networking/db-alias-service.yaml',
      'k8s/maintenance/backup-cronjob.yaml',
      'k8s/cache/redis.yaml',
      'k8s/core/flask-api.yaml',
      'k8s/networking/ingress.yaml',
    ]);
    const restore = steps[4]!.commands[0]!;
    assert.equal(restore.kind, 'script');
    if (restore.kind === 'script') {
      assert.equal(restore.path.value, './scripts/backup/dr-restore.sh');
      assert.deepEqual(
        restore.args.map((a) => [a.value, a.placeholder]),
        [['/path/to/offsite/backup.sql', true]],
      );
    }
  });

  it('classifies rollback, logs, cd and namespace commands', () => {
    const [db, , app, drill] = plan.scenarios;
    const kinds = (cs: readonly Command[]) => cs.map((c) => c.kind);
    assert.deepEqual(kinds(db!.steps[2]!.commands), ['cd', 'script']);
    const cd = db!.steps[2]!.commands[0]!;
    assert.ok(cd.kind === 'cd' && cd.projectRoot);
    const rollback = app!.steps[1]!.commands[0]!;
    assert.deepEqual(rollback.kind === 'rollback' && [rollback.resource, rollback.name, rollback.namespace], [
      'deployment',
      'flask-api',
      'endpoint-stats',
    ]);
    const logs = app!.steps[2]!.commands[0]!;
    assert.deepEqual(logs.kind === 'logs' && [logs.resource, logs.name, logs.namespace, logs.follow], [
      'deployment',
      'flask-api',
      'endpoint-stats',
      true,
    ]);
    assert.deepEqual(
      drill!.steps.map((s) => s.kind),
      ['manual', 'namespaceCreate', 'drill', 'drill', 'drill', 'drill', 'namespaceDelete'],
    );
    const del = drill!.steps[6]!.commands[0]!;
    assert.ok(del.kind === 'namespaceDelete' && del.namespaces.join() === 'endpoint-stats-dr-test');
    // Deleting the drill's test namespace is its clean-up: the drill's test databases go with it.
    assert.equal(del.testEnvironment, true);
    const creates = drill!.steps[1]!.commands[0]!;
    assert.ok(creates.kind === 'namespaceCreate' && creates.testEnvironment === undefined);
  });

  it('runs the drill’s steps written in words in its test namespace, restoring with the plan’s restore script', () => {
    const drill = plan.scenarios.find((s) => s.kind === 'drill')!;
    assert.deepEqual(
      drill.steps.slice(2, 6).map((s) => {
        const c = s.commands[0]!;
        return c.kind === 'drill' ? [s.number, c.action, c.testNamespace, c.restoreScript] : [s.number, c.kind];
      }),
      [
        [3, 'copyConfiguration', 'endpoint-stats-dr-test', './scripts/backup/dr-restore.sh'],
        [4, 'restoreBackup', 'endpoint-stats-dr-test', './scripts/backup/dr-restore.sh'],
        [5, 'validate', 'endpoint-stats-dr-test', './scripts/backup/dr-restore.sh'],
        [6, 'results', 'endpoint-stats-dr-test', './scripts/backup/dr-restore.sh'],
      ],
    );
    // The step keeps its identity (the plan's text did not change): records of earlier drills still match.
    assert.match(drill.steps[2]!.id, /^quarterly-dr-drill\/copy-the-production-configuration/);
    assert.equal(drill.steps[2]!.commands[0]!.line, drill.steps[2]!.line);
  });

  it('leaves a drill without a test namespace, and a recovery scenario, as written: their steps stay manual', () => {
    const other = parsePlan(
      [
        '# Plan',
        '## Yearly restore test',
        '1. Copy the production configuration somewhere.',
        '2. Restore a recent backup into the test environment.',
        '## Recovery',
        '1. Create the namespace:',
        '   ```',
        '   kubectl create namespace x',
        '   ```',
        '2. Check that the application works.',
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      other.scenarios.map((s) => [s.kind, s.steps.map((x) => x.kind)]),
      [
        ['drill', ['manual', 'manual']],
        ['recovery', ['namespaceCreate', 'manual']],
      ],
    );
  });

  it('gives every command its line and the column of its paths', () => {
    const lines = ourPlan.split('\n');
    for (const scenario of plan.scenarios) {
      for (const step of scenario.steps) {
        // A drill step written in words stands for the step's own text, not a line of code.
        for (const command of step.commands.filter((c) => c.kind !== 'drill')) {
          assert.equal(lines[command.line - 1]!.slice(command.column - 1), command.text);
          if (command.kind === 'apply') {
            for (const p of command.paths)
              assert.equal(lines[command.line - 1]!.slice(p.column - 1, p.column - 1 + p.value.length), p.value);
          }
        }
      }
    }
  });
});

describe('parsePlan on other teams’ plans', () => {
  it('reads a plan with other titles, heading levels and units, and no hard-coded names', () => {
    const plan = parsePlan(
      [
        '# Payments DR',
        '',
        '**RPO**: 15 minutes · **RTO**: 2h',
        '',
        '## Region outage',
        '',
        '1) Fail over DNS',
        '2) Apply the standby stack:',
        '',
        '    ```bash',
        '    kubectl --context standby apply -f deploy/ -n payments',
        '    kubectl apply \\',
        '      --filename=deploy/extra.yaml',
        '    ```',
        '',
        '## Bad release',
        '1. Roll back to a chosen revision',
        '   ~~~',
        '   kubectl -n payments rollout undo deploy/api --to-revision=3',
        '   kubectl logs -f -l app=api --tail=20 -n payments',
        '   bash scripts/verify.sh <environment> --quick',
        '   helm list',
        '   ~~~',
      ].join('\n'),
    );
    assert.equal(plan.title, 'Payments DR');
    assert.equal(plan.rpoMs, 15 * 60_000);
    assert.equal(plan.rtoMs, 2 * 3_600_000);
    assert.deepEqual(
      plan.scenarios.map((s) => [s.id, s.steps.length, s.kind]),
      [
        ['region-outage', 2, 'recovery'],
        ['bad-release', 1, 'recovery'],
      ],
    );
    const apply = plan.scenarios[0]!.steps[1]!;
    assert.equal(apply.text, 'Apply the standby stack');
    assert.deepEqual(
      apply.commands.map((c) => (c.kind === 'apply' ? [c.paths.map((p) => p.value), c.namespace, c.line] : c.kind)),
      [
        [['deploy/'], 'payments', 11],
        [['deploy/extra.yaml'], undefined, 12],
      ],
    );
    const [undo, logs, script, other] = plan.scenarios[1]!.steps[0]!.commands;
    assert.ok(undo?.kind === 'rollback' && undo.toRevision === 3 && undo.name === 'api' && undo.namespace === 'payments');
    assert.ok(logs?.kind === 'logs' && logs.resource === 'selector' && logs.name === 'app=api' && logs.follow);
    assert.ok(script?.kind === 'script' && script.path.value === 'scripts/verify.sh');
    assert.deepEqual(script.kind === 'script' && script.args.map((a) => a.placeholder), [true, false]);
    assert.equal(other?.kind, 'other');
    assert.equal(plan.scenarios[1]!.steps[0]!.kind, 'script');
  });

  it('warns when the plan states no RPO or RTO, and refuses a scenario that leaves a code block open', () => {
    const plan = parsePlan('# Plan\n\n## Outage\n1. Do something\n   ```\n   kubectl get pods\n');
    assert.equal(plan.rpoMs, undefined);
    assert.equal(plan.rtoMs, undefined);
    assert.deepEqual(
      plan.problems.map((w) => [w.line, w.severity, w.scenarioId, w.message.split(':')[0]]),
      [
        [1, 'warning', undefined, 'The plan states no RPO (for example "RPO'],
        [1, 'warning', undefined, 'The plan states no RTO (for example "RTO'],
        [5, 'error', 'outage', 'This code block is never closed'],
      ],
    );
  });

  it('gives scenarios with the same title distinct ids, and ignores sections with no steps', () => {
    const plan = parsePlan('## Notes\nJust prose.\n## Outage\n1. a\n## Outage\n1. b\n- a bullet is not a step\n');
    assert.deepEqual(
      plan.scenarios.map((s) => [s.id, s.steps.map((x) => x.text)]),
      [
        ['outage', ['a']],
        ['outage-2', ['b']],
      ],
    );
  });

  it('returns an empty model for an empty file', () => {
    const plan = parsePlan('');
    assert.deepEqual(plan.scenarios, []);
    assert.equal(plan.title, undefined);
  });
});

describe('parsePlan reads CommonMark as a markdown viewer shows it', () => {
  const plan = (body: string) => parsePlan(`# Plan\n\nRPO: 1 hour. RTO: 4 hours.\n\n${body}`);
  const texts = (scenario: { steps: readonly { number: number; text: string }[] } | undefined) =>
    scenario?.steps.map((s) => `${s.number}. ${s.text}`);

  it('leaves out a step commented out with <!-- -->, and numbers the rest as shown', () => {
    const p = plan(
      [
        '## Outage',
        '1. Look at the pods',
        '<!--',
        '2. Delete everything',
        '   ```',
        '   kubectl delete namespace endpoint-stats',
        '   ```',
        '-->',
        '3. Call the team',
      ].join('\n'),
    );
    assert.deepEqual(texts(p.scenarios[0]), ['1. Look at the pods', '3. Call the team']);
    assert.deepEqual(
      p.scenarios[0]!.steps.flatMap((s) => s.commands),
      [],
    );
  });

  it('reads a setext heading (a title underlined with ===) as a scenario heading', () => {
    const p = plan(['Region outage', '=============', '', '1. Fail over', '2. Tell people'].join('\n'));
    assert.deepEqual(
      p.scenarios.map((s) => [s.title, s.line, s.steps.length]),
      [['Region outage', 5, 2]],
    );
  });

  it('reads an indented code block under a step as its commands, not as its text', () => {
    const p = plan(['## Outage', '1. Apply the stack', '', '       kubectl apply -f k8s/core/', ''].join('\n'));
    const step = p.scenarios[0]!.steps[0]!;
    assert.equal(step.text, 'Apply the stack');
    assert.deepEqual(
      step.commands.map((c) => [c.kind, c.text, c.line, c.column]),
      [['apply', 'kubectl apply -f k8s/core/', 8, 8]],
    );
  });

  it('makes an unclosed fence an error of its scenario, naming how far it reaches', () => {
    const p = plan(
      [
        '## Outage',
        '1. Apply',
        '~~~',
        'kubectl apply -f k8s/core/',
        '## Bad release',
        '1. Roll back',
        '   ```',
        '   kubectl rollout undo deployment/flask-api',
        '   ```',
      ].join('\n'),
    );
    // CommonMark runs the fence to the end of the plan: the second scenario is code, as in any viewer.
    assert.deepEqual(
      p.scenarios.map((s) => s.id),
      ['outage'],
    );
    const errors = p.problems.filter((x) => x.severity === 'error');
    assert.deepEqual(
      errors.map((e) => [e.scenarioId, e.line]),
      [['outage', 7]],
    );
    assert.match(errors[0]!.message, /never closed: the 6 line\(s\) after it, to line 13, are read as code.*Close it with ~~~/);
  });

  it('ends a fence left open in a list item with the item, and still refuses its scenario', () => {
    const p = plan(['## Outage', '1. Apply', '   ```', '   kubectl apply -f k8s/core/', '2. Check'].join('\n'));
    assert.deepEqual(
      p.scenarios[0]!.steps.map((s) => s.kind),
      ['apply', 'manual'],
    );
    assert.deepEqual(
      p.problems.map((e) => [e.severity, e.scenarioId, e.line]),
      [['error', 'outage', 7]],
    );
  });

  it('reads a scenario written as a bullet list, and refuses a "Scenario" heading with no steps', () => {
    const p = plan(
      [
        '## Cache loss',
        '- Bring Redis back:',
        '  ```sh',
        '  kubectl apply -f k8s/cache/redis.yaml',
        '  ```',
        '- Check the API',
        '',
        '## Contacts',
        '- Alice',
        '',
        '## Scenario 4: Region outage',
        'Call the provider.',
      ].join('\n'),
    );
    assert.deepEqual(
      p.scenarios.map((s) => [s.id, s.steps.map((x) => `${x.number} ${x.kind}`)]),
      [
        ['cache-loss', ['1 apply', '2 manual']],
        ['region-outage', []],
      ],
    );
    assert.deepEqual(
      p.problems.map((x) => [x.severity, x.scenarioId, x.line]),
      [['error', 'region-outage', 15]],
    );
  });

  it('reads a bullet list of steps in words as a scenario when its parent heading names procedures', () => {
    const p = parsePlan(
      [
        '# Disaster Recovery Runbook', // the title names runbooks: it makes nothing a scenario
        '',
        'RPO: 1 hour. RTO: 4 hours.',
        '',
        '## Team',
        '- Alice (on call)',
        '',
        '## Recovery procedures',
        '',
        '### Database failure',
        '- Check the PostgreSQL log',
        '- Restore the newest backup',
        '',
        '### Prerequisites',
        '- kubectl 1.30 or later',
        '',
        '### Cache loss',
        '1. Restart Redis',
      ].join('\n'),
    );
    assert.deepEqual(
      p.scenarios.map((s) => [s.id, s.line, s.steps.map((x) => `${x.number} ${x.kind} ${x.text}`)]),
      [
        ['database-failure', 10, ['1 manual Check the PostgreSQL log', '2 manual Restore the newest backup']],
        ['cache-loss', 17, ['1 manual Restart Redis']],
      ],
    );
    assert.deepEqual(p.problems, []);
  });

  it('reads a bullet list under a heading that names an incident as a scenario beside other scenarios, not contacts or notes', () => {
    const p = plan(
      [
        '## Region outage',
        '1. Fail over DNS',
        '',
        '## Database failure',
        'When the primary is gone:',
        '- Promote the replica',
        '- Point the API at it',
        '',
        '## Contacts',
        '- Alice',
        '',
        '## Monitoring',
        '- Grafana: the "API" dashboard',
      ].join('\n'),
    );
    assert.deepEqual(
      p.scenarios.map((s) => [s.id, s.steps.map((x) => `${x.number} ${x.text}`)]),
      [
        ['region-outage', ['1 Fail over DNS']],
        ['database-failure', ['1 Promote the replica', '2 Point the API at it']],
      ],
    );
    assert.deepEqual(p.problems, []);
  });

  it('warns on the heading of an incident written as a bullet list that nothing around it makes a scenario', () => {
    const body = [
      '## Database failure',
      '- Promote the replica',
      '',
      '## Testing the plan',
      '### Quarterly drill',
      '* Book a window',
      '',
      '### Cache loss', // the drill's sibling: read with it once the drill is a scenario
      '- [ ] Restart Redis',
    ];
    const p = plan(body.join('\n'));
    assert.deepEqual(p.scenarios, []);
    assert.deepEqual(
      p.problems.map((x) => [x.line, x.severity, x.scenarioId, x.message]),
      ['Database failure', 'Quarterly drill', 'Cache loss'].map((name) => [
        5 + body.findIndex((l) => l.endsWith(name)),
        'warning',
        undefined,
        `"${name}" is not read as a scenario: its bullet list holds no commands. To make it one, number its steps (1. 2. 3.) or start its heading with "Scenario".`,
      ]),
    );
    // Numbered as the warning says, the drill is a scenario, and its sibling with it.
    const fixed = plan(body.join('\n').replace('* Book a window', '1. Book a window'));
    assert.deepEqual(
      fixed.scenarios.map((s) => [s.id, s.kind, s.steps.length]),
      [
        ['quarterly-drill', 'drill', 1],
        ['cache-loss', 'drill', 1],
      ],
    );
    assert.deepEqual(
      fixed.problems.map((x) => x.line),
      [5],
    );
  });

  it('leaves bullet lists that are no steps alone, without a word, whatever their neighbours', () => {
    const p = plan(
      [
        '## Recovery procedures',
        '### Contacts',
        '- Alice',
        '### Notes',
        '- Backups are kept for 7 days',
        '### Escalation',
        '- Page the DBA',
        '### Scenario 1: Outage',
        '1. Fail over',
        '## Links',
        '- [Grafana](http://127.0.0.1/)',
        '## Down the line', // an incident word, but prose only: no list, no scenario, no warning
        'Nothing here.',
        '## Failure log',
        '-',
      ].join('\n'),
    );
    assert.deepEqual(
      p.scenarios.map((s) => s.id),
      ['outage'],
    );
    assert.deepEqual(p.problems, []);
  });

  it('does not make the subsections of a scenario, or lists of what can go wrong, scenarios of their own', () => {
    const p = plan(
      [
        '## Recovery procedures',
        '### Scenario 1: Database failure',
        '1. Restore the backup',
        '#### Verification', // a detail of the scenario above, under a heading that names scenarios
        '- The API answers',
        '### Known failure modes', // an incident word beside a scenario, but a list of causes
        '- Disk full',
        '### Runbook procedures for the cache',
        '1. Restart Redis',
        '#### Checks', // under a scenario whose heading names procedures
        '- Redis answers PING',
      ].join('\n'),
    );
    assert.deepEqual(
      p.scenarios.map((s) => [s.id, s.steps.length]),
      [
        ['database-failure', 1],
        ['runbook-procedures-for-the-cache', 1],
      ],
    );
    assert.deepEqual(p.problems, []);
  });

  it('numbers `1.` `1.` `1.` as 1, 2, 3, each step with its own identity', () => {
    const p = plan(['## Outage', '1. One', '1. Two', '1. Three'].join('\n'));
    const steps = p.scenarios[0]!.steps;
    assert.deepEqual(
      steps.map((s) => s.number),
      [1, 2, 3],
    );
    assert.equal(new Set(steps.map((s) => s.id)).size, 3);
    assert.match(steps[0]!.id, /^outage\/one-[0-9a-f]{8}$/);
  });

  it('reads objectives written in words', () => {
    const p = parsePlan('# Plan\n\nThe RTO is one hour and the RPO is half an hour.\n');
    assert.equal(p.rtoMs, 3_600_000);
    assert.equal(p.rpoMs, 1_800_000);
  });

  it('makes two steps that say and run the same thing an error', () => {
    const p = plan(
      [
        '## Outage',
        '1. Restart',
        '   ```',
        '   ./scripts/restart.sh',
        '   ```',
        '2. Restart',
        '   ```',
        '   ./scripts/restart.sh',
        '   ```',
      ].join('\n'),
    );
    assert.deepEqual(
      p.problems.map((x) => [x.severity, x.scenarioId, x.line, x.message.slice(0, 17)]),
      [['error', 'outage', 10, 'Steps 1 and 2 of ']],
    );
  });

  it('reads a fence written between items without indentation as the step above it', () => {
    const p = plan(['## Outage', '1. Apply', '```', 'kubectl apply -f a.yaml', '```', '2. Check'].join('\n'));
    assert.deepEqual(
      p.scenarios[0]!.steps.map((s) => [s.number, s.kind]),
      [
        [1, 'apply'],
        [2, 'manual'],
      ],
    );
  });

  it('does not run a code block that holds YAML or output', () => {
    const p = plan(['## Outage', '1. Check the config', '   ```yaml', '   kind: ConfigMap', '   ```'].join('\n'));
    assert.equal(p.scenarios[0]!.steps[0]!.kind, 'manual');
  });
});
