/** A pino logger whose lines are kept, parsed, for tests that assert what was said. */
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";

export interface CapturedLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export function captureLog(): { log: Logger; lines: CapturedLine[] } {
  const lines: CapturedLine[] = [];
  const log = pino({ level: "debug" }, new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c)) as CapturedLine), cb()) }));
  return { log, lines };
}

export const ERROR = 50;
export const WARN = 40;
