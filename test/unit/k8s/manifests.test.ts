import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import type { IDeployment, IStatefulSet } from 'kubernetes-models/apps/v1';
import type { ICronJob } from 'kubernetes-models/batch/v1';
import type { IConfigMap, IPersistentVolumeClaim, IPodSpec, ISecret } from 'kubernetes-models/v1';
import {
  crossObjectProblems,
  fillSecretPlaceholders,
  loadManifests,
  NAMESPACE,
  podTemplates,
  schemaProblems,
  secretTemplateProblems,
  type ManifestDoc,
} from './manifestChecks.ts';

const repo = resolve(import.meta.dirname, '../../..');
const root = join(repo, 'k8s');

/** The files the DR plan applies, in its order, and the backup CronJob beside the backup claim. */
const PLAN_FILES = [
  'core/namespace.yaml',
  'monitoring/',
  'storage/persistent-volumes.yaml',
  'maintenance/backup-pvc.yaml',
  'maintenance/backup-cronjob.yaml',
  'security/secrets.yaml',
  'database/postgres.yaml',
  'networking/db-alias-service.yaml',
  'cache/redis.yaml',
  'core/flask-api.yaml',
  'networking/ingress.yaml',
];

async function allProblems(docs: ManifestDoc[]): Promise<string[]> {
  const filled = fillSecretPlaceholders(docs);
  const schema = (await Promise.all(filled.map((d) => schemaProblems(d)))).flat();
  return [...schema, ...crossObjectProblems(filled)];
}

function find(docs: ManifestDoc[], kind: string, name: string): ManifestDoc {
  const doc = docs.find((d) => d.object.kind === kind && d.object.metadata?.name === name);
  assert.ok(doc, `${kind}/${name} is missing`);
  return doc;
}

/** The object as the kubernetes-models type of its kind. */
function as<T>(doc: ManifestDoc): T {
  return doc.object as unknown as T;
}

type Path = (string | number)[];

/**
 * A copy of the documents where one object has the value at `path` set (or deleted, for
 * `undefined`): the broken variants of the real files.
 */
function mutate(docs: ManifestDoc[], kind: string, name: string, path: Path, value: unknown): ManifestDoc[] {
  let found = false;
  const result = docs.map((d) => {
    if (d.object.kind !== kind || d.object.metadata?.name !== name) return d;
    found = true;
    const object = structuredClone(d.object);
    let node = object as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) {
      node = node[key] as Record<string | number, unknown>;
      assert.ok(node !== undefined && node !== null, `${kind}/${name} has no ${path.join('.')}`);
    }
    const last = path[path.length - 1]!;
    if (value === undefined) delete node[last];
    else node[last] = value;
    return { ...d, object };
  });
  assert.ok(found, `${kind}/${name} not found`);
  return result;
}

describe('Kubernetes manifests (k8s/)', function () {
  this.timeout(30_000);
  const { docs, problems: yamlProblems } = loadManifests(root);

  it('has every file the DR plan applies, each parsing as YAML without error', () => {
    for (const f of PLAN_FILES) assert.ok(existsSync(join(root, f)), `k8s/${f} is missing`);
    assert.deepEqual(yamlProblems, []);
    for (const f of PLAN_FILES.filter((f) => f.endsWith('.yaml'))) assert.ok(docs.some((d) => d.file === f), `k8s/${f} holds no object`);
    assert.ok(docs.filter((d) => d.file.startsWith('monitoring/')).length >= 5);
  });

  it('validates every document against the Kubernetes schemas, with no unknown field', async () => {
    const filled = fillSecretPlaceholders(docs);
    const problems = (await Promise.all(filled.map((d) => schemaProblems(d)))).flat();
    assert.deepEqual(problems, []);
    assert.ok(docs.length >= 30, `only ${docs.length} documents`);
  });

  it('passes the checks across objects: selectors, ports, references, namespace, labels, images, resources, pod security', () => {
    assert.deepEqual(crossObjectProblems(fillSecretPlaceholders(docs)), []);
  });

  it('has the objects the DR plan names', () => {
    const namespace = find(docs, 'Namespace', NAMESPACE);
    assert.equal(namespace.file, 'core/namespace.yaml');
    assert.equal(namespace.object.metadata?.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');

    const api = find(docs, 'Deployment', 'flask-api');
    assert.equal(api.file, 'core/flask-api.yaml');
    assert.equal(api.object.metadata?.namespace, NAMESPACE);
    const spec = as<IDeployment>(api).spec!;
    assert.ok((spec.revisionHistoryLimit ?? 0) >= 2, 'rollout undo needs an earlier revision');
    assert.equal(spec.strategy?.type, 'RollingUpdate');
    const container = spec.template.spec!.containers[0]!;
    assert.ok(container.readinessProbe && container.livenessProbe, 'readiness and liveness probes');
    assert.equal(find(docs, 'Service', 'flask-api').file, 'core/flask-api.yaml');

    assert.equal(find(docs, 'Service', 'db').file, 'networking/db-alias-service.yaml');
    const postgres = find(docs, 'StatefulSet', 'postgres');
    assert.equal(postgres.file, 'database/postgres.yaml');
    assert.equal(as<IStatefulSet>(postgres).spec!.volumeClaimTemplates![0]!.metadata!.name, 'data');
    assert.equal(find(docs, 'Deployment', 'redis').file, 'cache/redis.yaml');
    assert.equal(find(docs, 'Ingress', 'endpoint-stats').file, 'networking/ingress.yaml');
    assert.equal(find(docs, 'PersistentVolumeClaim', 'postgres-backups').file, 'maintenance/backup-pvc.yaml');
    assert.equal(find(docs, 'Deployment', 'prometheus').file, 'monitoring/prometheus.yaml');
  });

  it('pre-creates the claim the postgres StatefulSet would make, with the same size and access mode', () => {
    const template = as<IStatefulSet>(find(docs, 'StatefulSet', 'postgres')).spec!.volumeClaimTemplates![0]!;
    const claim = find(docs, 'PersistentVolumeClaim', 'data-postgres-0');
    assert.equal(claim.file, 'storage/persistent-volumes.yaml');
    assert.deepEqual(as<IPersistentVolumeClaim>(claim).spec!.accessModes, template.spec!.accessModes);
    assert.deepEqual(as<IPersistentVolumeClaim>(claim).spec!.resources, template.spec!.resources);
  });

  it('keeps secrets.yaml a template: only ${NAME} placeholders, covering every key the workloads read', () => {
    const secrets = docs.filter((d) => d.file === 'security/secrets.yaml');
    assert.ok(secrets.length >= 1 && secrets.every((d) => d.object.kind === 'Secret'));
    assert.deepEqual(secretTemplateProblems(secrets), []);
    assert.deepEqual(
      docs.filter((d) => d.object.kind === 'Secret' && d.file !== 'security/secrets.yaml').map((d) => d.file),
      [],
      'Secrets live only in the template',
    );
    const text = readFileSync(join(root, 'security/secrets.yaml'), 'utf8');
    assert.match(text.split('\napiVersion:')[0]!, /applier .* refuses to apply/s, 'the header documents the mechanism');
    const names = secrets.flatMap((d) => Object.values(as<ISecret>(d).stringData ?? {})).map((v) => v.slice(2, -1));
    assert.deepEqual(new Set(names), new Set(['POSTGRES_PASSWORD', 'APP_DB_PASSWORD', 'REDIS_PASSWORD', 'FLASK_SECRET_KEY']));
    // Every secretKeyRef is satisfied: checked by crossObjectProblems; prove it notices a gap.
    const broken = docs.map((d) =>
      d.object.kind === 'Secret' && d.object.metadata?.name === 'redis-credentials' ? { ...d, object: { ...d.object, stringData: {} } } : d,
    );
    assert.ok(crossObjectProblems(broken).some((p) => p.includes('needs key REDIS_PASSWORD of Secret redis-credentials')));
  });

  it('runs the backup CronJob hourly, mounting the backup claim, with the same dr-backup.sh as scripts/backup', () => {
    const cron = find(docs, 'CronJob', 'postgres-backup');
    assert.equal(cron.file, 'maintenance/backup-cronjob.yaml');
    const spec = as<ICronJob>(cron).spec;
    assert.match(spec.schedule, /^\d{1,2} \* \* \* \*$/, 'hourly');
    assert.equal(spec.concurrencyPolicy, 'Forbid');
    const pod: IPodSpec = spec.jobTemplate.spec!.template.spec!;
    const volume = pod.volumes!.find((v) => v.persistentVolumeClaim)!;
    assert.equal(volume.persistentVolumeClaim!.claimName, 'postgres-backups');
    assert.equal(find(docs, 'PersistentVolumeClaim', 'postgres-backups').file, 'maintenance/backup-pvc.yaml');
    const backup = pod.containers[0]!;
    assert.ok(backup.volumeMounts!.some((m) => m.name === volume.name && m.mountPath === '/backups' && !m.readOnly));
    assert.deepEqual(backup.args!.slice(0, 2), ['--dir', '/backups']);
    const script = as<IConfigMap>(find(docs, 'ConfigMap', 'postgres-backup-script')).data!['dr-backup.sh'];
    assert.equal(
      script,
      readFileSync(join(repo, 'scripts/backup/dr-backup.sh'), 'utf8'),
      'k8s/maintenance/backup-cronjob.yaml is out of date: run node scripts/backup/sync-cronjob-script.mjs',
    );
  });

  it('configures Prometheus to scrape the app and alert on backup age (RPO), PostgreSQL down, API errors and latency', () => {
    const config = parse(as<IConfigMap>(find(docs, 'ConfigMap', 'prometheus-config')).data!['prometheus.yml']!) as {
      scrape_configs: { job_name: string }[];
      rule_files: string[];
    };
    const jobs = config.scrape_configs.map((j) => j.job_name);
    for (const job of ['flask-api', 'postgres', 'kube-state-metrics']) assert.ok(jobs.includes(job), job);
    assert.deepEqual(config.rule_files, ['/etc/prometheus/rules/*.yml']);

    interface Rule {
      alert?: string;
      expr?: string;
      for?: string;
      labels?: { severity?: string };
      annotations?: { summary?: string };
    }
    const rulesMap = as<IConfigMap>(find(docs, 'ConfigMap', 'prometheus-rules')).data!;
    const rules = Object.values(rulesMap).flatMap((text) => (parse(text) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules));
    for (const rule of rules) {
      assert.ok(rule.alert && rule.expr && rule.for && rule.labels?.severity && rule.annotations?.summary, JSON.stringify(rule));
    }
    const byName = new Map(rules.map((r) => [r.alert!, r.expr!]));
    assert.match(byName.get('BackupOlderThanRPO')!, /kube_cronjob_status_last_successful_time\{[^}]*cronjob="postgres-backup"[^}]*\}\) > 3600/);
    assert.match(byName.get('PostgresDown')!, /pg_up/);
    assert.match(byName.get('ApiHighErrorRate')!, /status=~"5.."/);
    assert.match(byName.get('ApiHighLatency')!, /histogram_quantile\(0\.95/);

    // The rules file is mounted where rule_files points.
    const pod = as<IDeployment>(find(docs, 'Deployment', 'prometheus')).spec!.template.spec!;
    const rulesVolume = pod.volumes!.find((v) => v.configMap?.name === 'prometheus-rules')!.name;
    assert.ok(pod.containers[0]!.volumeMounts!.some((m) => m.name === rulesVolume && m.mountPath === '/etc/prometheus/rules'));
  });

  it('pins every image to a tag (never :latest) and sets requests and limits on every container', () => {
    const containers = podTemplates(docs).flatMap((t) => [...(t.spec.initContainers ?? []), ...t.spec.containers]);
    assert.ok(containers.length >= 7);
    for (const c of containers) {
      assert.match(c.image!, /:[^/:]+$/, c.image);
      assert.doesNotMatch(c.image!, /:latest$/);
      assert.ok(c.resources?.requests?.cpu && c.resources.limits?.memory, c.name);
    }
  });

  describe('the check fails for a broken manifest', () => {
    const container0 = ['spec', 'template', 'spec', 'containers', 0];

    it('an unknown field (a misspelt imagePullPolicy)', async () => {
      const broken = mutate(docs, 'Deployment', 'flask-api', [...container0, 'imagePullPolcy'], 'Always');
      const problems = await allProblems(broken);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(
        problems[0]!,
        /^core\/flask-api\.yaml:\d+ Deployment\/flask-api: spec\.template\.spec\.containers\[0\]\.imagePullPolcy: unknown field "imagePullPolcy"$/,
      );
    });

    it('a missing required field (a container without a name)', async () => {
      const broken = mutate(docs, 'StatefulSet', 'postgres', ['spec', 'template', 'spec', 'containers', 1, 'name'], undefined);
      const problems = await allProblems(broken);
      assert.ok(
        problems.some((p) => /^database\/postgres\.yaml:\d+ StatefulSet\/postgres: .*containers\/1 must have required property name$/.test(p)),
        problems.join('\n'),
      );
    });

    it('a selector that matches no pod (the db Service)', async () => {
      const broken = mutate(docs, 'Service', 'db', ['spec', 'selector', 'app.kubernetes.io/name'], 'postgresql');
      const problems = await allProblems(broken);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0]!, /^networking\/db-alias-service\.yaml:\d+ Service\/db: its selector matches no pod$/);
    });

    const more: [string, string, string, Path, unknown, RegExp][] = [
      ['a :latest image', 'Deployment', 'redis', [...container0, 'image'], 'redis:latest', /image redis:latest uses the :latest tag/],
      ['an untagged image', 'Deployment', 'flask-api', [...container0, 'image'], 'ghcr.io/endpoint-stats/flask-api', /has no tag/],
      ['a missing memory limit', 'Deployment', 'prometheus', [...container0, 'resources', 'limits', 'memory'], undefined, /resources\.limits\.memory is not set/],
      ['another namespace', 'Service', 'redis', ['metadata', 'namespace'], 'default', /not in namespace endpoint-stats/],
      ['a Service port the pods do not expose', 'Service', 'flask-api', ['spec', 'ports', 0, 'targetPort'], 'web', /targets web, which the pods of .* do not expose/],
      [
        'a Deployment whose selector misses its pods',
        'Deployment',
        'flask-api',
        ['spec', 'selector', 'matchLabels', 'app.kubernetes.io/name'],
        'api',
        /selector does not match its pod template/,
      ],
      [
        'a CronJob without the backup claim',
        'CronJob',
        'postgres-backup',
        ['spec', 'jobTemplate', 'spec', 'template', 'spec', 'volumes', 0, 'persistentVolumeClaim', 'claimName'],
        'backups',
        /uses claim backups, which does not exist/,
      ],
      ['a root container', 'Deployment', 'flask-api', ['spec', 'template', 'spec', 'securityContext', 'runAsNonRoot'], false, /runAsNonRoot is not true/],
      ['a wrong type', 'Deployment', 'flask-api', ['spec', 'replicas'], 'two', /replicas must be integer/],
    ];
    for (const [name, kind, object, path, value, message] of more) {
      it(name, async () => {
        const problems = await allProblems(mutate(docs, kind, object, path, value));
        assert.ok(
          problems.some((p) => message.test(p)),
          problems.join('\n') || 'no problem found',
        );
      });
    }
  });
});
