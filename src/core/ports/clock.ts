// The clock port: what time it is, and timers. Node's setTimeout fires at once for delays over
// ~24.8 days (2^31-1 ms); these timers chain shorter waits, so any delay fires when it should.
export interface TimerHandle {
  dispose(): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  setInterval(fn: () => void, ms: number): TimerHandle;
}

/** The longest single wait Node's timers take as given. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const due = Date.now() + Math.max(0, ms);
    let t: NodeJS.Timeout | undefined;
    const arm = () => {
      const left = due - Date.now();
      t = setTimeout(() => (Date.now() >= due ? fn() : arm()), Math.min(Math.max(0, left), MAX_TIMER_MS));
      t.unref?.();
    };
    arm();
    return { dispose: () => t && clearTimeout(t) };
  },
  setInterval(fn, ms) {
    const t = setInterval(fn, Math.min(Math.max(1, ms), MAX_TIMER_MS));
    t.unref?.();
    return { dispose: () => clearInterval(t) };
  },
};
