import assert from 'node:assert/strict';
import { startPostgres, type PostgresServer } from '../../../scripts/lib/postgres.ts';
import { query, runScript, scriptEnv } from './scriptFixture.ts';

describe('schema.sql and seed.sh', function () {
  this.timeout(60_000);
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres();
    await query(server, 'postgres', 'CREATE DATABASE seeded');
  });
  after(async () => server?.stop());

  it('creates the schema (idempotently) and generates N realistic requests', async () => {
    const env = scriptEnv(server, 'seeded');
    const first = await runScript('seed.sh', ['--rows', '20000', '--days', '5'], env);
    assert.equal(first.exitCode, 0, first.all);
    assert.match(first.stdout, /added 20000 requests over 5 days/);
    const again = await runScript('seed.sh', ['--rows', '500'], env);
    assert.equal(again.exitCode, 0, again.all);

    const tables = await query<{ t: string }>(
      server,
      'seeded',
      "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );
    assert.deepEqual(
      tables.map((r) => r.t),
      ['endpoint_stats_hourly', 'endpoints', 'requests', 'schema_migrations'],
    );

    const [stats] = await query<Record<string, string>>(
      server,
      'seeded',
      `SELECT count(*) AS n,
              count(DISTINCT endpoint_id) AS endpoints,
              count(DISTINCT status_code) AS statuses,
              avg((status_code < 400)::int) AS ok_share,
              avg((status_code >= 500)::int) AS error_share,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99,
              extract(epoch FROM now() - max(requested_at)) AS newest_age_s,
              extract(epoch FROM now() - min(requested_at)) / 86400 AS oldest_days,
              count(DISTINCT user_agent) AS agents,
              min(latency_ms) AS min_latency
       FROM requests`,
    );
    assert.equal(Number(stats!.n), 20500);
    assert.ok(Number(stats!.endpoints) >= 15, `endpoints used: ${stats!.endpoints}`);
    assert.ok(Number(stats!.statuses) >= 8, `status codes: ${stats!.statuses}`);
    assert.ok(Number(stats!.ok_share) > 0.9 && Number(stats!.ok_share) < 0.98, `2xx/3xx share ${stats!.ok_share}`);
    assert.ok(Number(stats!.error_share) > 0.002 && Number(stats!.error_share) < 0.03, `5xx share ${stats!.error_share}`);
    assert.ok(Number(stats!.p50) > 15 && Number(stats!.p50) < 80, `p50 ${stats!.p50}`);
    assert.ok(Number(stats!.p99) > 3 * Number(stats!.p50), 'a long latency tail');
    assert.ok(Number(stats!.min_latency) >= 0);
    assert.ok(Number(stats!.newest_age_s) < 60, 'the newest request is recent');
    assert.ok(Number(stats!.oldest_days) > 4.9 && Number(stats!.oldest_days) < 7.1, `oldest ${stats!.oldest_days} days`);
    assert.ok(Number(stats!.agents) >= 5);

    const [hourly] = await query<{ total: string }>(
      server,
      'seeded',
      'SELECT sum(request_count) AS total FROM endpoint_stats_hourly',
    );
    assert.equal(Number(hourly!.total), 20500, 'hourly aggregates cover every request');
  });

  it('adds requests that end at --until: an hour of traffic three hours ago', async () => {
    await query(server, 'postgres', 'CREATE DATABASE history');
    const env = scriptEnv(server, 'history');
    const run = await runScript('seed.sh', ['--rows', '1200', '--days', '0.041667', '--until', '3 hours ago'], env);
    assert.equal(run.exitCode, 0, run.all);
    assert.match(run.stdout, /added 1200 requests over 0\.041667 days up to \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    const [span] = await query<{ newest_h: string; oldest_h: string }>(
      server,
      'history',
      `SELECT extract(epoch FROM now() - max(requested_at)) / 3600 AS newest_h,
              extract(epoch FROM now() - min(requested_at)) / 3600 AS oldest_h FROM requests`,
    );
    assert.ok(Number(span!.newest_h) > 2.99 && Number(span!.newest_h) < 3.02, `newest ${span!.newest_h} h ago`);
    assert.ok(Number(span!.oldest_h) > 3.95 && Number(span!.oldest_h) < 4.02, `oldest ${span!.oldest_h} h ago`);
  });

  it('refuses bad arguments and adds nothing', async () => {
    const env = scriptEnv(server, 'seeded');
    const before = await query<{ n: string }>(server, 'seeded', 'SELECT count(*) AS n FROM requests');
    for (const args of [
      ['--rows', 'many'],
      ['--days', '0'],
      ['--seed', '7'],
      ['--until', 'yesterday-ish'],
      ['--until', ''],
      ['--bogus'],
    ]) {
      const run = await runScript('seed.sh', args, env);
      assert.equal(run.exitCode, 2, args.join(' '));
      assert.match(run.stderr, /^seed\.sh: /m, args.join(' '));
    }
    assert.deepEqual(await query(server, 'seeded', 'SELECT count(*) AS n FROM requests'), before);
  });
});
