import { err, ok, type Result } from '../result.js';
import { CELL_STATES } from './notebookModel.js';
import type {
  CellLayout,
  CellRun,
  NotebookCell,
  NotebookDoc,
  NotebookHeader,
  NotebookLayout,
  NotebookParseError,
} from './notebookModel.js';

/**
 * The on-disk format of a runbook notebook (`*.runbook.md`): plain markdown that reads well on
 * GitHub.
 *
 * - Line 1 may be the header, `<!-- dr-runbook-notebook: {"scenario":...} -->` (one line of JSON).
 * - Every fence at column 0 (```sh ... ```) is a code cell.
 * - A fence with the info string `output` right after a code cell is that cell's saved output.
 * - `<!-- dr-runbook: {"state":...} -->` right after a cell (or its output) is its run record.
 * - Everything else is markdown, split into cells before each step line (`- [ ] 3. ...`) and
 *   each heading; empty lines between cells separate them and are remembered.
 *
 * Parse then format of an unchanged file gives back the same text. The one exception: a file
 * mixing "\n" and "\r\n" comes back with the line ending of its first line everywhere.
 */

const HEADER_PREFIX = '<!-- dr-runbook-notebook';
const RUN_PREFIX = '<!-- dr-runbook';
const HEADER_LINE = /^<!-- dr-runbook-notebook: (.*) -->$/;
const RUN_LINE = /^<!-- dr-runbook: (.*) -->$/;
const FENCE_OPEN = /^(`{3,}|~{3,})(.*)$/;
const NESTED_FENCE_OPEN = /^ {1,3}(`{3,}|~{3,})/;
const OUTPUT_INFO = 'output';
/** A step line: `- [ ] 3. Recreate the volumes` (or `- [x]`, `* [ ]`). */
const STEP_LINE = /^[-*] \[([ xX])\] (\d+)\.\s+(.*)$/;
const HEADING_LINE = /^#{1,6}(\s|$)/;

export interface FormatOptions {
  /** Applied to every saved output before it is written (secrets out); identity by default. */
  readonly redact?: (text: string) => string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface CellDraft {
  kind: 'markdown' | 'code';
  source: string;
  language?: string;
  output?: string;
  run?: CellRun;
  layout: Mutable<CellLayout>;
}

export function parseRunbookNotebook(text: string): Result<NotebookDoc, NotebookParseError> {
  const layout: Mutable<NotebookLayout> = {};
  let body = text;
  if (body.startsWith('\uFEFF')) {
    layout.bom = true;
    body = body.slice(1);
  }
  const firstBreak = /\r?\n/.exec(body);
  if (firstBreak?.[0] === '\r\n') layout.eol = '\r\n';
  const lines = body === '' ? [] : body.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  else if (body !== '') layout.finalNewline = false;

  let header: NotebookHeader | undefined;
  const cells: CellDraft[] = [];
  let i = 0;
  if (lines[0]?.startsWith(HEADER_PREFIX)) {
    const parsed = parseJsonComment(lines[0], HEADER_LINE, 1, 'notebook header');
    if (!parsed.ok) return parsed;
    const checked = checkHeader(parsed.value.value, 1);
    if (!checked.ok) return checked;
    header = checked.value;
    if (JSON.stringify(header) !== parsed.value.json) layout.headerJson = parsed.value.json;
    i = 1;
  }

  while (i < lines.length) {
    let blanks = 0;
    while (i < lines.length && lines[i] === '') {
      blanks++;
      i++;
    }
    const prev = cells[cells.length - 1];
    if (i >= lines.length) {
      if (prev) layout.trailingBlankLines = blanks;
      else layout.blankLinesBeforeCells = blanks;
      break;
    }
    const line = lines[i]!;
    const lineNo = i + 1;
    if (line.startsWith(HEADER_PREFIX)) {
      return err({ line: lineNo, message: 'The notebook header (<!-- dr-runbook-notebook: ... -->) must be the first line.' });
    }
    if (line.startsWith(RUN_PREFIX)) {
      const parsed = parseJsonComment(line, RUN_LINE, lineNo, 'run record');
      if (!parsed.ok) return parsed;
      if (!prev || prev.run) {
        return err({ line: lineNo, message: 'This run record (<!-- dr-runbook: ... -->) does not follow a step or a command.' });
      }
      const run = checkRun(parsed.value.value, lineNo);
      if (!run.ok) return run;
      prev.run = run.value;
      if (blanks !== 0) prev.layout.blankLinesBeforeRun = blanks;
      if (JSON.stringify(run.value) !== parsed.value.json) prev.layout.runJson = parsed.value.json;
      i++;
      continue;
    }
    const fence = FENCE_OPEN.exec(line);
    if (fence && !(fence[1]!.startsWith('`') && fence[2]!.includes('`'))) {
      const block = readFence(lines, i, fence[1]!);
      if (!block.ok) return block;
      const info = fence[2]!;
      if (info === OUTPUT_INFO) {
        if (!prev || prev.kind !== 'code' || prev.output !== undefined || prev.run) {
          return err({ line: lineNo, message: 'This output block (```output) does not come right after a command block.' });
        }
        prev.output = block.value.content.map((l) => `${l}\n`).join('');
        if (blanks !== 1) prev.layout.blankLinesBeforeOutput = blanks;
        if (fence[1] !== shortestFence(block.value.content)) prev.layout.outputFence = fence[1];
        if (block.value.close !== fence[1]) prev.layout.outputClosingFence = block.value.close;
      } else {
        if (prev) setGap(prev, blanks);
        else if (blanks !== (header ? 1 : 0)) layout.blankLinesBeforeCells = blanks;
        const language = info.trim().split(/\s+/)[0] || undefined;
        const cell: CellDraft = { kind: 'code', source: block.value.content.join('\n'), layout: {} };
        if (language !== undefined) cell.language = language;
        if (info !== (language ?? '')) cell.layout.info = info;
        if (fence[1] !== shortestFence(block.value.content)) cell.layout.fence = fence[1];
        if (block.value.close !== fence[1]) cell.layout.closingFence = block.value.close;
        if (block.value.content.length === 1 && block.value.content[0] === '') cell.layout.emptyLine = true;
        cells.push(cell);
      }
      i = block.value.next;
      continue;
    }
    const chunk = readMarkdown(lines, i);
    if (!chunk.ok) return chunk;
    if (prev) setGap(prev, blanks);
    else if (blanks !== (header ? 1 : 0)) layout.blankLinesBeforeCells = blanks;
    cells.push({ kind: 'markdown', source: chunk.value.lines.join('\n'), layout: {} });
    i = chunk.value.next;
  }

  const doc: NotebookDoc = {
    ...(header ? { header } : {}),
    cells: cells.map(freezeCell),
    ...(Object.keys(layout).length ? { layout } : {}),
  };
  return ok(doc);
}

export function formatRunbookNotebook(doc: NotebookDoc, options: FormatOptions = {}): string {
  const redact = options.redact ?? ((t: string) => t);
  const layout = doc.layout ?? {};
  const out: string[] = [];
  if (doc.header) {
    const json = sameJson(layout.headerJson, doc.header) ?? commentJson(doc.header);
    out.push(`${HEADER_PREFIX}: ${json} -->`);
  }
  blankLines(out, layout.blankLinesBeforeCells ?? (doc.header && doc.cells.length ? 1 : 0));
  doc.cells.forEach((cell, index) => {
    formatCell(out, cell, redact);
    if (index < doc.cells.length - 1) blankLines(out, cell.layout?.blankLinesAfter ?? 1);
  });
  if (doc.cells.length) blankLines(out, layout.trailingBlankLines ?? 0);
  const bom = layout.bom ? '\uFEFF' : '';
  if (out.length === 0) return bom;
  const eol = layout.eol ?? '\n';
  return bom + out.join(eol) + (layout.finalNewline === false ? '' : eol);
}

function formatCell(out: string[], cell: NotebookCell, redact: (text: string) => string): void {
  const layout: CellLayout = cell.layout ?? {};
  const source = cell.source.replace(/\r\n?/g, '\n');
  if (cell.kind === 'markdown') {
    pushAll(out, source.split('\n'));
  } else {
    const content = source === '' ? (layout.emptyLine ? [''] : []) : source.split('\n');
    const fence = fitFence(layout.fence, content);
    const info = layout.info ?? cell.language ?? '';
    // A command block must never read back as an output block.
    out.push(fence + (info === OUTPUT_INFO ? 'text' : info));
    pushAll(out, content);
    out.push(fitClose(layout.closingFence, fence));
    if (cell.output !== undefined) {
      const text = redact(cell.output).replace(/\r\n?/g, '\n');
      const lines = text === '' ? [] : (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
      blankLines(out, layout.blankLinesBeforeOutput ?? 1);
      const outFence = fitFence(layout.outputFence, lines);
      out.push(outFence + OUTPUT_INFO);
      pushAll(out, lines);
      out.push(fitClose(layout.outputClosingFence, outFence));
    }
  }
  if (cell.run) {
    blankLines(out, layout.blankLinesBeforeRun ?? 0);
    out.push(`${RUN_PREFIX}: ${sameJson(layout.runJson, cell.run) ?? commentJson(cell.run)} -->`);
  }
}

/** The step a markdown cell starts, if it is a step line (`- [x] 3. Restore the backup`). */
export function stepLine(source: string): { readonly number: number; readonly done: boolean; readonly text: string } | undefined {
  const m = STEP_LINE.exec(source.split('\n', 1)[0] ?? '');
  return m ? { number: Number(m[2]), done: m[1] !== ' ', text: m[3]! } : undefined;
}

/** The same markdown with its step box ticked or cleared; other text is returned unchanged. */
export function setStepDone(source: string, done: boolean): string {
  return stepLine(source) ? source.replace(/^([-*] )\[[ xX]\]/, `$1[${done ? 'x' : ' '}]`) : source;
}

/** The number of the step a cell belongs to: the nearest step line at or above it. */
export function stepOfCell(doc: NotebookDoc, index: number): number | undefined {
  for (let i = Math.min(index, doc.cells.length - 1); i >= 0; i--) {
    const cell = doc.cells[i]!;
    const step = cell.kind === 'markdown' ? stepLine(cell.source) : undefined;
    if (step) return step.number;
  }
  return undefined;
}

function setGap(prev: CellDraft, blanks: number): void {
  if (blanks !== 1) prev.layout.blankLinesAfter = blanks;
}

function freezeCell(draft: CellDraft): NotebookCell {
  return {
    kind: draft.kind,
    source: draft.source,
    ...(draft.language !== undefined ? { language: draft.language } : {}),
    ...(draft.output !== undefined ? { output: draft.output } : {}),
    ...(draft.run ? { run: draft.run } : {}),
    ...(Object.keys(draft.layout).length ? { layout: draft.layout } : {}),
  };
}

function blankLines(out: string[], count: number): void {
  for (let n = 0; n < count; n++) out.push('');
}

/** Reads a fenced block opened at `start`; its content lines, closing line and the line after. */
function readFence(
  lines: readonly string[],
  start: number,
  marker: string,
): Result<{ content: string[]; close: string; next: number }, NotebookParseError> {
  for (let j = start + 1; j < lines.length; j++) {
    if (closesFence(lines[j]!, marker)) return ok({ content: lines.slice(start + 1, j), close: lines[j]!, next: j + 1 });
  }
  return err({
    line: start + 1,
    message: `This code block (${lines[start]!.trim()}) is never closed: add a line with ${marker} after its last line.`,
  });
}

function closesFence(line: string, marker: string): boolean {
  const m = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
  return !!m && m[1]![0] === marker[0] && m[1]!.length >= marker.length;
}

/** A markdown cell from `start`: up to a code fence, a run record, the next step or heading. */
function readMarkdown(lines: readonly string[], start: number): Result<{ lines: string[]; next: number }, NotebookParseError> {
  let j = start;
  while (j < lines.length) {
    const line = lines[j]!;
    if (j > start && (STEP_LINE.test(line) || HEADING_LINE.test(line))) break;
    if (line.startsWith(RUN_PREFIX) || FENCE_OPEN.test(line)) {
      if (j > start) break;
    }
    const nested = NESTED_FENCE_OPEN.exec(line);
    if (nested) {
      const block = readFence(lines, j, nested[1]!);
      if (!block.ok) return block;
      j = block.value.next;
      continue;
    }
    j++;
  }
  let end = j;
  while (end > start && lines[end - 1] === '') end--;
  return ok({ lines: lines.slice(start, end), next: end });
}

/** The shortest backtick fence that no line of `content` could close. */
function shortestFence(content: readonly string[]): string {
  let longest = 0;
  for (const line of content) {
    const m = /^ {0,3}(`+)/.exec(line);
    if (m) longest = Math.max(longest, m[1]!.length);
  }
  return '`'.repeat(Math.max(3, longest + 1));
}

/** The fence the file used if it still fits the content, else the shortest that does. */
/** `out.push(...lines)` without spreading: a spread of a few hundred thousand lines overflows the stack. */
function pushAll(out: string[], lines: readonly string[]): void {
  for (const line of lines) out.push(line);
}

function fitFence(wanted: string | undefined, content: readonly string[]): string {
  if (wanted && /^(`{3,}|~{3,})$/.test(wanted) && !content.some((l) => closesFence(l, wanted))) return wanted;
  return shortestFence(content);
}

function fitClose(wanted: string | undefined, fence: string): string {
  return wanted !== undefined && closesFence(wanted, fence) ? wanted : fence;
}

function parseJsonComment(
  line: string,
  pattern: RegExp,
  lineNo: number,
  what: string,
): Result<{ value: unknown; json: string }, NotebookParseError> {
  const m = pattern.exec(line);
  if (!m)
    return err({ line: lineNo, message: `This ${what} is damaged: it must be one line, "${pattern.source.slice(1, -1)}".` });
  try {
    return ok({ value: JSON.parse(m[1]!) as unknown, json: m[1]! });
  } catch (e) {
    return err({ line: lineNo, message: `This ${what} is not valid JSON (${(e as Error).message}).` });
  }
}

function checkHeader(value: unknown, lineNo: number): Result<NotebookHeader, NotebookParseError> {
  if (!isObject(value)) return err({ line: lineNo, message: 'The notebook header must be a JSON object.' });
  for (const key of ['title', 'scenario', 'context', 'namespace', 'startedBy', 'startedAt']) {
    if (value[key] !== undefined && typeof value[key] !== 'string') {
      return err({ line: lineNo, message: `The notebook header's "${key}" must be a string.` });
    }
  }
  if (value.kind !== undefined && value.kind !== 'recovery' && value.kind !== 'drill') {
    return err({ line: lineNo, message: 'The notebook header\'s "kind" must be "recovery" or "drill".' });
  }
  return ok(value as NotebookHeader);
}

function checkRun(value: unknown, lineNo: number): Result<CellRun, NotebookParseError> {
  if (!isObject(value)) return err({ line: lineNo, message: 'A run record must be a JSON object.' });
  if (!CELL_STATES.includes(value.state as never)) {
    return err({ line: lineNo, message: `A run record's "state" must be one of ${CELL_STATES.join(', ')}.` });
  }
  for (const key of ['by', 'at']) {
    if (value[key] !== undefined && typeof value[key] !== 'string') {
      return err({ line: lineNo, message: `A run record's "${key}" must be a string.` });
    }
  }
  for (const key of ['ms', 'exitCode']) {
    if (value[key] !== undefined && typeof value[key] !== 'number') {
      return err({ line: lineNo, message: `A run record's "${key}" must be a number.` });
    }
  }
  return ok(value as CellRun);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON that cannot end the HTML comment it sits in. */
function commentJson(value: unknown): string {
  return JSON.stringify(value).replace(/-->/g, '--\\u003e');
}

/** The JSON as the file wrote it, while it still means `value`. */
function sameJson(written: string | undefined, value: unknown): string | undefined {
  if (written === undefined) return undefined;
  try {
    return JSON.stringify(JSON.parse(written)) === JSON.stringify(value) ? written : undefined;
  } catch {
    return undefined;
  }
}
