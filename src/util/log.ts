import { pino, type Logger } from "pino";

export type { Logger };

/** Structured JSON logs on stderr (stdout stays free for command output). */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({ name, level, base: { name } }, pino.destination(2));
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = pino({ level: "silent" });
