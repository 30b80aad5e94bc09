import { join } from 'node:path';
import * as vscode from 'vscode';
import { registerCommand } from '../commands/registerCommand.js';
import { NotebookTypes } from '../ids.js';
import type * as RunsBundle from './runsBundle.js';

/**
 * The runs bundle (dist/runs.cjs), loaded on first use rather than at activation: until then its
 * commands are stand-ins that load it and hand the call on, and the runbook notebook's serializer
 * loads it when a notebook opens (its controller comes with it).
 */
export class LazyRuns implements vscode.Disposable {
  private loaded: RunsBundle.Runs | undefined;
  private standIns: vscode.Disposable[] = [];
  private readonly serializer: vscode.Disposable;

  constructor(
    private readonly deps: RunsBundle.RunsDeps,
    private readonly commands: readonly string[],
  ) {
    this.standIn();
    const lazy = (): vscode.NotebookSerializer => this.get().serializer;
    this.serializer = vscode.workspace.registerNotebookSerializer(
      NotebookTypes.runbook,
      {
        deserializeNotebook: (content, token) => lazy().deserializeNotebook(content, token),
        serializeNotebook: (data, token) => lazy().serializeNotebook(data, token),
      },
      { transientOutputs: false },
    );
  }

  /** The runs, loaded now if they were not yet. */
  get(): RunsBundle.Runs {
    if (this.loaded) return this.loaded;
    // The bundle registers the real commands: the stand-ins go first, and come back if it fails.
    for (const s of this.standIns) s.dispose();
    this.standIns = [];
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazily loaded sibling bundle
      const bundle = require(join(__dirname, 'runs.cjs')) as typeof RunsBundle;
      this.loaded = bundle.createRuns(this.deps);
      return this.loaded;
    } catch (e) {
      this.standIn();
      throw e;
    }
  }

  private standIn(): void {
    this.standIns = this.commands.map((id) =>
      registerCommand(
        id,
        (...args: unknown[]) => {
          this.get();
          return vscode.commands.executeCommand(id, ...args);
        },
        this.deps.log,
      ),
    );
  }

  /** Ends a run under way, if the runs were loaded, and waits for it to let its lock go. */
  async dispose(): Promise<void> {
    for (const s of this.standIns) s.dispose();
    this.serializer.dispose();
    await this.loaded?.dispose();
  }
}
