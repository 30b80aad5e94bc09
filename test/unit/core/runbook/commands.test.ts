import assert from 'node:assert/strict';
import { classifyCommand, replacesData } from '../../../../src/core/runbook/commands.js';

const c = (text: string) => classifyCommand(text, 1, 1);

describe('classifyCommand: kubectl as kubectl reads it', () => {
  it('reads the global flags: --context, --kubeconfig, -n and --dry-run, before or after the verb', () => {
    const apply = c('kubectl --context staging apply -f k8s/ --kubeconfig ./kc -n team --dry-run=server');
    assert.ok(apply.kind === 'apply');
    assert.deepEqual([apply.globals, apply.namespace], [{ context: 'staging', kubeconfig: './kc', dryRun: 'server' }, 'team']);
    const bare = c('kubectl delete namespace x --dry-run');
    assert.ok(bare.kind === 'namespaceDelete' && bare.globals.dryRun === 'client');
    assert.ok(c('kubectl apply -f a.yaml --dry-run=maybe').kind === 'other');
  });

  it('keeps every name of a delete, and -R and --force-conflicts of an apply', () => {
    const del = c('kubectl delete namespace a b c');
    assert.deepEqual(del.kind === 'namespaceDelete' && del.namespaces, ['a', 'b', 'c']);
    const apply = c('kubectl apply -R -f k8s/ --server-side --force-conflicts');
    assert.deepEqual(apply.kind === 'apply' && [apply.recursive, apply.forceConflicts], [true, true]);
  });

  it('leaves to kubectl, after its own confirmation, the forms the engine does not do, and says why', () => {
    for (const [text, why] of [
      ['kubectl apply -k overlays/prod', /does not apply with -k itself/],
      ['kubectl apply -f k8s/ --prune -l app=api', /does not apply with --prune, -l itself/],
      ['kubectl apply -f k8s/ --validate=false', /--validate/],
      ['kubectl rollout undo statefulset/postgres', /kubectl rolls back a statefulset \(from its ControllerRevisions\)/],
      ['kubectl rollout undo daemonset/agent', /daemonset/],
      ['kubectl rollout restart deployment/api', /does not do "rollout restart" itself/],
      ['kubectl delete deployment api', /does not do "delete deployment api" itself/],
    ] as const) {
      const command = c(text);
      assert.ok(command.kind === 'other' && command.kubectl && why.test(command.kubectl), `${text}: ${JSON.stringify(command)}`);
    }
  });

  it('reads every form of logs, and refuses at preflight the followed forms that would block the run', () => {
    const pod = c('kubectl logs api-7d9 web --previous --since=1h --tail=50');
    assert.deepEqual(pod.kind === 'logs' && [pod.resource, pod.name, pod.container, pod.follow], [
      'pod',
      'api-7d9',
      'web',
      false,
    ]);
    const sts = c('kubectl logs statefulset/postgres -c postgres');
    assert.deepEqual(sts.kind === 'logs' && [sts.resource, sts.name, sts.container], ['statefulset', 'postgres', 'postgres']);
    const followed = c('kubectl logs -f -l app=api --tail=20');
    assert.deepEqual(followed.kind === 'logs' && [followed.resource, followed.name, followed.tail], ['selector', 'app=api', 20]);
    for (const text of [
      'kubectl logs -f pod/api-7d9',
      'kubectl logs -f deployment/api -c web',
      'kubectl logs -f job/migrate --previous',
    ]) {
      const command = c(text);
      assert.ok(command.kind === 'other' && command.refused, text);
    }
  });
});

describe('replacesData: the scripts asked for before they run', () => {
  it('is a script whose name says it restores, and nothing else', () => {
    for (const text of ['./scripts/backup/dr-restore.sh /backups/x.dump', 'scripts/restore-db.sh', './RESTORE.sh'])
      assert.equal(replacesData(c(text)), true, text);
    for (const text of ['./scripts/backup/dr-backup.sh', 'kubectl rollout restart deployment/x -n a', 'echo restore'])
      assert.equal(replacesData(c(text)), false, text);
  });
});
