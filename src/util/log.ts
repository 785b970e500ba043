import { pino, type DestinationStream, type Logger } from "pino";
import { redact } from "./redact.js";

export type { Logger };
export { redact, registerSecret } from "./redact.js";

/** Fields that never reach a log line, wherever they sit (pino's redaction, one level deep). */
const REDACT_PATHS = [
  "authorization",
  "headers.authorization",
  "*.authorization",
  "*.headers.authorization",
  "clientSecret",
  "*.clientSecret",
  "client_secret",
  "*.client_secret",
  "access_token",
  "*.access_token",
  "accessToken",
  "*.accessToken",
  "password",
  "*.password",
];

/**
 * Structured JSON logs on stderr (stdout stays free for command output). Every line is scrubbed
 * of credentials before it is written: known fields by path, and anything that looks like a
 * credential or is a registered secret (util/redact.ts) in the final text.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? "info", destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ name, level, base: { name }, redact: { paths: REDACT_PATHS, censor: "[redacted]" }, hooks: { streamWrite: (s) => redact(s) } }, destination);
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = pino({ level: "silent" });
