// Runs the policies: each event goes to each policy, and what they answer goes to the pipeline.
// Refusals of policy commands are expected (another event got there first) and only logged.
// Auto-assign runs after every event; a command it gave that the pipeline has not answered yet is
// not given again (30 stories moved at once would otherwise queue 30 × 30 enqueues, all but 30 refused).
import type { Command } from '../model/commands';
import type { HuskiesEvent } from '../model/events';
import type { EventBus } from '../pipeline/eventBus';
import type { RequestResult } from '../pipeline/pipeline';
import type { StateView } from '../state/types';
import type { Logger } from '../util/log';
import { autoAssign } from './autoAssign';
import { reviewers } from './reviewers';
import { runEndings } from './runEndings';
import { stageGuard } from './stageGuard';
import { triggers } from './triggers';
import type { PolicyContext } from './types';

export class PolicyRunner {
  private sub?: { dispose(): void };
  private assignQueued = false;
  /** Auto-assign's commands asked and not yet answered, by their JSON. */
  private pending = new Set<string>();

  constructor(
    private readonly bus: EventBus,
    private readonly state: StateView,
    private readonly context: () => PolicyContext,
    private readonly request: (c: Command) => Promise<RequestResult>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.sub = this.bus.on('*', (e) => this.onEvent(e));
  }

  dispose(): void {
    this.sub?.dispose();
  }

  /** Runs auto-assign and the reviewers' policy once soon (coalesced): after each event, start-up, a config change, a tick. */
  kick(): void {
    if (this.assignQueued) return;
    this.assignQueued = true;
    queueMicrotask(() => {
      this.assignQueued = false;
      const ctx = this.context();
      this.submit([...autoAssign(this.state, ctx), ...reviewers(this.state, ctx)], true);
    });
  }

  private onEvent(e: HuskiesEvent): void {
    const ctx = this.context();
    const cmds: Command[] = [...stageGuard(e, this.state), ...triggers(e, this.state)];
    if (e.type === 'run.ended') cmds.push(...runEndings(e, this.state, ctx));
    this.submit(cmds);
    this.kick();
  }

  /** Asks for each command; with `once`, one still in flight from an earlier pass is not asked for again. */
  private submit(cmds: Command[], once = false): void {
    for (const c of cmds) {
      const key = once ? JSON.stringify(c) : undefined;
      if (key !== undefined) {
        if (this.pending.has(key)) continue;
        this.pending.add(key);
      }
      void this.request(c)
        .then(
          (r) => {
            if (!r.ok) this.logger.info(`policy: ${c.type} not applied: ${r.refusal}`);
          },
          (err) => this.logger.error(`policy: ${c.type} failed: ${(err as Error).message}`),
        )
        .finally(() => key !== undefined && this.pending.delete(key));
    }
  }
}
