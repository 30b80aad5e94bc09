// The sandbox: a rehearsal of a production incident on loopback. A real PostgreSQL with a week of
// traffic and an hourly backup history, the Kubernetes API test server staged as production in
// trouble, a kubeconfig for it, and the environment an editor needs to run the plan against both.
// `npm run sandbox` (main.ts) opens VS Code on it; the end-to-end flows start it the same way.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startK8sApiServer, type K8sApiServer } from '../k8sApiServer/server.ts';
import { query, startPostgres, type PostgresServer } from '../lib/postgres.ts';
import { NAMESPACE, stageCluster, startTraffic, type Trouble } from './cluster.ts';
import { corruptDatabase, DATABASE, dropDatabase, loadHistory, type Backup } from './history.ts';
import { removeQuietly } from '../lib/codeServer.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The kubeconfig context: its name says what it is. */
export const SANDBOX_CONTEXT = 'dr-runbook-sandbox';

export interface SandboxOptions {
  readonly trouble: Trouble;
  /** Requests in the database's first week (default 50 000; fewer start faster). */
  readonly rows?: number;
  /** Time from a pod's scheduling to Ready (default 500 ms). */
  readonly podReadyDelayMs?: number;
  /** Where to report what is being done. */
  readonly progress?: (message: string) => void;
}

export interface Sandbox {
  readonly trouble: Trouble;
  /** The temporary folder everything lives in; gone after stop(). */
  readonly dir: string;
  readonly kubeconfigPath: string;
  readonly backupDir: string;
  /** Oldest first; the last is 10 minutes old. */
  readonly backups: readonly Backup[];
  readonly cluster: K8sApiServer;
  readonly postgres: PostgresServer;
  /** For the editor's process: KUBECONFIG, the PG* variables, DR_BACKUP_DIR and the secret values. */
  readonly env: NodeJS.ProcessEnv;
  /** User settings for the editor. */
  readonly settings: Record<string, unknown>;
  stop(): Promise<void>;
}

/** Whether the application's database answers with good data: it exists and is not the damaged one. */
async function databaseHealthy(postgres: PostgresServer, trouble: Trouble): Promise<boolean> {
  // Asked of the maintenance database, so that no session ever holds the application database
  // while a restore swaps it.
  try {
    const names = (await query<{ datname: string }>(postgres, 'postgres', 'SELECT datname FROM pg_database')).map(
      (r) => r.datname,
    );
    if (!names.includes(DATABASE)) return false;
    return trouble !== 'db-corrupted' || names.some((n) => n.startsWith(`${DATABASE}_pre_restore_`));
  } catch {
    return false;
  }
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const { trouble } = options;
  const progress = options.progress ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'dr-runbook-sandbox-'));
  const backupDir = join(dir, 'backups');
  mkdirSync(backupDir, { mode: 0o700 });
  const stops: (() => Promise<void> | void)[] = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await Promise.resolve(s()).catch(() => undefined);
    removeQuietly(dir);
  };
  try {
    progress('starting PostgreSQL on 127.0.0.1');
    const postgres = await startPostgres();
    stops.push(() => postgres.stop());
    progress(`loading a week of traffic and four hourly backups into ${DATABASE}`);
    const backups = await loadHistory(ROOT, postgres, backupDir, options.rows === undefined ? {} : { rows: options.rows });
    if (trouble === 'db-corrupted') await corruptDatabase(postgres);
    if (trouble === 'cluster-lost') await dropDatabase(postgres);

    progress('starting the Kubernetes API test server on 127.0.0.1');
    const cluster = await startK8sApiServer({
      podReadyDelayMs: options.podReadyDelayMs ?? 500,
      namespaceFinalizeDelayMs: 2000,
    });
    stops.push(() => cluster.stop());
    const secrets = {
      POSTGRES_PASSWORD: postgres.password,
      APP_DB_PASSWORD: randomBytes(18).toString('base64url'),
      REDIS_PASSWORD: randomBytes(18).toString('base64url'),
      FLASK_SECRET_KEY: randomBytes(32).toString('base64url'),
    };
    progress(`staging the cluster: ${trouble}`);
    await stageCluster(cluster, ROOT, trouble, secrets);
    let healthy = await databaseHealthy(postgres, trouble);
    const poll = setInterval(() => void databaseHealthy(postgres, trouble).then((h) => (healthy = h)), 2000);
    poll.unref();
    stops.push(() => clearInterval(poll));
    stops.push(startTraffic(cluster, () => healthy));

    const kubeconfigPath = await cluster.writeKubeconfig(join(dir, 'kubeconfig'), {
      context: SANDBOX_CONTEXT,
      namespace: NAMESPACE,
    });
    return {
      trouble,
      dir,
      kubeconfigPath,
      backupDir,
      backups,
      cluster,
      postgres,
      env: { KUBECONFIG: kubeconfigPath, ...postgres.env, PGDATABASE: DATABASE, DR_BACKUP_DIR: backupDir, ...secrets },
      settings: { 'drRunbook.backup.directory': backupDir },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
