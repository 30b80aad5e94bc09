import * as vscode from 'vscode';
import { fenceOfLanguageId, languageIdOfFence } from '../../core/notebook/cellLanguage.js';
import type {
  CellLayout,
  CellRun,
  NotebookCell,
  NotebookDoc,
  NotebookHeader,
  NotebookLayout,
} from '../../core/notebook/notebookModel.js';
import { formatRunbookNotebook, parseRunbookNotebook } from '../../core/notebook/runbookNotebook.js';
import type { Redactor } from '../../core/secrets/redaction.js';

/**
 * What a runbook cell keeps in `cell.metadata.runbook`. The controller sets `run` when a cell
 * ends (with NotebookEdit.updateCellMetadata); the rest only remembers how the file was written.
 */
export interface RunbookCellMetadata {
  readonly run?: CellRun;
  /** The fence language as written (```bash), so it is written back the same. */
  readonly fence?: string;
  readonly layout?: CellLayout;
}

/** What a runbook notebook keeps in `notebook.metadata.runbook`. */
export interface RunbookNotebookMetadata {
  readonly header?: NotebookHeader;
  readonly layout?: NotebookLayout;
}

const ERROR_MIME = 'application/vnd.code.notebook.error';
const TEXT_MIMES = new Set(['application/vnd.code.notebook.stdout', 'application/vnd.code.notebook.stderr', 'text/plain']);

/**
 * `*.runbook.md` on disk <-> a notebook in the editor: a thin adapter over the core format.
 * A file that cannot be read throws, so VS Code shows the error instead of an empty notebook
 * whose next save would wipe the file.
 */
export class RunbookSerializer implements vscode.NotebookSerializer {
  /** `redact` is the extension's redaction pipeline: outputs are masked as the notebook is saved, header or not. */
  constructor(private readonly redact: Redactor) {}

  deserializeNotebook(content: Uint8Array): vscode.NotebookData {
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(content);
    const parsed = parseRunbookNotebook(text);
    if (!parsed.ok) {
      throw new Error(
        `This runbook notebook cannot be opened: line ${parsed.error.line}: ${parsed.error.message} ` +
          'Fix it in the text editor (Reopen Editor With... > Text Editor); nothing was changed.',
      );
    }
    return toNotebookData(parsed.value);
  }

  serializeNotebook(data: vscode.NotebookData): Uint8Array {
    return new TextEncoder().encode(formatRunbookNotebook(toDoc(data), { redact: this.redact }));
  }
}

export function toNotebookData(doc: NotebookDoc): vscode.NotebookData {
  const data = new vscode.NotebookData(doc.cells.map(toCellData));
  const runbook: RunbookNotebookMetadata = {
    ...(doc.header ? { header: doc.header } : {}),
    ...(doc.layout ? { layout: doc.layout } : {}),
  };
  data.metadata = { runbook };
  return data;
}

function toCellData(cell: NotebookCell): vscode.NotebookCellData {
  if (cell.kind === 'markdown') {
    const data = new vscode.NotebookCellData(vscode.NotebookCellKind.Markup, cell.source, 'markdown');
    data.metadata = { runbook: cellMetadata(cell) };
    return data;
  }
  const data = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, cell.source, languageIdOfFence(cell.language));
  data.metadata = { runbook: cellMetadata(cell) };
  if (cell.output !== undefined) {
    data.outputs = [new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.stdout(cell.output)])];
  }
  return data;
}

function cellMetadata(cell: NotebookCell): RunbookCellMetadata {
  return {
    ...(cell.run ? { run: cell.run } : {}),
    ...(cell.language !== undefined ? { fence: cell.language } : {}),
    ...(cell.layout ? { layout: cell.layout } : {}),
  };
}

export function toDoc(data: vscode.NotebookData): NotebookDoc {
  const meta = (data.metadata?.runbook ?? {}) as RunbookNotebookMetadata;
  const cells = data.cells.map((cell): NotebookCell => {
    const m = (cell.metadata?.runbook ?? {}) as RunbookCellMetadata;
    const common = { ...(m.run ? { run: m.run } : {}), ...(m.layout ? { layout: m.layout } : {}) };
    if (cell.kind === vscode.NotebookCellKind.Markup) return { kind: 'markdown', source: cell.value, ...common };
    const language = fenceOfLanguageId(cell.languageId, m.fence);
    const output = outputText(cell.outputs);
    return {
      kind: 'code',
      source: cell.value,
      ...(language !== undefined ? { language } : {}),
      ...(output !== undefined ? { output } : {}),
      ...common,
    };
  });
  return { ...(meta.header ? { header: meta.header } : {}), cells, ...(meta.layout ? { layout: meta.layout } : {}) };
}

/** Every text an output holds (stdout, stderr, plain text, errors), in order; undefined when none. */
function outputText(outputs: readonly vscode.NotebookCellOutput[] | undefined): string | undefined {
  if (!outputs?.length) return undefined;
  const decoder = new TextDecoder();
  let text = '';
  for (const item of outputs.flatMap((o) => o.items)) {
    const value = decoder.decode(item.data);
    if (TEXT_MIMES.has(item.mime)) text += value;
    else if (item.mime === ERROR_MIME) text += (text === '' || text.endsWith('\n') ? '' : '\n') + errorLine(value);
  }
  return text;
}

function errorLine(json: string): string {
  try {
    const e = JSON.parse(json) as { name?: string; message?: string };
    return `${e.name ?? 'Error'}: ${e.message ?? ''}\n`;
  } catch {
    return `${json}\n`;
  }
}
