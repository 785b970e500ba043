/**
 * Last-resort handlers. Input never throws (every frame, page and body is checked where it is
 * read), so an exception or rejection nobody caught is a bug: log it, scrubbed of secrets, and
 * exit non-zero so a supervisor restarts the process from its last committed state rather than
 * leaving it running in an unknown one.
 */
import { redact } from "./redact.js";

export const CRASH_EXIT_CODE = 70; // EX_SOFTWARE

let installed = false;

/** Installs the handlers once per process; `write` defaults to a JSON line on stderr. */
export function installCrashHandlers(name: string, write: (line: string) => void = (l) => process.stderr.write(l)): void {
  if (installed) return;
  installed = true;
  const die = (kind: string, err: unknown) => {
    try {
      const e = err instanceof Error ? err : new Error(String(err));
      write(`${redact(JSON.stringify({ level: 60, time: Date.now(), name, msg: `${kind}: a bug; exiting`, err: { type: e.name, message: e.message, stack: e.stack } }))}\n`);
    } finally {
      process.exit(CRASH_EXIT_CODE);
    }
  };
  process.on("uncaughtException", (e) => die("uncaught exception", e));
  process.on("unhandledRejection", (e) => die("unhandled rejection", e));
}
