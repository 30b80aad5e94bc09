// A real workbench for end-to-end checks: code-server with the built extension installed the
// way a user installs it, a throw-away workspace, and a Chromium page on it.
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import {
  installExtensions,
  installVsix,
  launchBrowser,
  makeTempDir,
  prepareWorkspace,
  removeQuietly,
  RESULTS,
  ROOT,
  startCodeServer,
  type CodeServer,
} from '../../scripts/lib/codeServer.js';

export interface Workbench {
  readonly page: Page;
  readonly workspace: string;
  /** Drags the side bar's edge so the side bar is `width` pixels wide. */
  widenSideBar(width: number): Promise<void>;
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface WorkbenchOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly settings?: Record<string, unknown>;
  /** Extension folders to install (default: this checkout, with its built dist/). */
  readonly extensions?: readonly string[];
  /** A packaged .vsix to install instead, as a user installs one into a fresh profile. */
  readonly vsix?: string;
  /** A folder to copy as the workspace (default: this project's plan, manifests and scripts). */
  readonly workspaceFrom?: string;
  /** Runs on the new page before it navigates to the workbench (e.g. page.addInitScript). */
  readonly beforeNavigate?: (page: Page) => Promise<void>;
}

export async function openWorkbench(options: WorkbenchOptions = {}): Promise<Workbench> {
  const workspace = prepareWorkspace(options.workspaceFrom);
  const extensionsDir = makeTempDir('extensions-');
  if (options.vsix) await installVsix(extensionsDir, options.vsix);
  else installExtensions(extensionsDir, options.extensions ?? [ROOT]);
  let server: CodeServer | undefined;
  let browser: BrowserContext | undefined;
  try {
    server = await startCodeServer({
      extensionsDir,
      ...(options.env ? { env: options.env } : {}),
      ...(options.settings ? { settings: options.settings } : {}),
    });
    browser = await launchBrowser();
    const page = browser.pages()[0] ?? (await browser.newPage());
    await options.beforeNavigate?.(page);
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
    await page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: 120_000 });
    const shots = join(RESULTS, 'e2e');
    mkdirSync(shots, { recursive: true });
    const s = server;
    const b = browser;
    return {
      page,
      workspace,
      async widenSideBar(width) {
        const sidebar = await page.locator('.part.sidebar').boundingBox();
        if (!sidebar) return;
        const edge = sidebar.x + sidebar.width;
        const y = sidebar.y + sidebar.height / 2;
        await page.mouse.move(edge + 1, y);
        await page.mouse.down();
        await page.mouse.move(sidebar.x + width, y, { steps: 5 });
        await page.mouse.up();
      },
      async screenshot(file) {
        const path = join(shots, file);
        await page.screenshot({ path });
        return path;
      },
      async close() {
        await b.close().catch(() => undefined);
        await s.stop();
        removeQuietly(workspace);
        removeQuietly(extensionsDir);
      },
    };
  } catch (error) {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    throw error;
  }
}

/** Text as the workbench shows it: Monaco renders spaces as U+00A0. */
export function normalise(text: string): string {
  return text.replace(/\u00a0/g, ' ');
}

/** The text of the output panel's editor, with lines the panel wrapped joined again (each log line starts with "["). */
export async function panelText(page: Page): Promise<string> {
  return normalise(await page.locator('.part.panel .monaco-editor .view-lines').first().innerText()).replace(/\n(?!\[)/g, '');
}

/** The status bar's text: every item's, in order. */
export async function statusBarText(page: Page): Promise<string> {
  return normalise(await page.locator('.part.statusbar').innerText());
}

/** The text `read` gives once `shows` holds for it, or the last text seen after `timeoutMs` (for the assertions to report). */
export async function waitForText(
  page: Page,
  read: () => Promise<string>,
  shows: (text: string) => boolean,
  timeoutMs = 60_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await read();
    if (shows(text) || Date.now() > deadline) return text;
    await page.waitForTimeout(500);
  }
}

/** The output panel's text once `shows` holds for it (see waitForText). */
export function waitForPanelText(page: Page, shows: (text: string) => boolean, timeoutMs = 60_000): Promise<string> {
  return waitForText(page, () => panelText(page), shows, timeoutMs);
}

/** Saves a screenshot named after a test that failed: call inside describe(), after the workbench opens. */
export function screenshotOnFailure(workbench: () => Workbench | undefined): void {
  afterEach(async function () {
    const test = this.currentTest;
    if (test?.state === 'failed') await workbench()?.screenshot(`failed-${test.title.slice(0, 40).replace(/\W+/g, '-')}.png`);
  });
}

/**
 * The run's question that asks `question`: a notification, never a modal. A toast that went to the
 * notification center is found there (the status bar item that says the run waits opens it).
 */
export async function findQuestion(page: Page, question: RegExp, timeoutMs = 60_000): Promise<Locator> {
  const item = page.locator('.notification-list-item', { hasText: question }).first();
  const deadline = Date.now() + timeoutMs;
  while (!(await item.isVisible())) {
    if (Date.now() > deadline) throw new Error(`no notification asks ${String(question)}`);
    const waiting = page
      .locator('.statusbar-item', { hasText: 'DR Runbook:' })
      .filter({ has: page.locator('.codicon-bell-dot') });
    if (await waiting.first().isVisible()) await waiting.first().click();
    await page.waitForTimeout(500);
  }
  return item;
}

/** Clicks a button of the run's question that asks `question` (see findQuestion). */
export async function answerDialog(page: Page, button: string, question: RegExp): Promise<void> {
  const item = await findQuestion(page, question);
  await item
    .locator('.monaco-button', { hasText: new RegExp(`^${button}$`) })
    .first()
    .click();
  await item.waitFor({ state: 'hidden', timeout: 30_000 });
  // An open notification center would keep the next question's keys (Escape): hide it, as a person would.
  // The center may also close by itself (its last notification gone) between the look and the click.
  const hide = page.locator('.notifications-center .action-label[aria-label^="Hide Notifications"]').first();
  if (await hide.isVisible()) await hide.click({ timeout: 5_000 }).catch(() => hide.waitFor({ state: 'hidden', timeout: 5_000 }));
}

/** In the step's file picker titled `title` (it opens on the backup folder), clicks the row of `file`, which accepts it. */
export async function chooseFile(page: Page, title: string, file: string): Promise<void> {
  const picker = page.locator('.quick-input-widget', { hasText: title });
  await picker.waitFor({ timeout: 60_000 });
  await picker
    .locator('.monaco-list-row', { hasText: basename(file) })
    .first()
    .click();
  await picker.waitFor({ state: 'hidden', timeout: 30_000 });
}

/**
 * Runs a command of the palette by its title, as a person types it. A workbench that is still
 * loading its extensions' commands lists none of ours yet: then, as a person would, close the
 * palette and open it again (at most three times).
 */
export async function palette(page: Page, title: string): Promise<void> {
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    try {
      await row.waitFor({ state: 'visible', timeout: 10_000 });
      break;
    } catch (error) {
      if (attempt === 3) throw error;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1_000);
    }
  }
  await row.click();
}

/**
 * Opens the DR Runbook view, expands the scenario, runs "Run DR Scenario" from the command
 * palette, picks the scenario, confirms the run and answers when the incident started (Enter:
 * now). Returns the tree's rows.
 */
export async function runFromPalette(workbench: Workbench, scenario: string, incidentStart = ''): Promise<Locator> {
  const { page } = workbench;
  const rows = page.locator('.pane-body .monaco-list-row');
  // The view's icon toggles the side bar: click it only when the view is not showing.
  if (!(await rows.filter({ hasText: scenario }).first().isVisible())) {
    await page.locator('.activitybar [aria-label^="DR Runbook"]').first().click();
    await workbench.widenSideBar(560);
  }
  await rows.filter({ hasText: scenario }).first().click();
  await palette(page, 'DR Runbook: Run DR Scenario');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: scenario }).first().click();
  await answerDialog(page, 'Run', new RegExp(`Run "${scenario}"`));
  const question = page.locator('.quick-input-widget', { hasText: 'when did the incident start?' });
  await question.waitFor({ timeout: 30_000 });
  await question.locator('input').fill(incidentStart);
  await page.keyboard.press('Enter');
  await question.waitFor({ state: 'hidden', timeout: 10_000 });
  return rows;
}
