/**
 * AI coding agent CLIs a package can hand its work to: the command line that runs each one
 * without a person at the keyboard, and the prompt built from the package. Pure: the worker
 * finds the executable and runs the line in the package's worktree.
 */

export const AGENTS = ['claude', 'codex', 'aider', 'gemini'] as const;
export type AgentName = (typeof AGENTS)[number];

/** What the worker runs for an agent package: which agent, told what. */
export interface AgentRun {
  agent: AgentName;
  prompt: string;
}

/** A dependency's outcome as the dependent's agent is told it. */
export interface DependencySummary {
  id: string;
  title: string;
  /** Its summary (an external report) or its last progress note. */
  note?: string;
}

/** The fields of a package the prompt is built from; all but the id and title are optional. */
export interface AgentPackage {
  id: string;
  title: string;
  description?: string;
  tasks?: ReadonlyArray<{ id: string; title: string; done?: boolean }>;
  test?: string;
  prompt?: string;
}

/**
 * Each agent's documented non-interactive form. The prompt is always one argument of its own
 * and always begins with fixed text, so it is never read as an option.
 */
const ARGUMENTS: Record<AgentName, (prompt: string) => string[]> = {
  // Print mode answers once and exits; acceptEdits lets it change files without asking.
  claude: (prompt) => ['--permission-mode', 'acceptEdits', '-p', prompt],
  // `exec` is the non-interactive subcommand; it may write inside the worktree only.
  codex: (prompt) => ['exec', '--sandbox', 'workspace-write', prompt],
  // One message, then exit; sprintwave commits, so aider does not.
  aider: (prompt) => ['--message', prompt, '--yes-always', '--no-auto-commits'],
  // Headless mode; auto_edit approves file edits.
  gemini: (prompt) => ['--approval-mode', 'auto_edit', '--prompt', prompt],
};

export function isAgentName(name: string): name is AgentName {
  return (AGENTS as readonly string[]).includes(name);
}

/** The arguments after the executable. */
export function agentArguments(agent: AgentName, prompt: string): string[] {
  return ARGUMENTS[agent](prompt);
}

/** The variable that names the executable used for `agent` (`SPRINTWAVE_AGENT_CLAUDE`). */
export function agentExecutableVariable(agent: AgentName): string {
  return `SPRINTWAVE_AGENT_${agent.toUpperCase()}`;
}

/** A `sh -c` command line that runs `executable` with exactly these arguments, nothing expanded. */
export function agentCommandLine(executable: string, agent: AgentName, prompt: string): string {
  return [executable, ...agentArguments(agent, prompt)].map(shellQuote).join(' ');
}

/** Single quotes keep every character literal; a quote inside is closed, escaped and reopened. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** What the agent is told: the package, its subtasks and test, what it builds on, the user's words. */
export function agentPrompt(wp: AgentPackage, dependencies: readonly DependencySummary[]): string {
  const sections = [
    `You are working on work package ${wp.id}: ${wp.title}.`,
    'You are in a git worktree on the branch of this package. Make the changes here; ' +
      'they are committed for you when you finish.',
    paragraph('Goal:', wp.description),
    listSection(
      'Subtasks:',
      (wp.tasks ?? []).map((task) => `${task.done ? '[x]' : '[ ]'} ${task.id} ${task.title}`),
    ),
    paragraph('Independent test (how this package is checked on its own):', wp.test),
    listSection(
      'This package builds on these packages; their work is already merged into this branch:',
      dependencies.map(dependencyLine),
    ),
    paragraph('Instructions:', wp.prompt),
  ];
  // A NUL cannot be passed as an argument; nothing a person writes needs one.
  return sections
    .filter((section): section is string => Boolean(section))
    .join('\n\n')
    .replace(/\0/g, '');
}

function paragraph(heading: string, text: string | undefined): string | undefined {
  return text?.trim() ? `${heading}\n${text.trim()}` : undefined;
}

function listSection(heading: string, lines: readonly string[]): string | undefined {
  return lines.length ? `${heading}\n${lines.map((line) => `- ${line}`).join('\n')}` : undefined;
}

function dependencyLine(dep: DependencySummary): string {
  const note = dep.note?.trim();
  return note ? `${dep.id} (${dep.title}): ${note}` : `${dep.id} (${dep.title})`;
}
