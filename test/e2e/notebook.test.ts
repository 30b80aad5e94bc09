import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { makeTempDir } from '../../scripts/lib/codeServer.js';
import { startK8sApiServer, type K8sApiServer } from '../../scripts/k8sApiServer/server.js';
import { normalise, openWorkbench, screenshotOnFailure, type Workbench } from './workbench.js';

const TEST_NS = 'endpoint-stats-dr-test';

/** Runs a command from the command palette by its title, as a person types it. */
async function fromPalette(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.keyboard.type(title);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().click();
}

/**
 * Waits until the notebook shows text matching `pattern`. Outputs and rendered markdown cells are
 * drawn in the notebook's webview (nested frames; markdown inside shadow roots, which locators
 * pierce), so every frame is searched.
 */
async function shownInNotebook(page: Page, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      const found = await frame
        .getByText(pattern)
        .count()
        .catch(() => 0); // a frame may go away while it is read
      if (found > 0) return;
    }
    if (Date.now() > deadline) throw new Error(`the notebook does not show ${String(pattern)}`);
    await page.waitForTimeout(250);
  }
}

/** The file's text once it matches `pattern` (a save lands on disk a moment after it is asked for). */
async function savedText(path: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = readFileSync(path, 'utf8');
    if (pattern.test(text) || Date.now() > deadline) return text;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Runs a code cell as a person does: click into it, then its Execute Cell button. */
async function executeCell(page: Page, cell: Locator): Promise<void> {
  await cell.locator('.monaco-editor').first().click();
  await cell.locator('.run-button-container .action-label').first().click();
  // The first run may ask which kernel to use; the DR Runbook controller is the one.
  const picker = page.locator('.quick-input-widget', { hasText: /Select (Notebook )?Kernel/i });
  const asked = await picker.waitFor({ timeout: 3_000 }).then(
    () => true,
    () => false,
  );
  if (asked) await page.locator('.quick-input-list .monaco-list-row', { hasText: 'DR Runbook' }).first().click();
}

describe('a runbook notebook, like a person runs a drill', () => {
  let cluster: K8sApiServer;
  let workbench: Workbench;
  before(async () => {
    cluster = await startK8sApiServer({ podReadyDelayMs: 100, namespaceFinalizeDelayMs: 200 });
    const kubeconfig = await cluster.writeKubeconfig(join(makeTempDir('kube-'), 'kubeconfig'), {
      context: 'dr-sandbox',
      namespace: 'endpoint-stats',
    });
    workbench = await openWorkbench({ env: { KUBECONFIG: kubeconfig } });
  });
  screenshotOnFailure(() => workbench);
  after(async () => {
    await workbench?.close();
    await cluster?.stop();
  });

  it('"Start DR Drill" opens the drill notebook; its command cells run against the cluster, show their output, and saving keeps it in the file', async () => {
    const { page } = workbench;
    await page.setViewportSize({ width: 1400, height: 1400 }); // tall enough for the whole drill in one screenshot
    await page.locator('.activitybar [aria-label^="DR Runbook"]').first().waitFor({ timeout: 120_000 });
    await fromPalette(page, 'DR Runbook: Start DR Drill');
    const notebook = page.locator('.notebookOverlay');
    await notebook.locator('.code-cell-row').first().waitFor({ timeout: 60_000 });
    const tab = normalise(await page.locator('.tab.active').innerText()).replace(/\s+/g, '');
    assert.match(tab, /^\d{4}-\d\d-\d\d-dr-drill\.runbook\.md/);

    const create = notebook.locator('.code-cell-row', { hasText: `kubectl create namespace ${TEST_NS}` });
    await executeCell(page, create);
    await shownInNotebook(page, new RegExp(`Namespace ${TEST_NS} created\\.`));
    await create.locator('.cell-status-item .codicon-notebook-state-success').waitFor({ timeout: 30_000 });
    assert.ok(cluster.get('v1', 'Namespace', undefined, TEST_NS), 'the namespace exists on the cluster');

    const remove = notebook.locator('.code-cell-row', { hasText: `kubectl delete namespace ${TEST_NS}` });
    await executeCell(page, remove);
    await shownInNotebook(page, new RegExp(`Namespace ${TEST_NS} is gone\\.`));
    await remove.locator('.cell-status-item .codicon-notebook-state-success').waitFor({ timeout: 30_000 });

    // Both steps are ticked in the notebook as drawn, and no cell runs any more.
    await shownInNotebook(page, /\[x\] 2\. Create a namespace for the test/, 30_000);
    await shownInNotebook(page, /\[x\] 7\. Remove the test environment/, 30_000);
    await notebook.locator('.notebook-toolbar-container', { hasText: 'Run All' }).waitFor({ timeout: 30_000 });

    // Saved (code-server also saves by itself after a second: files.autoSave is afterDelay on the web).
    await page.keyboard.press('Control+S');
    const runs = join(workbench.workspace, '.dr-runs');
    const file = readdirSync(runs).find((f) => f.endsWith('-dr-drill.runbook.md'));
    assert.ok(file, `the drill notebook is under .dr-runs/: ${readdirSync(runs).join(', ')}`);
    const saved = await savedText(join(runs, file), /Namespace endpoint-stats-dr-test is gone\.\n```\n<!-- dr-runbook:/);
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 30_000 });
    await page.mouse.move(1300, 1300); // no hover tooltip over the cells
    await page.waitForTimeout(500);
    await workbench.screenshot('notebook-executed.png');
    assert.match(saved, /- \[x\] 2\. Create a namespace for the test/);
    assert.match(saved, /- \[x\] 7\. Remove the test environment/);
    assert.match(
      saved,
      new RegExp(
        '```sh\\nkubectl create namespace endpoint-stats-dr-test\\n```\\n\\n```output\\n[^`]*Namespace endpoint-stats-dr-test created\\.\\n```\\n<!-- dr-runbook: \\{"state":"succeeded",',
      ),
    );
    assert.match(
      saved,
      /```output\n[^`]*Namespace endpoint-stats-dr-test is gone\.\n```\n<!-- dr-runbook: \{"state":"succeeded",/,
    );
    assert.equal(cluster.get('v1', 'Namespace', undefined, TEST_NS), undefined, 'the test environment is removed');
  });
});
