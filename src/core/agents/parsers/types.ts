// The contract every agent program's stream parser fulfils: lines in, messages out,
// and at the end one outcome decided from what was seen plus the exit status.
import type { AgentMessage, RunOutcome } from '../../model/agentMessage';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last few KiB of stderr, for reasons when stdout said nothing useful. */
  stderrTail: string;
}

export interface StreamParser {
  /** One line of stdout (without the newline). Unknown or unparsable lines yield no messages, never throw. */
  line(line: string): AgentMessage[];
  /** One line of stderr; may yield notices (retry progress) but usually nothing. */
  stderrLine(line: string): AgentMessage[];
  /** Called once when the process has exited. `now` is epoch ms, for relative reset times. */
  finish(exit: ExitStatus, now: number): RunOutcome;
}
