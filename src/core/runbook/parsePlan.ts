import { findDuration } from '../duration.js';
import { classifyCommand, stepKind } from './commands.js';
import type { Command, PlanWarning, Runbook, Scenario, ScenarioKind, Step } from './model.js';

/**
 * Reads a DR plan written in markdown into a typed model. The shape it expects is the one of
 * our DR-PLAN.md, not its words: any heading whose section holds a numbered list is a scenario,
 * each list item is a step, and fenced code under an item holds that step's commands, one per
 * line. The RPO and RTO are the first durations in the sections (or lines) that name them.
 */
export function parsePlan(markdown: string): Runbook {
  const lines = markdown.split(/\r?\n/);
  const warnings: PlanWarning[] = [];
  const headings: Heading[] = [];
  const sections: Section[] = [];
  let section: Section | undefined;
  let step: StepDraft | undefined;
  let fence: { marker: string; indent: number; line: number } | undefined;

  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!;
    const lineNo = index + 1;
    if (fence) {
      if (isFenceEnd(raw, fence.marker)) {
        fence = undefined;
        continue;
      }
      if (step) step.commandLines.push({ text: raw, line: lineNo });
      continue;
    }
    const fenceStart = /^(\s*)(`{3,}|~{3,})/.exec(raw);
    if (fenceStart) {
      fence = { marker: fenceStart[2]!, indent: fenceStart[1]!.length, line: lineNo };
      continue;
    }
    const heading = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(raw);
    if (heading) {
      step = undefined;
      const h: Heading = { level: heading[1]!.length, text: heading[2]!.trim(), line: lineNo };
      headings.push(h);
      section = { heading: h, parents: nearestParents(headings, h), body: [], steps: [] };
      sections.push(section);
      continue;
    }
    const item = /^( {0,3})(\d{1,3})[.)]\s+(.*)$/.exec(raw);
    if (item && section) {
      step = { number: Number(item[2]), text: item[3]!.trim(), line: lineNo, commandLines: [] };
      section.steps.push(step);
      continue;
    }
    if (section) section.body.push({ text: raw, line: lineNo });
    if (step && /^\s{2,}\S/.test(raw) && !/^\s*[-*+]\s/.test(raw)) {
      // A continuation line of the step's text (lazy paragraph continuation).
      step.text = `${step.text} ${raw.trim()}`;
    } else if (raw.trim() === '') {
      // Blank lines keep the current step open for an indented code block that follows.
    } else if (step && !/^\s/.test(raw)) {
      step = undefined;
    }
  }
  if (fence) warnings.push({ line: fence.line, column: 1, message: 'This code block is never closed.' });

  const title = headings.find((h) => h.level === 1)?.text;
  const rpoMs = objective(sections, lines, /\bRPO\b|recovery point objective/i);
  const rtoMs = objective(sections, lines, /\bRTO\b|recovery time objective/i);
  if (rpoMs === undefined) warnings.push({ line: 1, column: 1, message: 'The plan states no RPO (for example "RPO: 1 hour").' });
  if (rtoMs === undefined) warnings.push({ line: 1, column: 1, message: 'The plan states no RTO (for example "RTO: 4 hours").' });

  const ids = new Set<string>();
  const scenarios: Scenario[] = sections
    .filter((s) => s.steps.length > 0)
    .map((s) => {
      const titleText = scenarioTitle(s.heading.text);
      const steps = s.steps.map((d) => toStep(d, warnings));
      return { id: uniqueId(slug(titleText), ids), title: titleText, kind: scenarioKind(s), line: s.heading.line, steps };
    });
  return { title, rpoMs, rtoMs, scenarios, warnings };
}

interface Heading {
  readonly level: number;
  readonly text: string;
  readonly line: number;
}

interface TextLine {
  readonly text: string;
  readonly line: number;
}

interface StepDraft {
  readonly number: number;
  text: string;
  readonly line: number;
  readonly commandLines: TextLine[];
}

interface Section {
  readonly heading: Heading;
  readonly parents: readonly Heading[];
  readonly body: TextLine[];
  readonly steps: StepDraft[];
}

function isFenceEnd(raw: string, marker: string): boolean {
  const trimmed = raw.trim();
  return trimmed.startsWith(marker[0]!.repeat(marker.length)) && /^(`+|~+)$/.test(trimmed);
}

function nearestParents(headings: readonly Heading[], current: Heading): Heading[] {
  const parents: Heading[] = [];
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

function toStep(draft: StepDraft, warnings: PlanWarning[]): Step {
  const commands: Command[] = [];
  let pending: { text: string; line: number; column: number } | undefined;
  for (const { text, line } of draft.commandLines) {
    const column = text.length - text.trimStart().length + 1;
    const trimmed = text.trim();
    if (pending) {
      pending.text = `${pending.text} ${trimmed.replace(/\\$/, '').trim()}`;
    } else if (trimmed === '' || trimmed.startsWith('#')) {
      continue;
    } else {
      pending = { text: trimmed.replace(/\\$/, '').trim(), line, column };
    }
    if (!trimmed.endsWith('\\')) {
      commands.push(classifyCommand(pending.text, pending.line, pending.column));
      pending = undefined;
    }
  }
  if (pending) commands.push(classifyCommand(pending.text, pending.line, pending.column));
  const text = draft.text.replace(/:\s*$/, '');
  if (text === '') warnings.push({ line: draft.line, column: 1, message: `Step ${draft.number} has no text.` });
  return { number: draft.number, text, title: firstSentence(text), line: draft.line, commands, kind: stepKind(commands) };
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
    for (const l of s.body) {
      const found = findDuration(l.text);
      if (found !== undefined) return found;
    }
  }
  for (const line of lines) {
    const at = line.search(name);
    if (at < 0) continue;
    const found = findDuration(line.slice(at));
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

export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'scenario'
  );
}

function uniqueId(base: string, taken: Set<string>): string {
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}
