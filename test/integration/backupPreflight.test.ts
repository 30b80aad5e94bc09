import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { BetweenSteps } from '../../src/core/execution/scenarioRunner.js';
import type { RunController } from '../../src/extension/run/runController.js';
import { writeBackup } from '../support/backups.js';
import { activeExtension, channelText, eventually, workspaceRoot, setAnswers } from './support.js';

const HOUR = 3_600_000;
const CHANNEL = 'DR Runbook: Database failure';

interface RunResult {
  readonly outcome: string;
  readonly step?: { readonly number: number };
}

/** Runs "Database failure" through the command, as the tree's play button does. */
function runDatabaseFailure(): Thenable<RunResult | undefined> {
  return vscode.commands.executeCommand<RunResult | undefined>('drRunbook.runScenario', { scenario: { id: 'database-failure' } });
}

/** The output of the latest run of "Database failure", once it holds `pattern`. */
async function latestRunOutput(pattern: RegExp): Promise<string> {
  return eventually('the run’s output', async () => {
    const text = await channelText(CHANNEL, /=== Database failure: /);
    const latest = text.slice(text.lastIndexOf('=== Database failure: '));
    return pattern.test(latest) ? latest : undefined;
  });
}

/** The person: answers the preflight's warnings and the question before each step; keeps what they were shown. */
function answer(runs: RunController, goOn: boolean, beforeStep: BetweenSteps): { shown: string[]; asked: number[] } {
  const shown: string[] = [];
  const asked: number[] = [];
  setAnswers(runs, {
    acceptWarnings: (warnings) => {
      shown.push(...warnings);
      return Promise.resolve(goOn);
    },
    beforeStep: (step) => {
      asked.push(step.number);
      return Promise.resolve(beforeStep);
    },
  });
  return { shown, asked };
}

async function setBackupDirectory(value: string | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('drRunbook').update('backup.directory', value, vscode.ConfigurationTarget.Workspace);
}

describe('the preflight checks the newest backup against the RPO, in the real extension host', () => {
  const backups = () => vscode.Uri.joinPath(workspaceRoot(), 'backups').fsPath;

  before(async function () {
    this.timeout(30_000);
    const { plan } = (await activeExtension()).exports;
    await eventually('the DR plan to load', () => (plan.state.kind === 'loaded' ? true : undefined));
  });
  beforeEach(async () => {
    await rm(backups(), { recursive: true, force: true });
    await mkdir(backups());
  });
  afterEach(async () => {
    setAnswers((await activeExtension()).exports.runs, undefined);
    await setBackupDirectory(undefined);
  });
  after(async () => {
    await rm(backups(), { recursive: true, force: true });
  });

  it('shows a backup older than the RPO before the first step, naming the file, its age, the RPO and what to do; Stop changes nothing', async function () {
    this.timeout(60_000);
    const { runs } = (await activeExtension()).exports;
    await setBackupDirectory('backups');
    await writeBackup(backups(), new Date(Date.now() - 3 * HOUR - 60_000));
    const { shown, asked } = answer(runs, false, 'continue');
    const result = await runDatabaseFailure();
    assert.equal(result?.outcome, 'stopped');
    assert.deepEqual(asked, [], 'no step was offered');
    assert.equal(shown.length, 1);
    assert.match(
      shown[0]!,
      /^the newest backup, backups\/endpoint_stats_\d{8}T\d{6}Z\.dump, is 3 h [12] min old: older than the RPO of 1 h/,
    );
    assert.match(shown[0]!, /take one with scripts\/backup\/dr-backup\.sh/);

    const output = await latestRunOutput(/=== stopped at the preflight warnings; nothing was changed after /);
    assert.ok(output.includes(`⚠ ${shown[0]!}`), output);
    const records = await vscode.workspace.fs.readDirectory(vscode.Uri.joinPath(workspaceRoot(), '.dr-runs'));
    const names = records.map(([name]) => name).filter((n) => /-database-failure-[0-9a-f]+\.jsonl$/.test(n));
    const texts = await Promise.all(
      names.map(async (n) =>
        new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(workspaceRoot(), '.dr-runs', n))),
      ),
    );
    const record = texts.find((t) => t.includes('stopped at the preflight warnings'));
    assert.ok(record, 'the run record says why it stopped');
    const events = record
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; reason?: string });
    assert.deepEqual(
      events.map((e) => e.type),
      ['runStarted', 'runCancelled'],
    );
    assert.equal(events[1]?.reason, 'stopped at the preflight warnings; nothing was changed');
  });

  it('goes on to the first step once the person has seen the warning and chose to continue', async function () {
    this.timeout(60_000);
    const { runs } = (await activeExtension()).exports;
    await setBackupDirectory('backups'); // an empty folder: no backup at all
    const { shown, asked } = answer(runs, true, 'stop');
    const result = await runDatabaseFailure();
    assert.equal(result?.outcome, 'stopped');
    assert.deepEqual(asked, [1], 'the warning came first, then step 1');
    assert.match(shown.join('\n'), /^no backup found against the RPO of 1 h: backups holds no complete backup/);
    await latestRunOutput(/⚠ no backup found[^]*=== stopped at step 1 after /);
  });

  it('passes a backup younger than the RPO without asking', async function () {
    this.timeout(60_000);
    const { runs } = (await activeExtension()).exports;
    await setBackupDirectory('backups');
    await writeBackup(backups(), new Date(Date.now() - 10 * 60_000));
    setAnswers(runs, {
      acceptWarnings: () => Promise.reject(new Error('a fresh backup needs no warning')),
      beforeStep: () => Promise.resolve('stop'),
    });
    const result = await runDatabaseFailure();
    assert.equal(result?.outcome, 'stopped');
    assert.equal(result.step?.number, 1);
    await latestRunOutput(
      /✔ the newest backup, backups\/endpoint_stats_\d{8}T\d{6}Z\.dump, is 0 h (9|10|11) min old, within the RPO of 1 h\./,
    );
  });

  it('says the backup age is not checked when no backup directory is set', async function () {
    this.timeout(60_000);
    const { runs } = (await activeExtension()).exports;
    setAnswers(runs, {
      acceptWarnings: () => Promise.reject(new Error('no directory set is information, not a warning')),
      beforeStep: () => Promise.resolve('stop'),
    });
    const result = await runDatabaseFailure();
    assert.equal(result?.outcome, 'stopped');
    await latestRunOutput(
      /ℹ the newest backup's age is not checked against the RPO of 1 h: no backup directory is set \(drRunbook\.backup\.directory/,
    );
  });
});
