// Parser for any program: plain text lines become `text` messages; JSON lines in one of the
// three agent formats (Claude stream-json, Codex exec --json, Gemini stream-json) are handed
// to the matching parser, the format being fixed by the first JSON object that matches one.
import type { AgentMessage, RunOutcome } from '../../model/agentMessage';
import type { ExitStatus, StreamParser } from './types';
import { exitedZero, exitReason, type FormatParser, type Json, oneLine, parseJsonObject, type ParserOptions, StderrLog, str, stripAnsi } from './common';
import { createClaudeParser } from './claude';
import { createCodexParser } from './codex';
import { createGeminiParser } from './gemini';

export type AgentFormat = 'claude' | 'codex' | 'gemini';

const CLAUDE_TYPES = new Set(['system', 'assistant', 'user', 'result', 'rate_limit_event', 'stream_event']);
const GEMINI_TYPES = new Set(['init', 'message', 'tool_use', 'tool_result', 'result', 'error']);

/** Which agent format a JSON object belongs to, if any. */
export function detectFormat(ev: Json): AgentFormat | undefined {
  const type = str(ev.type);
  if (!type) return undefined;
  if (CLAUDE_TYPES.has(type) && typeof ev.session_id === 'string') return 'claude';
  if (/^(thread|turn|item)\./.test(type)) return 'codex';
  if (GEMINI_TYPES.has(type) && typeof ev.timestamp === 'string') return 'gemini';
  return undefined;
}

export interface CommandParser extends StreamParser {
  /** The agent format detected on stdout, if any. */
  format(): AgentFormat | undefined;
}

export function createCommandParser(opts: ParserOptions = {}): CommandParser {
  let format: AgentFormat | undefined;
  let sub: FormatParser | undefined;
  let lastTextLine: string | undefined;
  const stderr = new StderrLog(500);

  function textLine(raw: string): AgentMessage[] {
    // A progress bar redraws with \r: only the last drawing counts.
    const segments = stripAnsi(raw).split('\r');
    let text = '';
    for (let i = segments.length - 1; i >= 0; i--) {
      if (segments[i].trim()) {
        text = segments[i];
        break;
      }
    }
    text = text.replace(/\s+$/, '');
    if (text.trim()) lastTextLine = text;
    return [{ kind: 'text', text: text + '\n' }];
  }

  function line(raw: string): AgentMessage[] {
    try {
      const ev = parseJsonObject(raw);
      if (ev) {
        if (!format) {
          const f = detectFormat(ev);
          if (f) {
            format = f;
            sub = f === 'claude' ? createClaudeParser(opts) : f === 'codex' ? createCodexParser(opts) : createGeminiParser(opts);
          }
        }
        if (sub && detectFormat(ev) === format) return sub.line(raw);
        // Codex and Claude lines are recognised without a timestamp / session id too once the format is known.
        if (sub && format === 'codex' && ev.type === 'error') return sub.line(raw);
      }
      return textLine(raw);
    } catch {
      return [];
    }
  }

  function stderrLine(raw: string): AgentMessage[] {
    try {
      if (sub) {
        stderr.add(raw);
        return sub.stderrLine(raw);
      }
      const l = stderr.add(raw);
      return l === undefined ? [] : stderr.notice(l, 'info');
    } catch {
      return [];
    }
  }

  function decide(exit: ExitStatus, now: number): RunOutcome {
    if (sub && sub.sawFinal()) return sub.finish(exit, now);
    const subOut = sub?.finish(exit, now);
    if (exitedZero(exit)) {
      const out: RunOutcome = { ok: true, kind: 'success' };
      const sessionId = subOut?.sessionId ?? sub?.sessionId();
      if (sessionId !== undefined) out.sessionId = sessionId;
      if (subOut?.usage) out.usage = subOut.usage;
      if (subOut?.costUsd !== undefined) out.costUsd = subOut.costUsd;
      const text = subOut?.text ?? lastTextLine;
      if (text !== undefined) out.text = text;
      return out;
    }
    if (subOut) return subOut;
    if (exit.signal) return { ok: false, kind: 'failed', reason: exitReason(exit) };
    const detail = stderr.meaningful(exit) ?? (lastTextLine ? oneLine(lastTextLine) : undefined);
    return { ok: false, kind: 'failed', reason: exitReason(exit, detail) };
  }

  function finish(exit: ExitStatus, now: number): RunOutcome {
    try {
      return decide(exit, now);
    } catch (e) {
      return { ok: false, kind: 'failed', reason: `could not read the outcome: ${String(e)}` };
    }
  }

  return { line, stderrLine, finish, format: () => format };
}
