// `npm run sandbox`: the whole product on loopback, for a rehearsal. Builds the extension, starts
// the sandbox (PostgreSQL with a backup history, the Kubernetes API test server staged as
// production in trouble) and opens this repository in VS Code with the extension loaded and
// KUBECONFIG and the PG* variables pointing at the sandbox. Prints one URL; Ctrl-C stops it all.
//
//   npm run sandbox [-- --trouble db-corrupted|cluster-lost|bad-deploy] [--port 8080] [--rows N] [--editor code-server|code]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
// @ts-expect-error: a plain ES module of the dev scripts, without types
import { ensureDebianPackages } from '../dev/prerequisites.mjs';
import { ensureCodeServer, installExtensions, startCodeServer } from '../lib/codeServer.ts';
import { isTrouble, TROUBLES, type Trouble } from './cluster.ts';
import { ROOT, SANDBOX_CONTEXT, startSandbox, type Sandbox } from './sandbox.ts';

const USAGE = `Usage: npm run sandbox [-- options]

  --trouble NAME   what is wrong with production (default db-corrupted):
${Object.entries(TROUBLES)
  .map(([name, what]) => `                     ${name.padEnd(13)} ${what}`)
  .join('\n')}
  --port N         the editor's port on 127.0.0.1 (default 8080, or a free one when taken)
  --rows N         requests in the database's first week (default 50000)
  --editor NAME    code-server (VS Code in the browser; the default) or code (a desktop VS Code on the PATH)
  -h, --help       this text`;

const started = Date.now();
const say = (message: string): void =>
  console.log(`[sandbox ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`);

function fail(message: string): never {
  console.error(`sandbox: ${message}`);
  process.exit(2);
}

function options(): { trouble: Trouble; port: number | undefined; rows: number | undefined; editor: 'code-server' | 'code' } {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        trouble: { type: 'string', default: 'db-corrupted' },
        port: { type: 'string' },
        rows: { type: 'string' },
        editor: { type: 'string', default: 'code-server' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!isTrouble(values.trouble)) fail(`unknown --trouble "${values.trouble}": choose ${Object.keys(TROUBLES).join(', ')}`);
  const whole = (name: string, text: string | undefined, max: number): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > max) fail(`--${name} must be a whole number from 1 to ${max}`);
    return n;
  };
  if (values.editor !== 'code-server' && values.editor !== 'code') fail('--editor must be code-server or code');
  return {
    trouble: values.trouble,
    port: whole('port', values.port, 65_535),
    rows: whole('rows', values.rows, 50_000_000),
    editor: values.editor,
  };
}

async function portFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A desktop VS Code on the sandbox, with this checkout as a development extension. */
function openDesktop(sandbox: Sandbox): ChildProcess {
  const userData = join(sandbox.dir, 'code-user-data');
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(sandbox.settings, null, 2));
  return spawn(
    'code',
    [
      '--new-window',
      '--wait',
      '--user-data-dir',
      userData,
      '--extensions-dir',
      join(sandbox.dir, 'code-extensions'),
      `--extensionDevelopmentPath=${ROOT}`,
      ROOT,
    ],
    { env: { ...process.env, ...sandbox.env }, stdio: 'ignore' },
  );
}

async function main(): Promise<void> {
  const opts = options();
  if (opts.editor === 'code' && spawnSync('sh', ['-c', 'command -v code']).status !== 0)
    fail('--editor code needs a desktop VS Code ("code") on the PATH');
  ensureDebianPackages(opts.editor === 'code' ? ['postgresql'] : ['postgresql', 'libkrb5-dev'], 'The sandbox');
  say('building the extension');
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/dev/build.mjs')], { stdio: 'inherit' });
  if (build.status !== 0) fail('the build failed (see above)');
  if (opts.editor === 'code-server') {
    say('checking code-server in .cache/ (the first run installs it: about 4 minutes, once)');
    await ensureCodeServer();
  }

  // Settled before anything starts, so that a refusal leaves nothing behind.
  const wanted = opts.port ?? 8080;
  const port = (await portFree(wanted)) ? wanted : opts.port === undefined ? undefined : fail(`port ${wanted} is taken`);

  const sandbox = await startSandbox({ trouble: opts.trouble, ...(opts.rows ? { rows: opts.rows } : {}), progress: say });
  let stopping = false;
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async (code = 0): Promise<never> => {
    if (!stopping) {
      stopping = true;
      say('stopping');
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
      await sandbox.stop();
      say(`stopped; removed ${sandbox.dir}`);
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll());
  process.on('SIGTERM', () => void stopAll());

  try {
    let url: string;
    if (opts.editor === 'code') {
      const code = openDesktop(sandbox);
      code.on('exit', () => void stopAll());
      cleanups.push(() => Promise.resolve(void code.kill()));
      url = 'a desktop VS Code window';
    } else {
      const extensionsDir = join(sandbox.dir, 'extensions');
      mkdirSync(extensionsDir);
      installExtensions(extensionsDir, [ROOT]);
      const server = await startCodeServer({
        extensionsDir,
        env: sandbox.env,
        settings: sandbox.settings,
        ...(port ? { port } : {}),
      });
      cleanups.push(() => server.stop());
      server.child.on('exit', () => {
        if (!stopping) {
          console.error('sandbox: code-server stopped unexpectedly');
          void stopAll(1);
        }
      });
      url = `${server.url}/?folder=${encodeURIComponent(ROOT)}`;
    }
    const newest = sandbox.backups.at(-1)!;
    console.log(`
DR Runbook sandbox: ${sandbox.trouble}: ${TROUBLES[sandbox.trouble]}.
  kubeconfig   ${sandbox.kubeconfigPath} (context ${SANDBOX_CONTEXT}; kubectl works with it too)
  PostgreSQL   127.0.0.1:${sandbox.postgres.port}, database endpoint_stats (PG* variables set in the editor)
  backups      ${sandbox.backupDir}, newest ${newest.file.split('/').at(-1)} (10 minutes old)
  workspace    ${ROOT}

Open ${url}
then the DR Runbook view, and "DR Runbook: Run DR Scenario" from the command palette.
Ctrl-C stops everything and removes the sandbox's files.`);
  } catch (error) {
    console.error(`sandbox: ${(error as Error).message}`);
    await stopAll(1);
  }
}

void main().catch((error: unknown) => {
  console.error(`sandbox: ${(error as Error).message}`);
  process.exit(1);
});
