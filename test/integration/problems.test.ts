import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activeExtension, eventually, workspaceRoot } from './support.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function diagnosticsFor(uri: vscode.Uri, match: RegExp): Promise<vscode.Diagnostic> {
  return eventually(`a DR Runbook problem matching ${match} on ${uri.fsPath}`, () =>
    vscode.languages.getDiagnostics(uri).find((d) => d.source === 'DR Runbook' && match.test(d.message)),
  );
}

/** Replaces a file's text for the length of `body`, then puts it back. */
async function withFileText(uri: vscode.Uri, edit: (text: string) => string, body: () => Promise<void>): Promise<void> {
  const original = decoder.decode(await vscode.workspace.fs.readFile(uri));
  await vscode.workspace.fs.writeFile(uri, encoder.encode(edit(original)));
  try {
    await body();
  } finally {
    await vscode.workspace.fs.writeFile(uri, encoder.encode(original));
  }
}

describe('problems in the plan and its manifests', () => {
  before(async () => {
    await activeExtension();
  });

  it('marks a manifest path with a typo at its line and column in the plan', async () => {
    const plan = vscode.Uri.joinPath(workspaceRoot(), 'DR-PLAN.md');
    await withFileText(
      plan,
      (text) => text.replace('kubectl apply -f k8s/cache/redis.yaml', 'kubectl apply -f k8s/cache/rediss.yaml'),
      async () => {
        const lines = decoder.decode(await vscode.workspace.fs.readFile(plan)).split('\n');
        const line = lines.findIndex((l) => l.includes('k8s/cache/rediss.yaml'));
        const problem = await diagnosticsFor(plan, /rediss\.yaml does not exist/);
        assert.equal(problem.severity, vscode.DiagnosticSeverity.Error);
        assert.equal(problem.range.start.line, line);
        assert.equal(problem.range.start.character, lines[line]!.indexOf('k8s/cache/rediss.yaml'));
        assert.equal(problem.range.end.character - problem.range.start.character, 'k8s/cache/rediss.yaml'.length);
      },
    );
    await eventually('the typo problem to go away', () =>
      vscode.languages.getDiagnostics(plan).some((d) => /rediss/.test(d.message)) ? undefined : true,
    );
  });

  it('marks broken YAML in a manifest at its line', async () => {
    const manifest = vscode.Uri.joinPath(workspaceRoot(), 'k8s/cache/redis.yaml');
    await withFileText(
      manifest,
      (text) => `${text.trimEnd()}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\n  labels: [unclosed\n`,
      async () => {
        const lines = decoder.decode(await vscode.workspace.fs.readFile(manifest)).split('\n');
        const brokenLine = lines.findIndex((l) => l.includes('[unclosed'));
        const problem = await diagnosticsFor(manifest, /./);
        assert.equal(problem.severity, vscode.DiagnosticSeverity.Error);
        assert.ok(
          problem.range.start.line >= brokenLine && problem.range.start.line <= brokenLine + 1,
          `problem at line ${problem.range.start.line + 1}, broken YAML at line ${brokenLine + 1}: ${problem.message}`,
        );
      },
    );
    await eventually('the YAML problem to go away', () =>
      vscode.languages.getDiagnostics(manifest).length === 0 ? true : undefined,
    );
  });
});
