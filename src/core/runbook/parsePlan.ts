import type { Code, ListItem, Nodes, Paragraph, RootContent } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { findDuration } from '../duration.js';
import { classifyCommand, drillSteps, isRestoreCommand, stepKind } from './commands.js';
import type { Command, PlanProblem, Runbook, Scenario, ScenarioKind, Step } from './model.js';
import { duplicateStepProblems, slug, stepId } from './stepIdentity.js';

/**
 * Reads a DR plan written in CommonMark into a typed model. The markdown itself is read by a
 * CommonMark parser (mdast-util-from-markdown), so the plan means what any markdown viewer
 * shows: a commented-out step is not a step, a setext heading is a heading, an indented code
 * block is code. On top of that tree, the plan's shape: a heading whose section holds a numbered
 * list is a scenario (or a bullet list, when its items hold commands, the heading says "Scenario"
 * or its context says so: see bulletsByContext), each list item is a step, and the shell code
 * blocks under an item hold that step's commands, one per line. The RPO and RTO are the first
 * durations in the sections (or lines) that name them.
 */
export function parsePlan(markdown: string): Runbook {
  const tree = fromMarkdown(markdown);
  const lines = markdown.split(/\r?\n/);
  const problems: PlanProblem[] = [];
  const headings: HeadingAt[] = [];
  const sections: Section[] = [];
  let section: Section | undefined;

  for (const node of tree.children) {
    if (node.type === 'heading') {
      const h: HeadingAt = { level: node.depth, text: plainText(node).trim(), line: line(node) };
      headings.push(h);
      section = { heading: h, parents: nearestParents(headings, h), nodes: [] };
      sections.push(section);
      continue;
    }
    section?.nodes.push(node);
  }

  const title = headings.find((h) => h.level === 1)?.text;
  const rpoMs = objective(sections, lines, /\bRPO\b|recovery point objective/i);
  const rtoMs = objective(sections, lines, /\bRTO\b|recovery time objective/i);
  if (rpoMs === undefined)
    problems.push({ line: 1, column: 1, severity: 'warning', message: 'The plan states no RPO (for example "RPO: 1 hour").' });
  if (rtoMs === undefined)
    problems.push({ line: 1, column: 1, severity: 'warning', message: 'The plan states no RTO (for example "RTO: 4 hours").' });

  const shapes = new Map(sections.map((s) => [s, sectionShape(s)]));
  const ids = new Set<string>();
  const scenarios: Scenario[] = [];
  for (const s of sections) {
    const titleText = scenarioTitle(s.heading.text);
    const ordered = s.nodes.some((n) => n.type === 'list' && n.ordered === true);
    const shape = shapes.get(s);
    const byContext = shape === 'bullets' && bulletsByContext(s, title, sections, shapes);
    if (shape === 'bullets' && !byContext && NAMES_INCIDENT.test(s.heading.text)) problems.push(notReadAsScenario(s, titleText));
    const id = shape === 'scenario' || byContext ? uniqueId(slug(titleText), ids) : undefined;
    for (const code of s.nodes.flatMap(codeBlocks)) checkFence(code, lines, problems, id);
    if (id === undefined) continue;
    const drafts = stepDrafts(s, ordered);
    const scenarioProblems: PlanProblem[] = [];
    const steps = drafts.map((d) => toStep(id, d, lines, scenarioProblems));
    scenarioProblems.push(...duplicateStepProblems(id, titleText, steps));
    if (steps.length === 0) {
      scenarioProblems.push({
        line: s.heading.line,
        column: 1,
        severity: 'error',
        scenarioId: id,
        message: `"${titleText}" has no steps: write them as a numbered list under its heading.`,
      });
    }
    problems.push(...scenarioProblems);
    scenarios.push({ id, title: titleText, kind: scenarioKind(s), line: s.heading.line, steps });
  }
  // A drill's steps written in words run in its test environment, restoring with the plan's own restore script.
  const script = scenarios.flatMap((s) => s.steps.flatMap((step) => step.commands)).find(isRestoreCommand)?.path.value;
  return {
    title,
    rpoMs,
    rtoMs,
    scenarios: scenarios.map((s) => (s.kind === 'drill' ? { ...s, steps: drillSteps(s.steps, script) } : s)),
    problems,
  };
}

/** "Scenario 2: ...": a heading that says it is a scenario, whatever its list looks like. */
const SCENARIO_HEADING = /^scenario\b/i;

/**
 * What a section's lists make of it by themselves: a scenario (a numbered list, a bullet list
 * whose items hold commands, or any list under a "Scenario" heading), a bullet list of steps in
 * words that only its context can make a scenario, or neither.
 */
type SectionShape = 'scenario' | 'bullets' | 'none';

function sectionShape(s: Section): SectionShape {
  const lists = s.nodes.filter((n) => n.type === 'list');
  if (lists.some((n) => n.ordered === true)) return 'scenario';
  if (SCENARIO_HEADING.test(s.heading.text) || lists.some((n) => n.children.some(hasCode))) return 'scenario';
  return lists.some((n) => n.children.some((item) => item.children.length > 0)) && !NOT_PROCEDURE.test(s.heading.text)
    ? 'bullets'
    : 'none';
}

/** A parent heading that holds procedures: "Recovery procedures", "Scenarios", "Playbooks". */
const NAMES_PROCEDURES = /\b(scenarios?|procedures?|playbooks?|runbooks?)\b/i;
/** A heading that names something gone wrong, or a rehearsal: "Database failure", "Quarterly drill". */
const NAMES_INCIDENT =
  /\b(failures?|fails?|failed|outages?|loss|lost|down|corrupt(ed|ion)?|incidents?|deleted|deletion|crash(es|ed)?|breach(ed)?|compromised?|unavailable|unreachable|drills?|exercises?|rehearsals?)\b/i;
/** Sections whose bullet lists are never steps, whatever surrounds them. */
const NOT_PROCEDURE =
  /\b(contacts?|notes?|prerequisites?|requirements?|overview|references?|links?|assumptions?|escalation|glossary|tools?|owners?|see also|background|summary|objectives?|RPO|RTO|modes?|causes?|symptoms?|signs?|risks?|history|known|past|lessons?)\b/i;

/**
 * A bullet list of steps written in words is a scenario when its context says so: its parent
 * heading groups procedures ("Recovery procedures"; not the plan's title, and not a scenario of
 * its own, whose subsections are its details), or its own heading names an incident and a
 * sibling section (same parent, same level) is a scenario.
 */
function bulletsByContext(
  s: Section,
  title: string | undefined,
  sections: readonly Section[],
  shapes: ReadonlyMap<Section, SectionShape>,
): boolean {
  const parent = s.parents.at(-1);
  const grouping =
    parent !== undefined &&
    !(parent.level === 1 && parent.text === title) &&
    NAMES_PROCEDURES.test(parent.text) &&
    !SCENARIO_HEADING.test(parent.text) &&
    shapes.get(sections.find((other) => other.heading === parent)!) !== 'scenario';
  if (grouping) return true;
  if (!NAMES_INCIDENT.test(s.heading.text)) return false;
  return sections.some(
    (other) =>
      other !== s &&
      other.heading.level === s.heading.level &&
      other.parents.at(-1) === parent &&
      shapes.get(other) === 'scenario',
  );
}

/** Said on a heading that names an incident over a bullet list the plan does not read as steps. */
function notReadAsScenario(s: Section, titleText: string): PlanProblem {
  return {
    line: s.heading.line,
    column: 1,
    severity: 'warning',
    message: `"${titleText}" is not read as a scenario: its bullet list holds no commands. To make it one, number its steps (1. 2. 3.) or start its heading with "Scenario".`,
  };
}

interface HeadingAt {
  readonly level: number;
  readonly text: string;
  readonly line: number;
}

interface Section {
  readonly heading: HeadingAt;
  readonly parents: readonly HeadingAt[];
  readonly nodes: RootContent[];
}

interface StepDraft {
  readonly number: number;
  readonly item: ListItem;
  /** Code blocks that follow the item outside the list (not indented under it): read as its own. */
  readonly trailing: Code[];
}

/**
 * The section's steps: the items of its numbered lists (or bullet lists), numbered as a
 * markdown viewer shows them (`1.` `1.` `1.` is 1, 2, 3). A code block written between two
 * items without indentation ends the list in CommonMark; it still reads as the step above it.
 */
function stepDrafts(section: Section, ordered: boolean): StepDraft[] {
  const drafts: StepDraft[] = [];
  let last: StepDraft | undefined;
  let lastNumber = 0;
  for (const node of section.nodes) {
    if (node.type === 'list' && (node.ordered === true) === ordered) {
      const start = ordered && (node.start ?? 1) > lastNumber ? (node.start ?? 1) : lastNumber + 1;
      node.children.forEach((item, index) => {
        last = { number: start + index, item, trailing: [] };
        drafts.push(last);
      });
      lastNumber = last?.number ?? lastNumber;
    } else if (node.type === 'code' && last) {
      last.trailing.push(node);
    } else if (node.type !== 'html') {
      // A paragraph or another block between lists ends the step above it.
      last = undefined;
    }
  }
  return drafts;
}

function hasCode(node: Nodes): boolean {
  if (node.type === 'code') return true;
  return 'children' in node && (node.children as Nodes[]).some(hasCode);
}

/** Every code block under an item, in order (nested lists included), HTML comments left out. */
function codeBlocks(node: Nodes): Code[] {
  if (node.type === 'code') return [node];
  if (!('children' in node)) return [];
  return (node.children as Nodes[]).flatMap(codeBlocks);
}

/** Info strings of code blocks that hold something other than shell commands. */
const NOT_COMMANDS =
  /^(ya?ml|json|jsonc|text|txt|plain|plaintext|sql|python|py|javascript|js|ts|typescript|toml|ini|xml|html|diff|log|output|markdown|md)$/i;

function toStep(scenarioId: string, draft: StepDraft, lines: readonly string[], problems: PlanProblem[]): Step {
  const paragraphs = draft.item.children.filter((c): c is Paragraph => c.type === 'paragraph');
  const text = paragraphs
    .map((p) => sourceText(p, lines))
    .join(' ')
    .replace(/:\s*$/, '');
  const commands: Command[] = [];
  for (const code of [...codeBlocks(draft.item), ...draft.trailing]) {
    if (code.lang && NOT_COMMANDS.test(code.lang)) continue;
    commands.push(...codeCommands(code, lines));
  }
  const at = draft.item.position?.start ?? { line: 1, column: 1 };
  if (text === '')
    problems.push({ line: at.line, column: at.column, severity: 'warning', message: `Step ${draft.number} has no text.` });
  return {
    id: stepId(scenarioId, text, commands),
    number: draft.number,
    text,
    title: firstSentence(text),
    line: at.line,
    column: at.column,
    commands,
    kind: stepKind(commands),
  };
}

/** The paragraph as written (inline markup kept), its lines joined by single spaces. */
function sourceText(node: Paragraph, lines: readonly string[]): string {
  const start = node.position?.start;
  const end = node.position?.end;
  if (!start || !end) return plainText(node);
  const parts: string[] = [];
  for (let l = start.line; l <= end.line; l++) {
    const raw = lines[l - 1] ?? '';
    const from = l === start.line ? start.column - 1 : 0;
    const to = l === end.line ? end.column - 1 : raw.length;
    parts.push(raw.slice(from, to).trim());
  }
  return parts.join(' ').trim();
}

/**
 * The commands of one code block: a line each, a trailing backslash joining the next, blank
 * lines and `#` comments skipped. Each command keeps the line and column it was written at.
 */
function codeCommands(code: Code, lines: readonly string[]): Command[] {
  const first = (code.position?.start.line ?? 1) + (isFenced(code, lines) ? 1 : 0);
  const commands: Command[] = [];
  let pending: { text: string; line: number; column: number } | undefined;
  code.value.split('\n').forEach((text, index) => {
    const lineNo = first + index;
    const raw = lines[lineNo - 1] ?? text;
    const trimmed = text.trim();
    if (pending) {
      pending.text = `${pending.text} ${trimmed.replace(/\\$/, '').trim()}`;
    } else if (trimmed === '' || trimmed.startsWith('#')) {
      return;
    } else {
      // The block's text is a suffix of its source line (indentation and list markers stripped).
      pending = { text: trimmed.replace(/\\$/, '').trim(), line: lineNo, column: raw.trimEnd().length - text.trim().length + 1 };
    }
    if (!trimmed.endsWith('\\')) {
      commands.push(classifyCommand(pending.text, pending.line, pending.column));
      pending = undefined;
    }
  });
  if (pending) commands.push(classifyCommand(pending.text, pending.line, pending.column));
  return commands;
}

const FENCE = /^(`{3,}|~{3,})/;

function isFenced(code: Code, lines: readonly string[]): boolean {
  const start = code.position?.start;
  return start !== undefined && FENCE.test((lines[start.line - 1] ?? '').slice(start.column - 1));
}

/**
 * An unclosed fence is an error: CommonMark runs it to the end of its list item or of the whole
 * plan, swallowing whatever steps and scenarios follow. Its scenario cannot run until it is closed.
 */
function checkFence(code: Code, lines: readonly string[], problems: PlanProblem[], scenarioId: string | undefined): void {
  const start = code.position?.start;
  const end = code.position?.end;
  if (!start || !end) return;
  const open = FENCE.exec((lines[start.line - 1] ?? '').slice(start.column - 1))?.[1];
  if (!open) return;
  const last = (lines[end.line - 1] ?? '').trim();
  const closed =
    end.line > start.line && last.length >= open.length && last.startsWith(open) && new RegExp(`^\\${open[0]}+$`).test(last);
  if (closed) return;
  const swallowed = end.line - start.line;
  problems.push({
    line: start.line,
    column: start.column,
    severity: 'error',
    ...(scenarioId ? { scenarioId } : {}),
    message: `This code block is never closed: the ${swallowed} line(s) after it, to line ${end.line}, are read as code, not as steps or headings. Close it with ${open}.`,
  });
}

function line(node: Nodes): number {
  return node.position?.start.line ?? 1;
}

/** The text of a node without its markup. */
function plainText(node: Nodes): string {
  if ('value' in node && typeof node.value === 'string') return node.value;
  if ('children' in node) return (node.children as Nodes[]).map(plainText).join('');
  return '';
}

function nearestParents(headings: readonly HeadingAt[], current: HeadingAt): HeadingAt[] {
  const parents: HeadingAt[] = [];
  let level = current.level;
  for (let i = headings.length - 2; i >= 0 && level > 1; i--) {
    const h = headings[i]!;
    if (h.level < level) {
      parents.unshift(h);
      level = h.level;
    }
  }
  return parents;
}

/** Up to the first full stop or colon that ends a sentence, without it. */
function firstSentence(text: string): string {
  const end = /[.:;](\s|$)/.exec(text);
  return (end ? text.slice(0, end.index) : text).trim();
}

/** The first duration in a section whose heading names the objective, or on a line that does. */
function objective(sections: readonly Section[], lines: readonly string[], name: RegExp): number | undefined {
  for (const s of sections) {
    if (!name.test(s.heading.text)) continue;
    const fromHeading = findDuration(s.heading.text.replace(/\([^)]*\)/g, ''));
    if (fromHeading !== undefined) return fromHeading;
    for (const n of s.nodes) {
      if (n.type === 'code' || n.type === 'html') continue;
      const found = findDuration(plainText(n));
      if (found !== undefined) return found;
    }
  }
  for (const text of lines) {
    const at = text.search(name);
    if (at < 0) continue;
    const found = findDuration(text.slice(at));
    if (found !== undefined) return found;
  }
  return undefined;
}

/** "Scenario 2: Complete Cluster Failure" reads as "Complete Cluster Failure". */
function scenarioTitle(heading: string): string {
  return heading.replace(/^(scenario|procedure|runbook)\s*\d*\s*[:.\-–—]\s*/i, '').trim() || heading;
}

function scenarioKind(section: Section): ScenarioKind {
  const words = [section.heading, ...section.parents].map((h) => h.text).join(' ');
  return /\b(drill|exercise|test(ing)?|rehearsal)\b/i.test(words) ? 'drill' : 'recovery';
}

function uniqueId(base: string, taken: Set<string>): string {
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}
