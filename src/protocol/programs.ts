// The name of the program an agent runs, as the board shows it: the runtime's own program, the
// command's name for a custom command, and never a real program's name for the simulated agent.

const PROGRAM_NAMES: Record<string, string> = {
  claude: 'Claude Code',
  codex: 'Codex',
  gemini: 'Gemini CLI',
  sim: 'simulated agent',
};

/**
 * The program's name for a runtime (`claude`, `codex`, `gemini`, `sim`, `command`); for a command,
 * the base name of its program (`program` in agents.toml). Undefined while nothing says (a queued
 * run has no runtime yet).
 */
export function programName(runtime: string | undefined, program?: string): string | undefined {
  if (!runtime) return undefined;
  const known = PROGRAM_NAMES[runtime];
  if (known) return known;
  if (runtime === 'command') {
    const base = program?.trim().split(/[\\/]/).filter(Boolean).pop();
    return base || 'agent command';
  }
  return runtime;
}
