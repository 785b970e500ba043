import type { Logger } from "./log.js";

/**
 * Runs `f` every `ms` real milliseconds without keeping the process alive; a throw is logged as
 * `what` and the next turn runs as usual. The timer is added to `timers` for the owner's stop().
 */
export function every(timers: NodeJS.Timeout[], ms: number, log: Logger, what: string, f: () => void): void {
  const t = setInterval(() => {
    try {
      f();
    } catch (e) {
      log.error({ err: (e as Error).message }, what);
    }
  }, ms);
  t.unref();
  timers.push(t);
}
