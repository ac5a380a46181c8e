// The typed event bus: one event per applied change, delivered in order. A subscriber that
// throws is logged and skipped; it never stops the others or the writer.
import type { EventType, HuskiesEvent } from '../model/events';
import type { Logger } from '../util/log';

type Listener<T extends EventType | '*'> = (e: T extends EventType ? Extract<HuskiesEvent, { type: T }> : HuskiesEvent) => void;

export class EventBus {
  private listeners = new Map<string, Set<(e: HuskiesEvent) => void>>();

  constructor(private readonly logger: Logger) {}

  on<T extends EventType | '*'>(type: T, listener: Listener<T>): { dispose(): void } {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    const l = listener as (e: HuskiesEvent) => void;
    set.add(l);
    return { dispose: () => set!.delete(l) };
  }

  emit(e: HuskiesEvent): void {
    for (const key of [e.type, '*']) {
      for (const l of this.listeners.get(key) ?? []) {
        try {
          l(e);
        } catch (err) {
          this.logger.error(`a subscriber to ${e.type} failed: ${(err as Error).stack ?? err}`);
        }
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
