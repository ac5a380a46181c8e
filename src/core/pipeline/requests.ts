// Requests from a second process (a `huskies` command while VS Code or `huskies run` drives the
// project) to the one that drives it: a file per request under .huskies/requests/, taken by the
// leader with an atomic rename, answered with a reply file. Nothing is changed by the follower.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Command } from '../model/commands';
import { LeaderUnavailableError } from '../model/errors';
import { writeFileAtomic } from '../util/fsAtomic';
import type { RequestResult } from './pipeline';

/** The commands a follower may send; everything else is refused before it reaches the pipeline. */
const STAGE = z.enum(['backlog', 'current', 'qa', 'merge', 'done', 'archived']);
const SOURCE = z.enum(['user', 'cli', 'board']);
const id = z.number().int().positive();
const text = z.string().max(20_000);
const action = z.union([
  z.object({ tool: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/), args: z.record(z.string(), z.unknown()) }),
  z.object({ prompt: text.min(1), agent: z.string().max(64).optional() }),
]);
const schedId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/);
export const followerCommand = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('item.create'),
    name: text.min(1),
    itemType: z.enum(['story', 'bug', 'spike', 'refactor']),
    criteria: z.array(text).max(200),
    description: text.optional(),
    source: SOURCE,
  }),
  z.object({ type: z.literal('item.move'), id, to: STAGE, source: SOURCE, reason: text.optional() }),
  z.object({ type: z.literal('item.unblock'), id, source: SOURCE }),
  z.object({ type: z.literal('item.approve'), id, source: SOURCE }),
  z.object({ type: z.literal('item.reject'), id, feedback: text.min(1), source: SOURCE }),
  z.object({ type: z.literal('item.abandon'), id, reason: text.min(1), source: SOURCE }),
  z.object({ type: z.literal('item.transition'), id, kind: z.enum(['demote', 'fixup']), source: SOURCE, reason: text.optional() }),
  z.object({ type: z.literal('item.answer'), id, answer: text.min(1), source: SOURCE }),
  z.object({ type: z.literal('run.stop'), id, kind: z.literal('cancelled'), reason: text, byUser: z.literal(true), source: SOURCE }),
  z.object({ type: z.literal('agent.acknowledge'), name: z.string().max(64), source: SOURCE }),
  z.object({ type: z.literal('control.pause'), id: id.optional(), reason: text, source: SOURCE }),
  z.object({ type: z.literal('control.resume'), id: id.optional(), source: SOURCE }),
  z.object({
    type: z.literal('timer.add'),
    timer: z.object({
      id: schedId,
      at: z.string().max(64).optional(),
      every: z.union([z.string().max(64), z.number()]).optional(),
      cron: z.string().max(200).optional(),
      timezone: z.string().max(64),
      action,
      name: z.string().max(200).optional(),
    }),
    source: SOURCE,
  }),
  z.object({ type: z.literal('timer.cancel'), timerId: schedId, source: SOURCE }),
  z.object({
    type: z.literal('trigger.add'),
    trigger: z.object({
      id: schedId,
      when: z.object({
        from: STAGE.optional(),
        to: STAGE.optional(),
        type: z.enum(['story', 'bug', 'spike', 'refactor']).optional(),
        story: id.optional(),
        key: z.string().max(64).optional(),
        value: z.union([z.string().max(200), z.number(), z.boolean()]).optional(),
        label: z.string().max(64).optional(),
      }),
      action,
      mode: z.enum(['once', 'persistent']).optional(),
      name: z.string().max(200).optional(),
    }),
    source: SOURCE,
  }),
  z.object({ type: z.literal('trigger.cancel'), triggerId: schedId, source: SOURCE }),
  z.object({ type: z.literal('control.note'), id: id.optional(), text: text.min(1), source: SOURCE }),
  z.object({
    type: z.literal('run.enqueue'),
    id,
    source: SOURCE,
    agent: z.string().max(64).optional(),
    prompt: text.optional(),
    attempt: z.number().int().min(1).max(1000),
    sessionId: z.string().max(200).optional(),
    history: z.array(text).max(10).optional(),
    reason: text.optional(),
    clearTimers: z.boolean().optional(),
    supersedes: z.object({ runId: z.string().max(128), handled: z.literal('followed-up'), ifUnhandled: z.literal(true).optional() }).optional(),
  }),
]);

const requestFile = z.object({ id: z.string().regex(/^[a-z0-9-]{8,64}$/), pid: z.number().int(), at: z.number(), cmd: z.unknown() });
const replyFile = z.object({ ok: z.boolean(), refusal: z.string().optional(), runId: z.string().optional(), itemId: z.number().optional() });
export type Reply = z.infer<typeof replyFile>;

export class RequestQueue {
  readonly dir: string;
  private serving = false;

  constructor(huskiesDir: string) {
    this.dir = path.join(huskiesDir, 'requests');
  }

  /** Follower side: sends a command and waits for the leader's reply. */
  async send(cmd: Command, timeoutMs = Number(process.env.HUSKIES_REQUEST_TIMEOUT_MS) || 15_000): Promise<Reply> {
    await fs.mkdir(this.dir, { recursive: true });
    const rid = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
    const file = path.join(this.dir, `${rid}.json`);
    const reply = path.join(this.dir, `${rid}.reply.json`);
    await writeFileAtomic(file, JSON.stringify({ id: rid, pid: process.pid, at: Date.now(), cmd }));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await fs.readFile(reply, 'utf8').catch(() => undefined);
      if (text !== undefined) {
        await fs.rm(reply, { force: true });
        const r = replyFile.safeParse(JSON.parse(text));
        if (!r.success) throw new LeaderUnavailableError('The orchestrator that drives this project sent a reply that cannot be read.');
        return r.data;
      }
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Not taken in time: withdraw it, so nothing happens later behind the user's back.
    const withdrawn = await fs.rm(file).then(
      () => true,
      () => false,
    );
    throw new LeaderUnavailableError(
      withdrawn
        ? 'The orchestrator that drives this project did not take the request in time; nothing was changed.'
        : 'The orchestrator that drives this project took the request but did not answer in time; check `huskies status`.',
    );
  }

  /** Leader side: takes every waiting request, runs it, writes the reply. */
  async serve(run: (cmd: Command) => Promise<RequestResult>): Promise<void> {
    if (this.serving) return;
    this.serving = true;
    try {
      const names = await fs.readdir(this.dir).catch(() => [] as string[]);
      for (const n of names.sort()) {
        if (!/^[a-z0-9-]+\.json$/.test(n) || n.endsWith('.reply.json')) continue;
        const file = path.join(this.dir, n);
        const taken = `${file}.taken`;
        if (
          !(await fs.rename(file, taken).then(
            () => true,
            () => false,
          ))
        )
          continue;
        const rid = n.slice(0, -5);
        let reply: Reply;
        try {
          const req = requestFile.parse(JSON.parse(await fs.readFile(taken, 'utf8')));
          const cmd = followerCommand.safeParse(req.cmd);
          if (!cmd.success) reply = { ok: false, refusal: `request refused: ${cmd.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
          else {
            const r = await run(cmd.data as Command);
            if (!r.ok) reply = { ok: false, refusal: r.refusal };
            else {
              const queued = r.events.find((e) => e.type === 'run.queued');
              const created = r.events.find((e) => e.type === 'item.created');
              reply = { ok: true, runId: queued?.type === 'run.queued' ? queued.run.runId : undefined, itemId: created?.type === 'item.created' ? created.item.id : undefined };
            }
          }
        } catch (err) {
          reply = { ok: false, refusal: `request refused: ${(err as Error).message}` };
        }
        await writeFileAtomic(path.join(this.dir, `${rid}.reply.json`), JSON.stringify(reply));
        await fs.rm(taken, { force: true });
      }
    } finally {
      this.serving = false;
    }
  }
}
