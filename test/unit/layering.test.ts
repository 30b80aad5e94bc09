import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Lints a throw-away file at `path` (inside the project, so the real config and type info apply). */
async function lintProbe(path: string, source: string, rules = ['no-restricted-imports']): Promise<string[]> {
  const file = `${root}${path}`;
  writeFileSync(file, source);
  try {
    const [result] = await new ESLint({ cwd: root }).lintFiles([file]);
    return result!.messages.filter((m) => rules.includes(m.ruleId ?? '')).map((m) => m.message);
  } finally {
    rmSync(file, { force: true });
  }
}

describe('layering, enforced by lint', function () {
  this.timeout(120_000);

  it('fails when src/core imports vscode or a client library', async () => {
    const messages = await lintProbe(
      'src/core/layeringProbe.ts',
      [
        "import * as vscode from 'vscode';",
        "import { KubeConfig } from '@kubernetes/client-node';",
        "import { Client } from 'pg';",
        "import { execa } from 'execa';",
        'export const probe = [vscode, KubeConfig, Client, execa];',
        '',
      ].join('\n'),
    );
    assert.equal(messages.length, 4, messages.join('\n'));
    assert.match(messages[0]!, /src\/core never imports vscode/);
    assert.match(messages[1]!, /never imports a client library/);
  });

  it('fails when src/adapters imports vscode', async () => {
    const messages = await lintProbe(
      'src/adapters/layeringProbe.ts',
      "import * as vscode from 'vscode';\nexport const probe = vscode;\n",
    );
    assert.equal(messages.length, 1);
  });

  it('lets src/extension import vscode', async () => {
    assert.deepEqual(
      await lintProbe('src/extension/layeringProbe.ts', "import * as vscode from 'vscode';\nexport const probe = vscode;\n"),
      [],
    );
  });

  it('keeps trust in one place: no other extension module reads isTrusted or loads the adapters', async () => {
    const messages = await lintProbe(
      'src/extension/run/trustProbe.ts',
      [
        "import * as vscode from 'vscode';",
        "import { connectCluster } from '../../adapters/kubernetes/clusterClient.js';",
        'export const probe = vscode.workspace.isTrusted ? connectCluster : undefined;',
        '',
      ].join('\n'),
      ['no-restricted-imports', 'no-restricted-syntax'],
    );
    assert.equal(messages.length, 2, messages.join('\n'));
    assert.ok(
      messages.every((m) => /src\/extension\/trust\.ts/.test(m)),
      messages.join('\n'),
    );
  });
});
