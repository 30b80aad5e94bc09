/**
 * The model of a runbook notebook (`*.runbook.md`): what parseRunbookNotebook produces and
 * formatRunbookNotebook writes. Everything a person sees is in `cells`; `layout` fields only
 * remember how the file was spelled (blank lines, fences), so that an unchanged file is written
 * back byte for byte. New cells need no layout: the defaults are what the formatter writes.
 */

/** How a command cell (or a step done by hand) ended. `done` means done by hand. */
export type CellState = 'succeeded' | 'failed' | 'skipped' | 'done';

export const CELL_STATES: readonly CellState[] = ['succeeded', 'failed', 'skipped', 'done'];

/**
 * The record of a cell's run, saved as `<!-- dr-runbook: {...} -->` right after the cell.
 * Keys the extension does not know are kept as they are, in their order.
 */
export interface CellRun {
  readonly state: CellState;
  /** Who ran it or ticked it. */
  readonly by?: string;
  /** When it ended, ISO 8601. */
  readonly at?: string;
  /** How long it took, in milliseconds. */
  readonly ms?: number;
  readonly exitCode?: number;
  readonly [key: string]: unknown;
}

/**
 * The notebook's header, saved as `<!-- dr-runbook-notebook: {...} -->` on the first line:
 * invisible on GitHub, where the title cell below it says the same in words.
 */
export interface NotebookHeader {
  readonly title?: string;
  /** The plan scenario's id ("complete-cluster-failure", "quarterly-dr-drill"). */
  readonly scenario?: string;
  readonly kind?: 'recovery' | 'drill';
  /** The kubeconfig context it acts on. */
  readonly context?: string;
  readonly namespace?: string;
  readonly startedBy?: string;
  /** ISO 8601. */
  readonly startedAt?: string;
  readonly [key: string]: unknown;
}

export interface CellLayout {
  /** Empty lines after the cell (after its output and run note); 1 when absent. */
  readonly blankLinesAfter?: number;
  /** Code cells: the opening fence when it is not "```" (e.g. "````", "~~~"). */
  readonly fence?: string;
  /** Code cells: the whole info string when it is more than the language. */
  readonly info?: string;
  /** Code cells: the closing line when it is not the opening fence. */
  readonly closingFence?: string;
  /** Code cells: true when the fence holds one empty line rather than none. */
  readonly emptyLine?: boolean;
  /** Empty lines between the cell and its output block; 1 when absent. */
  readonly blankLinesBeforeOutput?: number;
  /** The output block's fence when it is not the shortest that fits. */
  readonly outputFence?: string;
  /** The output block's closing line when it is not its opening fence. */
  readonly outputClosingFence?: string;
  /** Empty lines between the output block (or the cell) and the run note; 0 when absent. */
  readonly blankLinesBeforeRun?: number;
  /** The run note's JSON as written, kept while it still means the same as `run`. */
  readonly runJson?: string;
}

export interface NotebookCell {
  readonly kind: 'markdown' | 'code';
  /** The cell's text, lines joined with "\n", no fence lines. */
  readonly source: string;
  /** Code cells: the fence's language ("sh"); undefined for a bare fence. */
  readonly language?: string;
  /**
   * Code cells: the saved output, every line ending in "\n" (an output that does not end in a
   * newline is saved with one). Undefined: no output block.
   */
  readonly output?: string;
  /** How the cell's last run ended; markdown step cells carry it when done by hand. */
  readonly run?: CellRun;
  readonly layout?: CellLayout;
}

export interface NotebookLayout {
  readonly bom?: boolean;
  /** "\r\n" when the file's first line ends so; every line is written with it. */
  readonly eol?: '\n' | '\r\n';
  /** False when the file does not end with a line break; true when absent. */
  readonly finalNewline?: boolean;
  /** Empty lines before the first cell (after the header, if there is one); 1 with a header, else 0. */
  readonly blankLinesBeforeCells?: number;
  /** Empty lines after the last cell; 0 when absent. */
  readonly trailingBlankLines?: number;
  /** The header's JSON as written, kept while it still means the same as `header`. */
  readonly headerJson?: string;
}

export interface NotebookDoc {
  readonly header?: NotebookHeader;
  readonly cells: readonly NotebookCell[];
  readonly layout?: NotebookLayout;
}

export interface NotebookParseError {
  /** 1-based line where the problem is. */
  readonly line: number;
  readonly message: string;
}
