import assert from 'node:assert/strict';
import { redactPatterns as redact } from '../../../../src/core/secrets/patterns.js';
import { Redaction } from '../../../../src/core/secrets/redaction.js';

describe('redactPatterns: secrets DR Runbook was never told about', () => {
  it('redacts key=value passwords, env and libpq style', () => {
    assert.equal(redact('PGPASSWORD=hunter22 psql -h db'), 'PGPASSWORD=*** psql -h db');
    assert.equal(redact('host=db user=app password=hunter22 dbname=x'), 'host=db user=app password=*** dbname=x');
    assert.equal(redact("export DB_PASSWORD='two words'"), 'export DB_PASSWORD=***');
    assert.equal(redact('GET /cb?code=1&client_secret=abc123&x=1'), 'GET /cb?code=1&client_secret=***&x=1');
    assert.equal(redact('--api-key=k-123 --token=t0k3n'), '--api-key=*** --token=***');
  });

  it('redacts JSON and YAML secret keys', () => {
    assert.equal(redact('{"user": "app", "password": "hun\\"ter"}'), '{"user": "app", "password": "***"}');
    assert.equal(redact('{"POSTGRES_PASSWORD":"x1"}'), '{"POSTGRES_PASSWORD":"***"}');
    const kubeconfig = [
      'users:',
      '- name: admin',
      '  user:',
      '    token: eyJhbGciOiJSUzI1NiJ9.payload.sig',
      '    client-certificate-data: LS0tQ0VSVA==',
      '    client-key-data: LS0tS0VZ',
      '    password: "p w"',
    ].join('\n');
    assert.equal(
      redact(kubeconfig),
      [
        'users:',
        '- name: admin',
        '  user:',
        '    token: ***',
        '    client-certificate-data: LS0tQ0VSVA==',
        '    client-key-data: ***',
        '    password: ***',
      ].join('\n'),
    );
    assert.equal(redact('automountServiceAccountToken: false'), 'automountServiceAccountToken: false');
  });

  it('redacts bearer tokens and Authorization headers', () => {
    assert.equal(redact('Authorization: Bearer eyJhbGciOi.abc.def'), 'Authorization: Bearer ***');
    assert.equal(redact('authorization: Basic YWRtaW46cGFzcw=='), 'authorization: Basic ***');
    assert.equal(redact('"Authorization": "Bearer abc"'), '"Authorization": "Bearer ***"');
    assert.equal(redact('curl -H "Authorization: Bearer abc" http://x'), 'curl -H "Authorization: Bearer ***" http://x');
    assert.equal(redact('sent Bearer sha256~Xy12abcdEFGH to the API'), 'sent Bearer *** to the API');
  });

  it('redacts the password of a connection string', () => {
    assert.equal(
      redact('DATABASE_URL is postgres://app:s3cret@db:5432/stats'),
      'DATABASE_URL is postgres://app:***@db:5432/stats',
    );
    assert.equal(redact('postgresql://:p%40ss@localhost/db'), 'postgresql://:***@localhost/db');
    assert.equal(redact('redis://default:pw@redis:6379/0'), 'redis://default:***@redis:6379/0');
    assert.equal(redact('DATABASE_URL=postgres://app:s3cret@db/stats'), 'DATABASE_URL=postgres://app:***@db/stats');
  });

  it('redacts env entries in pod specs, YAML and JSON', () => {
    const yaml = '        - name: PGPASSWORD\n          value: hunter22\n        - name: PGUSER\n          value: app\n';
    assert.equal(
      redact(yaml),
      '        - name: PGPASSWORD\n          value: ***\n        - name: PGUSER\n          value: app\n',
    );
    assert.equal(
      redact('{"name": "POSTGRES_PASSWORD", "value": "hunter22"}, {"name": "PGUSER", "value": "app"}'),
      '{"name": "POSTGRES_PASSWORD", "value": "***"}, {"name": "PGUSER", "value": "app"}',
    );
  });

  it('redacts private key blocks', () => {
    const pem = 'key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAAA\n-----END RSA PRIVATE KEY-----\nafter';
    assert.equal(redact(pem), 'key:\n-----BEGIN RSA PRIVATE KEY-----\n***\n-----END RSA PRIVATE KEY-----\nafter');
  });

  it('redacts the data and stringData of a Secret dumped as YAML', () => {
    const yaml = [
      'apiVersion: v1',
      'data:',
      '  POSTGRES_USER: YXBw',
      '  api.key: c2VjcmV0',
      'kind: Secret',
      'metadata:',
      '  name: db-credentials',
      '  namespace: endpoint-stats',
      'stringData:',
      '  note: |',
      '    line one',
      '    line two',
      '  flat: plain text value',
      'type: Opaque',
      '---',
      'kind: Secret',
      'data: {a: b, c: d}',
    ].join('\n');
    assert.equal(
      redact(yaml),
      [
        'apiVersion: v1',
        'data:',
        '  POSTGRES_USER: ***',
        '  api.key: ***',
        'kind: Secret',
        'metadata:',
        '  name: db-credentials',
        '  namespace: endpoint-stats',
        'stringData:',
        '  note: |',
        '    ***',
        '    ***',
        '  flat: ***',
        'type: Opaque',
        '---',
        'kind: Secret',
        'data: {***}',
      ].join('\n'),
    );
  });

  it('redacts the data of a Secret dumped as JSON, also inside the last-applied annotation', () => {
    const json = JSON.stringify(
      {
        apiVersion: 'v1',
        data: { POSTGRES_USER: 'YXBw', other: 'c2VjcmV0' },
        kind: 'Secret',
        metadata: {
          annotations: {
            'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
              apiVersion: 'v1',
              data: { other: 'c2VjcmV0' },
              kind: 'Secret',
            }),
          },
          name: 'db-credentials',
        },
      },
      null,
      2,
    );
    const out = redact(json);
    assert.ok(!out.includes('c2VjcmV0'), out);
    assert.ok(!out.includes('YXBw'), out);
    assert.match(out, /"POSTGRES_USER": "\*\*\*"/);
    assert.match(out, /\\"other\\":\\"\*\*\*\\"/);
    assert.match(out, /"name": "db-credentials"/);
  });

  it('leaves the data of a ConfigMap alone', () => {
    const configMap = 'apiVersion: v1\ndata:\n  LOG_LEVEL: info\nkind: ConfigMap\n';
    assert.equal(redact(configMap), configMap);
  });

  it('does not touch ordinary log lines', () => {
    const lines = [
      'dr-restore: No password is ever accepted on the command line or printed.',
      'FATAL:  password authentication failed for user "postgres"',
      'dr-backup: wrote ./backups/endpoint_stats_20260304T090000Z.dump (4096 bytes, 2 tables, sha256 abcdef) in 3s',
      'RPO-EVIDENCE newest_row=2026-03-04T08:59:58Z rows=1200',
      'RESTORE-OK database=endpoint_stats previous=endpoint_stats_before_20260304T101500Z',
      'secret/db-credentials serverside-applied',
      'deployment.apps/flask-api rolled back',
      '10.244.0.12 - - [04/Mar/2026:10:00:00 +0000] "GET /api/stats?endpoint=/health HTTP/1.1" 200 17',
      'Waiting for token refresh; bearer authentication is enabled',
      'Normal  Pulled  pod/flask-api-6d8f  Container image "endpoint-stats/api:1.4" already present',
      '  secretName: db-credentials',
      '        - secretRef:',
      '            name: db-credentials',
      'http://localhost:8080/metrics and https://example.com:443/path@v2',
      'kind: Secret',
      'token_type=Bearer expires_in=3600',
    ];
    for (const line of lines) assert.equal(redact(line), line);
  });

  it('is fast enough for streamed output (100k lines; timing printed, not asserted)', () => {
    const r = new Redaction(['hunter22', 'another-secret-value', 'app-password-123']).text;
    const sample = [
      '2026-03-04T10:00:00Z INFO request GET /api/stats 200 in 3ms',
      'dr-restore: restoring table public.requests (1200 rows)',
      'PGPASSWORD=hunter22 pg_restore -j 4',
      '{"level":"info","msg":"connected","url":"postgres://app:hunter22@db:5432/stats"}',
    ];
    const lines = Array.from({ length: 100_000 }, (_, i) => sample[i % sample.length]!);
    let start = performance.now();
    let leaked = 0;
    for (const line of lines) if (r(line).includes('hunter22')) leaked++;
    const perLine = performance.now() - start;
    start = performance.now();
    const whole = r(lines.join('\n'));
    const oneText = performance.now() - start;
    console.log(`      redacting 100k lines: ${perLine.toFixed(0)} ms one line at a time, ${oneText.toFixed(0)} ms as one text`);
    assert.equal(leaked, 0);
    assert.ok(!whole.includes('hunter22'));
  });
});
