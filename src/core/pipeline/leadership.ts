// Who drives the project: the process holding .huskies/orchestrator.lock leads and writes; any
// other process follows — it shows the project and sends its requests to the leader.
import { acquireLock, type LockInfo } from '../util/lock';
import type { Logger } from '../util/log';

export class Leadership {
  private lock?: { release(): void };
  /** Set when another process drives this project. */
  follower?: LockInfo;

  constructor(
    private readonly huskiesDir: string,
    private readonly owner: string,
    private readonly logger: Logger,
  ) {}

  get holds(): boolean {
    return !!this.lock;
  }

  /** Takes the lock when it is free; otherwise notes who holds it. */
  take(): void {
    if (this.lock) return;
    const got = acquireLock(this.huskiesDir, this.owner);
    if (got.ok) {
      this.lock = got;
      this.follower = undefined;
    } else {
      this.follower = got.holder;
      this.logger.info(`Another Huskies orchestrator (pid ${got.holder.pid}, ${got.holder.by}) drives this project; this one shows it and sends it requests.`);
    }
  }

  release(): void {
    this.lock?.release();
    this.lock = undefined;
  }
}
