// One FIFO mutex per key (a repository, a base branch, a story), dropped again once nobody holds or waits for it.
import { Mutex } from 'async-mutex';

export class KeyedMutex {
  private readonly locks = new Map<string, { mutex: Mutex; users: number }>();

  /** Runs fn after every earlier call with the same key has settled; a failure does not stop the next one. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let entry = this.locks.get(key);
    if (!entry) {
      entry = { mutex: new Mutex(), users: 0 };
      this.locks.set(key, entry);
    }
    entry.users++;
    try {
      return await entry.mutex.runExclusive(fn);
    } finally {
      if (--entry.users === 0) this.locks.delete(key);
    }
  }
}
