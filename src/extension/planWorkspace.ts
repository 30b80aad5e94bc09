import * as vscode from 'vscode';
import { basename, dirname, isAbsolute, join, sep } from 'node:path';
import { projectPath, readPlanFile } from '../core/paths.js';
import type { ManifestCache } from '../core/manifests/loadManifests.js';
import type { Problem } from '../core/problems.js';
import { planCore } from './planCore.js';
import type { Runbook } from '../core/runbook/model.js';
import { readConfig } from './config.js';
import { ContextKeys, DIAGNOSTIC_SOURCE } from './ids.js';

export type PlanState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'missing'; readonly message: string }
  | {
      readonly kind: 'loaded';
      /** The project root: the workspace folder the plan belongs to. Paths in the plan are relative to it. */
      readonly root: string;
      readonly planFile: string;
      readonly runbook: Runbook;
    };

/**
 * Finds the plan, parses it, keeps it current as the plan or the manifests change, and puts
 * what is wrong with them into the Problems panel.
 */
export class PlanWorkspace implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('drRunbook');
  private readonly disposables: vscode.Disposable[] = [this.changed, this.diagnostics];
  private watchers: vscode.Disposable[] = [];
  /** What the watchers cover, to make new ones only when it changes. */
  private watching = '';
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private current: PlanState = { kind: 'loading' };
  private manifestCache: ManifestCache | undefined;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.scheduleReload()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('drRunbook.planPath')) this.scheduleReload();
      }),
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (this.current.kind === 'loaded' && this.isWatched(doc.uri.fsPath)) this.scheduleReload();
      }),
    );
  }

  get state(): PlanState {
    return this.current;
  }

  /** Parsed manifests, shared by the Problems scan, the tree and runs. */
  get manifests(): ManifestCache {
    this.manifestCache ??= new (planCore().ManifestCache)();
    return this.manifestCache;
  }

  /** Reloads shortly, once, however many changes arrive meanwhile. */
  scheduleReload(delayMs = 150): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reload();
    }, delayMs);
  }

  async reload(): Promise<void> {
    const generation = ++this.generation;
    const next = await this.load();
    if (generation !== this.generation) return; // a newer reload is under way
    this.current = next;
    this.watch(next);
    void vscode.commands.executeCommand('setContext', ContextKeys.planLoaded, next.kind === 'loaded');
    this.changed.fire();
    if (next.kind === 'loaded') {
      const problems = await planCore().collectProblems(
        next.root,
        projectPath(next.root, next.planFile),
        next.runbook,
        this.manifests,
      );
      if (generation === this.generation) this.showProblems(next.root, problems);
    } else {
      this.diagnostics.clear();
    }
  }

  private async load(): Promise<PlanState> {
    const { planPath } = readConfig();
    const folders = vscode.workspace.workspaceFolders ?? [];
    const candidates = isAbsolute(planPath)
      ? [
          {
            root: folders.find((f) => planPath.startsWith(f.uri.fsPath + sep))?.uri.fsPath ?? join(planPath, '..'),
            file: planPath,
          },
        ]
      : folders.map((f) => ({ root: f.uri.fsPath, file: join(f.uri.fsPath, planPath) }));
    const refused: string[] = [];
    for (const { root, file } of candidates) {
      const text = await readPlanFile(file, file);
      if (!text.ok) {
        if (text.error.kind !== 'missing') refused.push(text.error.message);
        continue;
      }
      const runbook = planCore().parsePlan(text.value);
      this.log.info(`Loaded ${file}: ${runbook.scenarios.length} scenarios.`);
      return { kind: 'loaded', root, planFile: file, runbook };
    }
    const tried = candidates.map((c) => c.file);
    const choose = 'choose your plan with "DR Runbook: Choose DR Plan" (the setting drRunbook.planPath)';
    const message =
      folders.length === 0 && tried.length === 0
        ? 'Open the folder that holds your DR plan.'
        : refused.length > 0
          ? `${refused.join(' ')} Put the plan's markdown there, or ${choose}.`
          : `No DR plan at ${tried.join(' or ')}. Create it, or ${choose}.`;
    this.log.warn(message);
    return { kind: 'missing', message };
  }

  private isWatched(path: string): boolean {
    if (this.current.kind !== 'loaded') return false;
    const rel = projectPath(this.current.root, path);
    return path === this.current.planFile || rel.startsWith('k8s/') || rel.startsWith('scripts/');
  }

  /**
   * Watches the configured plan path in every workspace folder, found or not (so a plan created,
   * deleted or renamed is noticed), and once it is loaded the folders its steps name.
   */
  private watch(state: PlanState): void {
    const { planPath } = readConfig();
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const targets: [string, string][] = isAbsolute(planPath)
      ? [[dirname(planPath), basename(planPath)]]
      : folders.map((f) => [f, planPath]);
    if (state.kind === 'loaded') targets.push([state.root, 'k8s/**'], [state.root, 'scripts/**']);
    const key = JSON.stringify(targets);
    if (key === this.watching) return;
    this.watching = key;
    for (const w of this.watchers) w.dispose();
    this.watchers = [];
    for (const [base, pattern] of targets) {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(base, pattern));
      const reload = (): void => this.scheduleReload();
      this.watchers.push(watcher, watcher.onDidChange(reload), watcher.onDidCreate(reload), watcher.onDidDelete(reload));
    }
  }

  private showProblems(root: string, problems: readonly Problem[]): void {
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const p of problems) {
      const start = new vscode.Position(Math.max(0, p.line - 1), Math.max(0, p.column - 1));
      const range = new vscode.Range(start, start.translate(0, Math.max(1, p.length)));
      const diagnostic = new vscode.Diagnostic(
        range,
        p.message,
        p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
      );
      diagnostic.source = DIAGNOSTIC_SOURCE;
      const file = isAbsolute(p.file) ? p.file : join(root, p.file);
      byFile.set(file, [...(byFile.get(file) ?? []), diagnostic]);
    }
    this.diagnostics.clear();
    for (const [file, diagnostics] of byFile) this.diagnostics.set(vscode.Uri.file(file), diagnostics);
    if (problems.length) this.log.warn(`${problems.length} problem(s) in the plan or its manifests; see the Problems panel.`);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of [...this.watchers, ...this.disposables]) d.dispose();
  }
}
