// npm run bench:restore [-- --rows N --runs N --jobs N]
//
// Times, on one generated data set of a few hundred MB and one dump of it:
//   - pg_restore -j 2       the physical limit on 2 cores (createdb + parallel restore),
//   - dr-restore.sh (ours)  the same archive with every safety step: checksum, archive check,
//                           fresh database, a role confined to it for the parallel restore and
//                           the checks, row counts checked against the backup's metadata, RPO
//                           evidence, ANALYZE, objects handed to the owner, the live database
//                           checked unchanged, swap by rename,
//   - psql                  a plain SQL dump of the same data restored with psql,
// in rotating order, and reports each median and its ratio to pg_restore -j 2 (target for ours:
// at most 1.15), plus the backup's time and size (dr-backup.sh). Results go to
// test-results/bench/restore.json (see results.ts). The PostgreSQL server is a throw-away one
// with durable (production-like) settings, started by scripts/lib/postgres.ts.
import { execa } from 'execa';
import { rmSync, statSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { query, startPostgres, type PostgresServer } from '../../scripts/lib/postgres.ts';
import { figure, writeResult } from './results.ts';
import { formatTable, median, seconds } from './stats.ts';

const repo = resolve(import.meta.dirname, '../..');
const scripts = join(repo, 'scripts/backup');
const DB = 'endpoint_stats';
const TARGET = 1.15;

const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: process.env.BENCH_ROWS ?? '1500000' },
    runs: { type: 'string', default: process.env.BENCH_RUNS ?? '5' },
    jobs: { type: 'string', default: '2' },
  },
});
const rows = Number(opts.rows);
const runs = Number(opts.runs);
const jobs = Number(opts.jobs);

function log(message: string): void {
  process.stdout.write(`bench: ${message}\n`);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

function envFor(server: PostgresServer, database = DB): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  return { ...env, ...server.env, PGDATABASE: database };
}

async function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const r = await execa(cmd, args, { env, extendEnv: false, reject: false, all: true });
  if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.exitCode}):\n${r.all}`);
  return r.all;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'dr-bench-'));
  const started = Date.now();
  log(`starting PostgreSQL (durable settings) in ${work}`);
  const server = await startPostgres({ durable: true });
  try {
    const env = envFor(server);
    const [version] = await query(server, 'postgres', 'SHOW server_version');

    log(`generating ${rows.toLocaleString('en')} requests`);
    await query(server, 'postgres', `CREATE DATABASE ${DB}`);
    const seedSeconds = await timed(() => run('bash', [join(scripts, 'seed.sh'), '--rows', String(rows), '--days', '14'], env));
    await query(server, DB, 'VACUUM ANALYZE');
    const [size] = await query(server, DB, 'SELECT pg_database_size(current_database())::bigint AS bytes');
    const databaseBytes = Number(size!.bytes);
    log(`database: ${(databaseBytes / 1e6).toFixed(0)} MB, generated in ${seedSeconds.toFixed(1)} s`);

    log('backup with dr-backup.sh');
    const backupDir = join(work, 'backups');
    let backupOut = '';
    const backupSeconds = await timed(async () => {
      backupOut = await run('bash', [join(scripts, 'dr-backup.sh'), '--dir', backupDir, '--keep', '2'], env);
    });
    const dump = /^BACKUP-OK file=(\S+)/m.exec(backupOut)![1]!;
    const dumpBytes = statSync(dump).size;
    log(`backup: ${backupSeconds.toFixed(1)} s, ${(dumpBytes / 1e6).toFixed(1)} MB`);

    log('plain SQL dump of the same data for the psql restore');
    const plain = join(work, 'plain.sql');
    await run('pg_dump', ['-Fp', '-d', DB, '-f', plain], env);

    const methods = {
      'pg_restore -j 2': async () => {
        await query(server, 'postgres', 'CREATE DATABASE bench_pg_restore TEMPLATE template0');
        await run('pg_restore', ['-j', String(jobs), '--exit-on-error', '-d', 'bench_pg_restore', dump], env);
      },
      'dr-restore.sh (ours)': async () => {
        const out = await run('bash', [join(scripts, 'dr-restore.sh'), '--jobs', String(jobs), dump], env);
        if (!/^RESTORE-OK /m.test(out)) throw new Error(`dr-restore.sh did not finish:\n${out}`);
      },
      'psql (plain SQL)': async () => {
        await query(server, 'postgres', 'CREATE DATABASE bench_psql TEMPLATE template0');
        await run(
          'psql',
          ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-d', 'bench_psql', '-f', plain],
          envFor(server, 'bench_psql'),
        );
      },
    } as const;
    type Method = keyof typeof methods;
    const names = Object.keys(methods) as Method[];
    const times: Record<Method, number[]> = { 'pg_restore -j 2': [], 'dr-restore.sh (ours)': [], 'psql (plain SQL)': [] };

    const cleanUp = async () => {
      const dbs = await query(
        server,
        'postgres',
        "SELECT datname FROM pg_database WHERE datname LIKE 'bench\\_%' OR datname LIKE '%\\_pre\\_restore\\_%'",
      );
      for (const { datname } of dbs) await query(server, 'postgres', `DROP DATABASE "${String(datname)}" WITH (FORCE)`);
      await query(server, 'postgres', 'CHECKPOINT');
    };

    for (let i = 0; i < runs; i++) {
      // Rotate the order so no method always runs first (cold) or last.
      const order = names.map((_, k) => names[(k + i) % names.length]!);
      for (const name of order) {
        await cleanUp();
        const t = await timed(methods[name]);
        times[name].push(t);
        log(`run ${i + 1}/${runs} ${name}: ${t.toFixed(1)} s`);
      }
    }
    await cleanUp();

    // What our safety steps cost, measured one by one on the same data.
    log('measuring the safety steps one by one');
    const steps = {
      'sha256 of the archive': () =>
        run(
          'sh',
          ['-c', 'if command -v openssl >/dev/null; then openssl dgst -sha256 -r "$1"; else sha256sum "$1"; fi', 'sha256', dump],
          env,
        ),
      'pg_restore --list': () => run('pg_restore', ['--list', dump], env),
      'exact row counts': () =>
        query(
          server,
          DB,
          'SELECT (SELECT count(*) FROM requests), (SELECT count(*) FROM endpoint_stats_hourly), (SELECT count(*) FROM endpoints)',
        ),
      ANALYZE: () => query(server, DB, 'ANALYZE'),
    };
    const stepTimes: Record<string, number> = {};
    for (const [name, fn] of Object.entries(steps)) {
      const samples: number[] = [];
      for (let i = 0; i < 3; i++) samples.push(await timed(fn));
      stepTimes[name] = median(samples);
    }

    const base = median(times['pg_restore -j 2']);
    const ours = median(times['dr-restore.sh (ours)']);
    const ratio = ours / base;
    const table = formatTable(
      ['method', ...times['pg_restore -j 2'].map((_, i) => `run ${i + 1}`), 'median', '× pg_restore -j 2'],
      names.map((name) => [
        name,
        ...times[name].map(seconds),
        seconds(median(times[name])),
        (median(times[name]) / base).toFixed(2),
      ]),
    );

    const cpuCount = availableParallelism();
    process.stdout.write(
      [
        '',
        `restore benchmark: ${rows.toLocaleString('en')} requests, database ${(databaseBytes / 1e6).toFixed(0)} MB, PostgreSQL ${String(version!.server_version)}, ${cpuCount} CPUs (${cpus()[0]?.model ?? '?'})`,
        `backup (dr-backup.sh): ${seconds(backupSeconds)}, ${(dumpBytes / 1e6).toFixed(1)} MB custom-format archive (${((dumpBytes / databaseBytes) * 100).toFixed(0)}% of the database)`,
        '',
        table,
        '',
        `ours vs pg_restore -j 2: ${ratio.toFixed(3)} (target ≤ ${TARGET}): ${ratio <= TARGET ? 'met' : 'NOT met'}`,
        `safety steps measured alone: ${Object.entries(stepTimes)
          .map(([k, v]) => `${k} ${seconds(v)}`)
          .join(', ')}`,
        `total bench time: ${seconds((Date.now() - started) / 1000)}`,
        '',
      ].join('\n'),
    );

    const file = writeResult({
      bench: 'restore',
      seconds: (Date.now() - started) / 1000,
      options: { rows, runs, jobs },
      figures: [
        figure({
          id: 'restore.seconds',
          label: `restore ${(databaseBytes / 1e6).toFixed(0)} MB (dr-restore.sh)`,
          value: ours,
          unit: 's',
          baseline: { label: `pg_restore -j ${jobs}`, value: base },
          target: { text: `<= ${TARGET}x pg_restore`, met: ratio <= TARGET },
        }),
      ],
      details: {
        rows,
        runs,
        jobs,
        cpus: cpuCount,
        postgres: version!.server_version as string,
        database_bytes: databaseBytes,
        seed_seconds: seedSeconds,
        backup: { seconds: backupSeconds, bytes: dumpBytes, format: 'custom' },
        restore_seconds: times,
        median_seconds: Object.fromEntries(names.map((n) => [n, median(times[n])])),
        ratio_to_pg_restore: Object.fromEntries(names.map((n) => [n, median(times[n]) / base])),
        target_ratio: TARGET,
        target_met: ratio <= TARGET,
        safety_step_seconds: stepTimes,
      },
    });
    log(`results written to ${file}`);
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
