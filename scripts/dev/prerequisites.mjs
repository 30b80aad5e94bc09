// What the tests need from the machine besides node_modules, and how to get it on Debian:
// PostgreSQL (a real server the tests start), Chromium (drives the VS Code workbench),
// libkrb5-dev (code-server's kerberos module builds against it), and code-server itself,
// installed once into the git-ignored .cache/.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const APT_PACKAGES = ['postgresql', 'chromium', 'libkrb5-dev', 'shellcheck'];

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

function postgresBin() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  return readdirSync(base)
    .map((v) => `${base}/${v}/bin`)
    .find((dir) => existsSync(`${dir}/initdb`));
}

/** Installs the Debian packages of `packages` that are missing (as root; otherwise says what to run and exits). */
export function ensureDebianPackages(packages, who = 'The tests') {
  const missing = packages.filter((pkg) => !installed(pkg));
  if (!missing.length) return;
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    console.error(`${who} need these Debian packages: ${missing.join(', ')}.\nInstall them with:\n  sudo sh -c '${command}'`);
    process.exit(1);
  }
  console.log(`Installing Debian packages ${who.toLowerCase()} need: ${missing.join(', ')} ...`);
  execFileSync('sh', ['-c', command], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

export async function ensurePrerequisites() {
  ensureDebianPackages(APT_PACKAGES);
  if (!postgresBin()) {
    console.error('PostgreSQL server binaries (initdb) were not found under /usr/lib/postgresql/*/bin.');
    process.exit(1);
  }
  const script = fileURLToPath(new URL('./install-code-server.sh', import.meta.url));
  execFileSync('bash', [script], { stdio: 'inherit' });
}
