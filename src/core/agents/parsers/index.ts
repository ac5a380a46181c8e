// One entry point: the stream parser for an agent runtime.
import type { StreamParser } from './types';
import type { ParserOptions } from './common';
import { RUNTIME_LABELS } from '../runtimes';
import { createClaudeParser } from './claude';
import { createCodexParser } from './codex';
import { createGeminiParser } from './gemini';
import { createCommandParser } from './command';

export type ParserRuntime = 'claude' | 'codex' | 'gemini' | 'command' | 'sim';

/**
 * The parser for a runtime. `sim` speaks Claude's stream-json; anything unknown is parsed as a
 * plain command. Reasons name the program that ran (RUNTIME_LABELS) unless `opts.label` says.
 */
export function createParser(runtime: ParserRuntime, opts: ParserOptions = {}): StreamParser {
  opts = { ...opts, label: opts.label ?? RUNTIME_LABELS[runtime] };
  switch (runtime) {
    case 'claude':
    case 'sim':
      return createClaudeParser(opts);
    case 'codex':
      return createCodexParser(opts);
    case 'gemini':
      return createGeminiParser(opts);
    default:
      return createCommandParser(opts);
  }
}

export type { StreamParser, ExitStatus } from './types';
export type { ParserOptions, FormatParser } from './common';
export { truncateForLive, boundDepth, safeStringify, saneTime, saneDelay, MAX_WAIT_MS, MAX_JSON_DEPTH } from './common';
export { createClaudeParser } from './claude';
export { createCodexParser, type CodexParserOptions } from './codex';
export { createGeminiParser, GEMINI_EXIT_CODES } from './gemini';
export { createCommandParser, detectFormat, type AgentFormat, type CommandParser } from './command';
export { parseClaudeReset, parseCodexReset, parseGeminiRetry, parseAnyReset, nextMidnight } from './rateLimit';
