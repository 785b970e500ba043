import type { Logger } from "./log.js";
import { ThrottledLog } from "./throttled-log.js";

/**
 * Runs `f` every `ms` real milliseconds without keeping the process alive; a throw is logged as
 * `what` (at most once a minute while it repeats, with the count in between: a full disk must not
 * write a line per turn) and the next turn runs as usual. The timer is added to `timers` for the
 * owner's stop().
 */
export function every(timers: NodeJS.Timeout[], ms: number, log: Logger, what: string, f: () => void): void {
  const said = new ThrottledLog(log);
  const t = setInterval(() => {
    try {
      f();
    } catch (e) {
      said.error(what, { err: (e as Error).message }, what);
    }
  }, ms);
  t.unref();
  timers.push(t);
}
