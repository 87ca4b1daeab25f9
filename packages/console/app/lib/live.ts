/** Re-runs a read every few seconds while the tab is visible, and at once when it becomes visible again. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from './errors.js';

export interface Live<T> {
  readonly data: T | undefined;
  readonly error: string | null;
  refresh(): void;
}

/** `until`: stop re-reading once it says the data is final (e.g. a promotion in a terminal state). */
export function useLive<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[], intervalMs: number | null, until?: (data: T) => boolean): Live<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const tick = useRef<() => void>(() => undefined);

  useEffect(() => {
    setData(undefined);
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    let final = false;
    const run = async () => {
      clearTimeout(timer);
      if (running || controller.signal.aborted) return;
      running = true;
      try {
        const value = await load(controller.signal);
        if (controller.signal.aborted) return;
        setData(value);
        setError(null);
        final = until?.(value) ?? false;
      } catch (caught) {
        if (!controller.signal.aborted) setError(describeError(caught));
      } finally {
        running = false;
        if (intervalMs !== null && !final && !controller.signal.aborted) timer = setTimeout(run, document.hidden ? intervalMs * 5 : intervalMs);
      }
    };
    tick.current = () => void run();
    const visible = () => {
      if (!document.hidden && !final) void run();
    };
    document.addEventListener('visibilitychange', visible);
    void run();
    return () => {
      controller.abort();
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', visible);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller lists what the load depends on
  }, [...deps, intervalMs]);

  return { data, error, refresh: () => tick.current() };
}
