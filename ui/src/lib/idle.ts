// The window's automatic lock on a shared office computer: after `minutes` without a key
// press, a click or a scroll, unless a service still runs (it is never interrupted).

/** Whether the window must lock now. `minutes` 0 = never. */
export function shouldLock(now: number, lastActivity: number, minutes: number, servicesRunning: number): boolean {
  if (minutes <= 0 || servicesRunning > 0) return false;
  return now - lastActivity >= minutes * 60_000;
}

/** The events that count as using the window. */
export const ACTIVITY_EVENTS = ["keydown", "pointerdown", "wheel", "touchstart"] as const;
