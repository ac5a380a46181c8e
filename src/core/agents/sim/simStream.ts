// The simulated agent's steady stream (`sim: stream`, or HUSKIES_SIM=stream): messages at a fixed
// rate for a fixed time, mixed as a real Claude Code session's are (text, thinking, tool calls and
// their results of varied size), so a benchmark can ask for "30 agents × 200 messages/s".
//   HUSKIES_SIM_RATE     messages per second (default 200)
//   HUSKIES_SIM_SECONDS  how long (default 10); exactly round(rate × seconds) messages are printed
import { mulberry32 } from '../../util/prng';

export interface StreamPlan {
  rate: number;
  seconds: number;
  total: number;
}

export function streamPlan(env: NodeJS.ProcessEnv): StreamPlan {
  const num = (v: string | undefined, d: number) => {
    const n = Number(v);
    return Number.isFinite(n) && n > 0 ? n : d;
  };
  const rate = num(env.HUSKIES_SIM_RATE, 200);
  const seconds = num(env.HUSKIES_SIM_SECONDS, 10);
  return { rate, seconds, total: Math.round(rate * seconds) };
}

/** One content block of an assistant message, or a tool result. */
export type StreamBlock = { role: 'assistant'; block: Record<string, unknown> } | { role: 'user'; toolUseId: string; content: string };

const WORDS = 'the orchestrator reads each story file and the agent edits the code then runs the tests before it commits its work on the branch'.split(' ');
const TOOLS = ['Read', 'Bash', 'Edit', 'Grep', 'Write'];

const rng = mulberry32;

function words(r: () => number, chars: number): string {
  let s = '';
  while (s.length < chars) s += WORDS[Math.floor(r() * WORDS.length)] + (r() < 0.08 ? '.\n' : ' ');
  return s.slice(0, chars);
}

/**
 * The i-th message of the stream. A turn is: sometimes a thinking block, a text, a tool call and
 * its result; sizes follow a real session's (short texts, tool results from a line to tens of KB).
 */
export function* streamBlocks(total: number, seed = 1): Generator<StreamBlock> {
  const r = rng(seed);
  let n = 0;
  let turn = 0;
  while (n < total) {
    turn++;
    if (r() < 0.3 && n < total) {
      n++;
      yield { role: 'assistant', block: { type: 'thinking', thinking: words(r, 80 + Math.floor(r() * 600)), signature: 'sim' } };
    }
    if (n < total) {
      n++;
      yield { role: 'assistant', block: { type: 'text', text: words(r, 40 + Math.floor(r() * (r() < 0.1 ? 3000 : 400))) } };
    }
    if (n + 2 > total) continue; // a tool call is printed with its result, never alone
    const id = `toolu_stream${turn}`;
    const name = TOOLS[turn % TOOLS.length];
    const input =
      name === 'Bash'
        ? { command: `npm test -- --grep ${words(r, 20).trim()}`, description: 'Run the tests' }
        : { file_path: `/work/src/${words(r, 12).trim().replace(/ /g, '_')}.ts` };
    n += 2;
    yield { role: 'assistant', block: { type: 'tool_use', id, name, input } };
    // Most results are small; one in ten is a file or a test log of 4–40 KB.
    const size = r() < 0.1 ? 4096 + Math.floor(r() * 36_000) : 60 + Math.floor(r() * 1500);
    yield { role: 'user', toolUseId: id, content: words(r, size) };
  }
}

/** Prints the stream at the planned rate: a burst every few ms catching up with rate × elapsed. */
export async function runStream(plan: StreamPlan, print: (b: StreamBlock) => void): Promise<number> {
  const blocks = streamBlocks(plan.total);
  const t0 = Date.now();
  let sent = 0;
  while (sent < plan.total) {
    const due = Math.min(plan.total, Math.floor(((Date.now() - t0) / 1000) * plan.rate) + 1);
    while (sent < due) {
      const b = blocks.next();
      if (b.done) return sent;
      print(b.value);
      sent++;
    }
    await new Promise((res) => setTimeout(res, 5));
  }
  return sent;
}
