/** Re-renders a component every `intervalMs` (a countdown, a running duration), or not at all with null. */
import { useEffect, useState } from 'preact/hooks';

export function useTicking(intervalMs: number | null): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (intervalMs === null) return;
    const timer = setInterval(() => setTick((tick) => tick + 1), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
}
