import type { MdBlock, MdLine, MdRow, MdSection } from './markdown';
import type { PackageStyle } from './packages';
import { normalizeLabel, parentheticals, splitLabel, withoutParentheticals } from './text';
import type { ImportedPackage, Notes } from './types';

/**
 * Checks what the document says about its packages as a whole (an execution order, the MVP
 * scope, a subtask index, "no dependencies") against what each package says of itself. Each
 * package's own sections win; every disagreement is reported with its line.
 */
export function checkDocument(
  sections: readonly MdSection[],
  preamble: readonly MdBlock[],
  packages: ImportedPackage[],
  style: PackageStyle,
  notes: Notes,
): void {
  const context = new DocumentContext(packages, style, notes);
  const blocks = [...preamble, ...sections.flatMap((section) => section.blocks)];
  const lines = summaryLines(blocks);
  const orderSections = sections.filter((section) =>
    ORDER_LABEL.test(normalizeLabel(section.heading.text)),
  );
  for (const section of orderSections) warnOfDiagrams(section.blocks, style, notes);
  // Without an `Execution Order:` label, the first list of ids under such a heading is the order.
  const order = lines.order.length
    ? lines.order
    : orderSections.flatMap((section) => firstListOfIds(section.blocks, style));
  checkExecutionOrder(order, lines.order.length > 0 && lines.chain, context);
  applyMvpScope(lines.mvp, lines.postMvp, context);
  checkNoDependencies(lines.none, context);
  for (const block of blocks) if (block.kind === 'table') checkSubtaskIndex(block, context);
  for (const section of sections) {
    if (SPRINT_CHECKS_LABEL.test(normalizeLabel(section.heading.text))) {
      notes.warning(
        section.heading.line,
        `“${section.heading.text}” is not imported: put the commands that must pass on the merged work in integration.checks`,
      );
    }
  }
}

const ORDER_LABEL =
  /\b(?:execution order|execution plan|execution strategy|execution summary|order of work|waves?|sequence)\b/;
const MVP_LABEL = /^mvp(?: scope)?$/;
const POST_MVP_LABEL = /^(?:post-mvp|post mvp|nice-to-have)\b/;
const SPRINT_CHECKS_LABEL =
  /^(?:success metrics|success criteria|acceptance criteria|definition of done)$/;
const NO_DEPENDENCIES = /\bno (?:inter)?dependencies\b/i;
const GROUP_WORD = /\b(?:wave|phase|step|stage|tier|level|lane|group|batch)\b/i;

class DocumentContext {
  readonly byId: Map<string, ImportedPackage>;
  constructor(
    readonly packages: ImportedPackage[],
    readonly style: PackageStyle,
    readonly notes: Notes,
  ) {
    this.byId = new Map(packages.map((pkg) => [pkg.id, pkg]));
  }

  /** Every package `id` needs, directly or through others. */
  needs(id: string): Set<string> {
    const seen = new Set<string>();
    const visit = (current: string): void => {
      for (const dep of this.byId.get(current)?.dependsOn ?? []) {
        if (seen.has(dep.id)) continue;
        seen.add(dep.id);
        visit(dep.id);
      }
    };
    visit(id);
    return seen;
  }

  dependencyLine(pkg: ImportedPackage): number {
    return pkg.dependenciesLine ?? pkg.dependsOn[0]?.line ?? pkg.line;
  }
}

interface SummaryLines {
  /** Execution order steps: one line or list item per step. */
  order: MdLine[];
  /** The order is one `WP01 → WP02 → WP03` line: a sequence that may be stricter than needed. */
  chain: boolean;
  mvp: MdLine[];
  postMvp: MdLine[];
  none: MdLine[];
}

/** Lines labelled `Execution Order:` (with the list after them), `MVP Scope:`, and the like. */
function summaryLines(blocks: readonly MdBlock[]): SummaryLines {
  const found: SummaryLines = { order: [], chain: false, mvp: [], postMvp: [], none: [] };
  let orderListNext = false;
  const labelled = (line: MdLine): boolean => {
    const split = splitLabel(line.text);
    if (!split) return false;
    orderListNext = false;
    const value = { text: split.value, line: line.line };
    if (ORDER_LABEL.test(split.label)) {
      if (!split.value) orderListNext = true;
      else if (!found.order.length) {
        const steps = arrowSteps(value);
        found.order.push(...steps);
        found.chain = steps.length > 1;
      }
    } else if (MVP_LABEL.test(split.label)) found.mvp.push(value);
    else if (POST_MVP_LABEL.test(split.label)) found.postMvp.push(value);
    return true;
  };
  for (const block of blocks) {
    if (block.kind === 'list') {
      const items = block.items.map((item) => ({ text: item.text, line: item.line }));
      found.none.push(...items.filter((item) => NO_DEPENDENCIES.test(item.text)));
      if (orderListNext) {
        found.order.push(...items);
        orderListNext = false;
        continue;
      }
      for (const item of items) labelled(item);
      continue;
    }
    if (block.kind !== 'paragraph') continue;
    for (const line of block.lines) {
      if (NO_DEPENDENCIES.test(line.text)) found.none.push(line);
      labelled(line);
    }
  }
  return found;
}

/** `WP01 → WP02 + WP03 → WP04` is three steps on one line. */
function arrowSteps(line: MdLine): MdLine[] {
  return line.text.split(/→|->|⟶|=>/).map((text) => ({ text: text.trim(), line: line.line }));
}

function firstListOfIds(blocks: readonly MdBlock[], style: PackageStyle): MdLine[] {
  for (const block of blocks) {
    if (block.kind !== 'list') continue;
    const items = block.items
      .map((item) => ({ text: item.text, line: item.line }))
      .filter((item) => !isNamedLabel(item.text));
    if (items.some((item) => style.idsIn(item.text).length)) return items;
  }
  return [];
}

/** `Parallelization: …` is a remark, while `Wave 1: WP01, WP02` is a step of an order. */
function isNamedLabel(text: string): boolean {
  const split = splitLabel(text);
  return Boolean(split && !/\d/.test(split.label));
}

function warnOfDiagrams(blocks: readonly MdBlock[], style: PackageStyle, notes: Notes): void {
  for (const block of blocks) {
    if (block.kind === 'code' && new Set(style.idsIn(block.text)).size > 1) {
      notes.warning(
        block.line,
        'the diagram is not read: dependencies come from each package, checked against the Execution Order list',
      );
    }
  }
}

interface Step {
  index: number;
  line: number;
}

function checkExecutionOrder(
  lines: readonly MdLine[],
  chain: boolean,
  context: DocumentContext,
): void {
  const stepOf = new Map<string, Step>();
  const stated: Array<{ pkg: ImportedPackage; line: number; deps: string[] | 'all' }> = [];
  let index = 0;
  for (const line of lines) {
    const ids = context.style.idsIn(withoutParentheticals(line.text));
    if (!ids.length) continue;
    index += 1;
    for (const id of ids) {
      const pkg = context.byId.get(id);
      const earlier = stepOf.get(id);
      if (!pkg) {
        context.notes.problem(
          line.line,
          `the Execution Order names ${id}, which is not a package here`,
        );
      } else if (earlier) {
        context.notes.problem(
          line.line,
          `the Execution Order lists ${id} twice (first in step ${earlier.index}, line ${earlier.line})`,
        );
      } else {
        stepOf.set(id, { index, line: line.line });
        const deps = statedDependencies(line.text, context.style);
        if (deps) stated.push({ pkg, line: line.line, deps });
      }
    }
  }
  if (!stepOf.size) return;
  for (const pkg of context.packages) {
    checkStep(pkg, stepOf, context, { line: lines[0]?.line ?? pkg.line, chain });
  }
  for (const claim of stated) checkStatedDependencies(claim.pkg, claim.line, claim.deps, context);
}

/** `WP04 (depends on WP02)` → [WP02]; `(depends on all)` → all. */
function statedDependencies(text: string, style: PackageStyle): string[] | 'all' | undefined {
  for (const remark of parentheticals(text)) {
    const match = /\b(?:depends on|after|needs|requires)\b(.*)$/i.exec(remark);
    if (!match) continue;
    if (/^\s*(?:all|everything)\b/i.test(match[1] ?? '')) return 'all';
    const ids = style.idsIn(match[1] ?? '');
    if (ids.length) return ids;
  }
  return undefined;
}

function checkStep(
  pkg: ImportedPackage,
  stepOf: ReadonlyMap<string, Step>,
  context: DocumentContext,
  order: { line: number; chain: boolean },
): void {
  const step = stepOf.get(pkg.id);
  if (!step) {
    if (!order.chain) context.notes.warning(order.line, `${pkg.id} is not in the Execution Order`);
    return;
  }
  let earliest = 1;
  for (const dep of pkg.dependsOn) {
    const depStep = stepOf.get(dep.id);
    if (!depStep) continue;
    earliest = Math.max(earliest, depStep.index + 1);
    if (depStep.index >= step.index) {
      context.notes.problem(
        step.line,
        `the Execution Order has ${pkg.id} in step ${step.index}, but it depends on ${dep.id} (line ${dep.line}), which comes in step ${depStep.index}`,
      );
    }
  }
  if (step.index > earliest && !order.chain) {
    context.notes.warning(
      step.line,
      `the Execution Order has ${pkg.id} in step ${step.index}, but its dependencies (line ${context.dependencyLine(pkg)}) let it start in step ${earliest}; the sprint follows the dependencies`,
    );
  }
}

function checkStatedDependencies(
  pkg: ImportedPackage,
  line: number,
  deps: string[] | 'all',
  context: DocumentContext,
): void {
  const needs = context.needs(pkg.id);
  const claimed =
    deps === 'all' ? context.packages.map((other) => other.id).filter((id) => id !== pkg.id) : deps;
  const missing = claimed.filter((id) => !needs.has(id));
  if (!missing.length) return;
  const says = deps === 'all' ? 'depends on all' : `depends on ${deps.join(', ')}`;
  context.notes.problem(
    line,
    `the Execution Order says ${pkg.id} ${says}, but by its dependencies (line ${context.dependencyLine(pkg)}) it does not need ${missing.join(', ')}`,
  );
}

/** `MVP Scope: WP01 + WP02 + WP04` sets the MVP mark a heading left out and checks the others. */
function applyMvpScope(
  mvp: readonly MdLine[],
  postMvp: readonly MdLine[],
  context: DocumentContext,
): void {
  for (const line of mvp) {
    const listed = listedIds(line, context);
    if (!listed.size) continue;
    for (const pkg of context.packages) {
      const inScope = listed.has(pkg.id);
      if (pkg.mvp === undefined) {
        if (inScope) pkg.mvp = true;
      } else if (pkg.mvp !== inScope) {
        context.notes.problem(
          line.line,
          pkg.mvp
            ? `the MVP scope leaves out ${pkg.id}, which its heading (line ${pkg.line}) marks MVP`
            : `the MVP scope lists ${pkg.id}, which its heading (line ${pkg.line}) marks post-MVP`,
        );
      }
    }
  }
  for (const line of postMvp) {
    for (const id of listedIds(line, context)) {
      const pkg = context.byId.get(id);
      if (pkg?.mvp === undefined) {
        if (pkg) pkg.mvp = false;
      } else if (pkg.mvp) {
        context.notes.problem(
          line.line,
          `${id} is listed as post-MVP, but its heading (line ${pkg.line}) marks it MVP`,
        );
      }
    }
  }
}

/** The package ids a summary line names (outside its remarks); unknown ones are reported. */
function listedIds(line: MdLine, context: DocumentContext): Set<string> {
  const listed = new Set(context.style.idsIn(withoutParentheticals(line.text)));
  for (const id of listed) {
    if (!context.byId.has(id)) {
      context.notes.problem(line.line, `the scope names ${id}, which is not a package here`);
      listed.delete(id);
    }
  }
  return listed;
}

/** `No dependencies between the packages` said of the whole plan, not of some or of a wave. */
function checkNoDependencies(lines: readonly MdLine[], context: DocumentContext): void {
  const [first] = lines.filter(
    (line) => !context.style.idsIn(line.text).length && !GROUP_WORD.test(line.text),
  );
  const dependent = context.packages.find((pkg) => pkg.dependsOn.length);
  if (!first || !dependent) return;
  const dep = dependent.dependsOn[0];
  context.notes.problem(
    first.line,
    `the document says “${first.text}”, but ${dependent.id} depends on ${dep?.id} (line ${dep?.line})`,
  );
}

/**
 * A table with an id column and a package column (a subtask index): a package that lists no
 * subtasks of its own takes its rows as its subtasks; one that does must agree with it.
 */
function checkSubtaskIndex(
  table: Extract<MdBlock, { kind: 'table' }>,
  context: DocumentContext,
): void {
  const columns = table.header.cells.map((cell) => normalizeLabel(cell));
  const idColumn = columns.findIndex((name) => /^(?:id|task|subtask|task id)$/.test(name));
  const pkgColumn = columns.findIndex((name) => /^(?:wp|work package|package|pod)$/.test(name));
  const titleColumn = columns.findIndex(
    (name, i) => i !== idColumn && /^(?:description|title|summary|subtask|task)$/.test(name),
  );
  const priorityColumn = columns.indexOf('priority');
  if (idColumn < 0 || pkgColumn < 0) return;
  const listed = new Set(context.packages.filter((pkg) => pkg.tasks.length).map((pkg) => pkg.id));
  const priorityReported = new Set<string>();
  for (const row of table.rows) {
    const found = indexRow(row, idColumn, pkgColumn, context);
    if (!found) continue;
    const { pkg, taskId } = found;
    if (listed.has(pkg.id)) checkIndexRow(pkg, taskId, row, context);
    else adoptIndexRow(pkg, taskId, row.cells[titleColumn] ?? '');
    const priority = row.cells[priorityColumn]?.trim().toUpperCase();
    if (!priority || !pkg.priority || priority === pkg.priority || priorityReported.has(pkg.id))
      continue;
    priorityReported.add(pkg.id);
    context.notes.warning(
      row.line,
      `the subtask index gives ${pkg.id}'s subtasks priority ${priority}, its heading (line ${pkg.line}) ${pkg.priority}; the heading wins`,
    );
  }
}

// One word, as a sprint file's task id: `T001`, not a range like `T001–T004`.
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function indexRow(
  row: MdRow,
  idColumn: number,
  pkgColumn: number,
  context: DocumentContext,
): { pkg: ImportedPackage; taskId: string } | undefined {
  const taskId = (row.cells[idColumn] ?? '').replace(/`/g, '').trim();
  const [pkgId] = context.style.idsIn(row.cells[pkgColumn] ?? '');
  if (!taskId || !pkgId || !TASK_ID.test(taskId)) return undefined;
  const pkg = context.byId.get(pkgId);
  if (!pkg) {
    context.notes.problem(
      row.line,
      `the subtask index puts ${taskId} in ${pkgId}, which is not a package here`,
    );
    return undefined;
  }
  return { pkg, taskId };
}

function checkIndexRow(
  pkg: ImportedPackage,
  taskId: string,
  row: MdRow,
  context: DocumentContext,
): void {
  if (pkg.tasks.some((task) => task.id === taskId)) return;
  const owner = context.packages.find((other) => other.tasks.some((task) => task.id === taskId));
  context.notes.problem(
    row.line,
    owner
      ? `the subtask index puts ${taskId} in ${pkg.id}, but it is listed under ${owner.id} (line ${owner.line})`
      : `the subtask index puts ${taskId} in ${pkg.id}, but no package lists ${taskId}`,
  );
}

function adoptIndexRow(pkg: ImportedPackage, taskId: string, title: string): void {
  if (pkg.tasks.some((task) => task.id === taskId)) return;
  pkg.tasks.push({ id: taskId, title: title.replace(/`/g, '').trim() || taskId });
}
