import * as vscode from 'vscode';
import { join } from 'node:path';
import { planCore } from '../planCore.js';
import type { RunState } from '../../core/run/runModel.js';
import type { PlanWorkspace } from '../planWorkspace.js';

/**
 * The runs recorded in the workspace's `.dr-runs/`, read on first use and again when a record
 * changes: what the tree's drill age and step durations come from.
 */
export class RunHistoryWatcher implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private current: readonly RunState[] = [];
  private root: string | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;

  constructor(
    private readonly plan: PlanWorkspace,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The newest read of the records, under way or done. */
  private reading: Promise<void> = Promise.resolve();

  /** The runs read so far; starts reading (and watching) the plan's workspace on first call. */
  get runs(): readonly RunState[] {
    this.watchPlan();
    return this.current;
  }

  /** The runs once the newest read of the records is in (one read serves the tree and this). */
  async settled(): Promise<readonly RunState[]> {
    this.watchPlan();
    await this.reading;
    return this.current;
  }

  private watchPlan(): void {
    const state = this.plan.state;
    if (state.kind === 'loaded' && state.root !== this.root) this.watch(state.root);
  }

  private watch(root: string): void {
    this.root = root;
    this.watcher?.dispose();
    this.watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(root, `${planCore().runsFolderName}/*.jsonl`),
    );
    const schedule = (): void => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.reading = this.read(root);
      }, 300);
    };
    this.watcher.onDidCreate(schedule);
    this.watcher.onDidChange(schedule);
    this.watcher.onDidDelete(schedule);
    this.reading = this.read(root);
  }

  /** Reads the records; never rejects (a failure is logged and the runs read before stay). */
  private async read(root: string): Promise<void> {
    const generation = ++this.generation;
    const { readRunHistory, runsFolderName } = planCore();
    const history = await readRunHistory(join(root, runsFolderName)).catch((e: unknown) => {
      this.log.error(`run history: cannot read ${join(root, runsFolderName)}: ${String(e)}`);
      return undefined;
    });
    if (!history || generation !== this.generation) return;
    for (const p of history.problems) this.log.warn(`run history: ${p.message}`);
    this.current = history.runs;
    this.changed.fire();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.dispose();
    this.changed.dispose();
  }
}
