// A new user's first run, as the marketplace would bring it: `npm run package` builds the .vsix,
// code-server installs it into a fresh profile, and the folder opened holds only another team's
// plan (Invoice Hub: another app, another namespace, manifests in deploy/, no k8s/ folder). The
// user reads the extension's details page, follows the walkthrough, picks a context of the
// kubeconfig and previews an apply step against a Kubernetes API test server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { ROOT } from '../../scripts/lib/codeServer.js';
import { startK8sApiServer, type K8sApiServer } from '../../scripts/k8sApiServer/server.js';
import { normalise, openWorkbench, palette, screenshotOnFailure, type Workbench } from './workbench.js';

const run = promisify(execFile);
const FIXTURE = join(ROOT, 'test/e2e/fixtures/invoice-hub');
const VSIX = join(ROOT, 'dr-runbook.vsix');

/**
 * Clicks a walkthrough button that opens a quick pick and returns the pick's row `row` once the
 * pick has stayed open for a second. The walkthrough focuses its step once its slide has settled,
 * and a quick pick that loses focus closes: so, as a person whose picker vanished would, click the
 * button again (at most three times).
 */
async function pickerFromWalkthrough(page: Page, button: Locator, row: string): Promise<Locator> {
  const item = page.locator('.quick-input-list .monaco-list-row', { hasText: row }).first();
  for (let attempt = 1; ; attempt++) {
    await button.click();
    const opened = await item.waitFor({ state: 'visible', timeout: 10_000 }).then(
      () => true,
      () => false,
    );
    if (opened) {
      await page.waitForTimeout(1_000);
      if (await item.isVisible()) return item;
    }
    if (attempt === 3) throw new Error(`the quick pick the walkthrough's button opens did not stay open with "${row}"`);
  }
}

/** The width of an image once it has loaded (0 when it failed). */
function naturalWidth(image: Locator): Promise<number> {
  return image.evaluate(
    (img: { complete: boolean; naturalWidth: number; addEventListener(type: string, f: () => void): void }) =>
      new Promise<number>((resolve) => {
        if (img.complete) resolve(img.naturalWidth);
        img.addEventListener('load', () => resolve(img.naturalWidth));
        img.addEventListener('error', () => resolve(0));
      }),
  );
}

/** The README as the extension's details page shows it: a webview laid over the editor. */
function readmeFrame(page: Page): FrameLocator {
  return page.locator('iframe.webview').first().contentFrame().frameLocator('#active-frame');
}

describe('marketplace: the packaged .vsix in a fresh profile, on another team’s plan', () => {
  let server: K8sApiServer | undefined;
  let workbench: Workbench | undefined;
  let dir: string | undefined;

  before(async function () {
    this.timeout(600_000);
    // What a user downloads: the production bundle, packaged and checked (every README image inside).
    await run('npm', ['run', 'package'], { cwd: ROOT });
    server = await startK8sApiServer({ podReadyDelayMs: 50 });
    // Invoice Hub as an older release runs in `billing`: its Service is gone, its Deployment runs one replica.
    server.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'billing' } });
    for (const file of ['config.yaml', 'invoice-api.yaml'])
      for (const doc of parseAllDocuments(readFileSync(join(FIXTURE, 'deploy/manifests', file), 'utf8'))) {
        const object = doc.toJS() as { kind: string; metadata: { namespace?: string }; spec?: { replicas?: number } };
        if (object.kind === 'Service') continue;
        if (object.spec?.replicas) object.spec.replicas = 1;
        object.metadata.namespace = 'billing';
        server.apply(object, 'dr-runbook');
      }
    // A kubeconfig with two contexts on that server: a staging one (current) and one named like production.
    dir = mkdtempSync(join(tmpdir(), 'dr-runbook-marketplace-'));
    const kubeconfig = parse(server.kubeconfig({ context: 'staging-eu' })) as {
      contexts: { name: string; context: Record<string, unknown> }[];
    };
    kubeconfig.contexts.push({ name: 'prod-eu', context: { ...kubeconfig.contexts[0]!.context } });
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, stringify(kubeconfig), { mode: 0o600 });
    workbench = await openWorkbench({
      vsix: VSIX,
      workspaceFrom: FIXTURE,
      env: { KUBECONFIG: kubeconfigPath },
      settings: { 'workbench.welcomePage.walkthroughs.openOnInstall': false },
    });
  });
  screenshotOnFailure(() => workbench);
  after(async () => {
    await workbench?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the README with its images and the icon on the extension’s details page', async function () {
    this.timeout(180_000);
    const { page } = workbench!;
    await page.locator('.activitybar [aria-label^="Extensions"]').first().click();
    await page.locator('.extensions-viewlet .monaco-list-row', { hasText: 'DR Runbook' }).first().click();
    const icon = page.locator('.extension-editor .header .icon-container img.icon');
    await icon.waitFor({ timeout: 60_000 });
    const readme = readmeFrame(page);
    await readme.locator('h2', { hasText: 'Bring your own plan' }).waitFor({ timeout: 60_000 });
    // Every image of the README, and the icon, loaded from the installed package.
    assert.ok((await naturalWidth(icon)) > 0, 'the icon did not load');
    // The README's screenshots are in the package (npm run package checks it). VS Code's details
    // page shows only https images (its sanitizer drops relative and data: sources, its CSP is
    // `img-src https: data:`), so offline each shows its alternative text, which must say what it shows.
    const alts = await readme.locator('img').evaluateAll((images) => images.map((i) => i.getAttribute('alt') ?? ''));
    assert.deepEqual(
      alts.map((a) => a.split(':')[0]),
      ['The DR Runbook view', 'The diff editor', 'The context picker', 'The Getting Started walkthrough'],
    );
    await readme.locator('h1').first().scrollIntoViewIfNeeded();
    await workbench!.screenshot('marketplace-details.png');
    await page.keyboard.press('Control+K');
    await page.keyboard.press('W'); // close the editors
  });

  it('the empty view names the path it tried; the walkthrough chooses the plan', async function () {
    this.timeout(180_000);
    const { page } = workbench!;
    await page.locator('.activitybar [aria-label^="DR Runbook"]').first().click();
    const view = page.locator('.part.sidebar');
    await view.getByText(/No DR plan at .*DR-PLAN\.md/).waitFor({ timeout: 60_000 });
    assert.doesNotMatch(normalise(await view.innerText()), /`/);
    await workbench!.screenshot('marketplace-empty-view.png');

    await palette(page, 'Welcome: Open Walkthrough...');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get Started with DR Runbook' }).first().click();
    const walkthrough = page.locator('.gettingStartedContainer');
    await walkthrough.getByText('Open or create your DR plan').first().waitFor({ timeout: 60_000 });
    await walkthrough.getByText('Open or create your DR plan').first().click();
    await workbench!.screenshot('walkthrough.png');
    const choose = walkthrough.locator('.monaco-button', { hasText: 'Choose DR Plan' }).first();
    await (await pickerFromWalkthrough(page, choose, 'runbooks/disaster-recovery.md')).click();
    // The plan loads: its scenarios in the view, the plan open in an editor.
    const rows = page.locator('.pane-body .monaco-list-row');
    await rows.filter({ hasText: 'Half-yearly drill' }).waitFor({ timeout: 60_000 });
    const labels = (await rows.locator('.label-name').allInnerTexts()).map((t) => normalise(t).trim());
    assert.deepEqual(labels, ['Lost cluster', 'Bad release', 'Half-yearly drill']);
    await page.locator('.tabs-container .tab', { hasText: 'disaster-recovery.md' }).waitFor({ timeout: 30_000 });
  });

  it('the walkthrough’s context step lists the kubeconfig’s contexts, production marked', async function () {
    this.timeout(180_000);
    const { page } = workbench!;
    await palette(page, 'Welcome: Open Walkthrough...');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get Started with DR Runbook' }).first().click();
    const walkthrough = page.locator('.gettingStartedContainer');
    await walkthrough.getByText('Pick the cluster context').first().click();
    const pick = walkthrough.locator('.monaco-button', { hasText: 'Pick Cluster Context' }).first();
    await pickerFromWalkthrough(page, pick, 'prod-eu');
    const picker = page.locator('.quick-input-widget', { hasText: 'DR Runbook: Pick Cluster Context' });
    const prod = picker.locator('.monaco-list-row', { hasText: 'prod-eu' });
    assert.match(normalise(await prod.innerText()), /PRODUCTION/);
    assert.doesNotMatch(
      normalise(await picker.locator('.monaco-list-row', { hasText: 'staging-eu' }).first().innerText()),
      /PRODUCTION/,
    );
    await workbench!.screenshot('context-picker.png');
    await picker.locator('.monaco-list-row', { hasText: 'staging-eu' }).first().click();
    await page
      .locator('.notifications-toasts', { hasText: 'DR Runbook acts on the context "staging-eu"' })
      .waitFor({ timeout: 30_000 });
    // The walkthrough's pictures read in a dark theme too.
    await palette(page, 'Preferences: Color Theme');
    await page.keyboard.type('Dark Modern');
    await page.keyboard.press('Enter');
    await page.locator('.monaco-workbench.vs-dark').waitFor({ timeout: 30_000 });
    await walkthrough.getByText('Check before you change').first().click();
    await page.waitForTimeout(1000); // the step's picture fades in
    await workbench!.screenshot('walkthrough-dark.png');
  });

  it('previews an apply step: the diff editor with the counts, nothing written', async function () {
    this.timeout(180_000);
    const { page } = workbench!;
    await palette(page, 'DR Runbook: Focus on Scenarios View');
    await workbench!.widenSideBar(520);
    const rows = page.locator('.pane-body .monaco-list-row');
    await rows.filter({ hasText: 'Lost cluster' }).first().click();
    const step = rows.filter({ hasText: '3. Bring back the configuration' }).first();
    await step.waitFor({ timeout: 30_000 });
    await step.hover();
    await step.locator('.action-label[aria-label="Preview Step Changes"]').click();
    const tab = page.locator('.tabs-container .tab', { hasText: 'Step 3: live ↔ dry run' });
    await tab.waitFor({ timeout: 60_000 });
    const title = normalise(await tab.innerText());
    assert.match(title, /1 created, 1 changed, 1 unchanged/);
    // Side by side (the side bar closed), at the Deployment's change: 1 replica live, 3 after the step.
    await page.keyboard.press('Control+B');
    const editor = page.locator('.monaco-diff-editor .editor.modified');
    // Find scrolls the editor to the change. Under load the first keys can reach the editor
    // before it has focus (a CI run saw no match in 30 s): search again, as a person would.
    for (let attempt = 1; ; attempt++) {
      await editor.click();
      await page.keyboard.press('Control+F');
      await page.keyboard.type('replicas: 3');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Escape');
      try {
        await editor.getByText('replicas: 3').first().waitFor({ timeout: 10_000 });
        break;
      } catch (error) {
        if (attempt === 3) {
          await workbench!.screenshot('preview-failed.png');
          throw error;
        }
      }
    }
    await page.locator('.monaco-diff-editor .editor.original').getByText('replicas: 1').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(500); // the diff's colours settle after the text
    await workbench!.screenshot('preview.png');
    // A dry run: the cluster is as it was.
    assert.equal(server!.get('v1', 'Service', 'billing', 'invoice-api'), undefined);
    assert.equal(
      (server!.get('apps/v1', 'Deployment', 'billing', 'invoice-api') as { spec: { replicas: number } }).spec.replicas,
      1,
    );
  });
});
