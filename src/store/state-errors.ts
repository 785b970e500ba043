/**
 * Errors of the state file, each naming the file, what was being read or written (a table, a
 * row, an operation) and, in words an operator acts on, what happened: "disk full", "read-only",
 * "in use". SQLite's own text alone ("disk I/O error", "no such table: events") says neither
 * which file nor why.
 */
import { accessSync, constants } from "node:fs";
import { dirname } from "node:path";

export type StateErrorKind =
  /** SQLITE_FULL, ENOSPC: nothing more can be written until space is freed. */
  | "disk-full"
  /** SQLITE_READONLY*, EACCES, EPERM, EROFS: the file or its directory cannot be written. */
  | "read-only"
  /** Another process holds the file (SQLITE_BUSY, SQLITE_LOCKED). */
  | "locked"
  /** The file's contents are not what was written (SQLITE_CORRUPT, SQLITE_NOTADB, a row that does not decode). */
  | "corrupt"
  /** A SQLite database, but not a queue-monitor state file (or of a schema this build does not read). */
  | "not-ours"
  /** Any other I/O failure (SQLITE_IOERR*, SQLITE_CANTOPEN). */
  | "io"
  | "other";

const WORDS: Record<StateErrorKind, string> = {
  "disk-full": "disk full",
  "read-only": "read-only",
  locked: "in use by another process",
  corrupt: "corrupt",
  "not-ours": "not a state file of this build",
  io: "I/O error",
  other: "failed",
};

export class StateFileError extends Error {
  override readonly name = "StateFileError";

  /**
   * @param where the table, row or operation: "series q1/voice", "commit (log, meta, counters)"
   * @param detail what happened, in words ("disk full (SQLITE_FULL: ...)", "not a series state (...)")
   */
  constructor(
    readonly file: string,
    readonly where: string,
    readonly kind: StateErrorKind,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`state file ${file}: ${where}: ${detail}`, options);
  }
}

/** The errno-style reason the file or its directory cannot be written, or null if both can. */
export function notWritable(file: string): string | null {
  for (const [path, what] of [
    [file, "the file"],
    [dirname(file), "its directory (the write-ahead log is created there)"],
  ] as const) {
    try {
      accessSync(path, constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") continue;
      return `${what} is not writable: ${code ?? (e as Error).message}`;
    }
  }
  return null;
}

/** The kind of a thrown SQLite or file-system error. */
export function classify(e: unknown, file: string): StateErrorKind {
  if (e instanceof StateFileError) return e.kind;
  const code = String((e as { code?: unknown })?.code ?? "");
  if (code.startsWith("SQLITE_FULL") || code === "ENOSPC") return "disk-full";
  if (code.startsWith("SQLITE_READONLY") || code === "EACCES" || code === "EPERM" || code === "EROFS") return "read-only";
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return "locked";
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") return "corrupt";
  if (code.startsWith("SQLITE_IOERR") || code.startsWith("SQLITE_CANTOPEN")) {
    // A file that cannot be written shows as SQLITE_IOERR_LOCK ("disk I/O error") in WAL mode.
    return notWritable(file) === null ? "io" : "read-only";
  }
  return "other";
}

/** Wraps whatever `f` throws as a StateFileError naming the file and `where`. */
export function stateError(file: string, where: string, e: unknown): StateFileError {
  if (e instanceof StateFileError) return e;
  const kind = classify(e, file);
  const code = (e as { code?: unknown })?.code;
  const message = e instanceof Error ? e.message : String(e);
  let detail = typeof code === "string" && code.startsWith("SQLITE_") ? `${code}: ${message}` : message;
  if (kind === "read-only") {
    const why = notWritable(file);
    if (why !== null) detail = `${why}; ${detail}`;
  }
  return new StateFileError(file, where, kind, kind === "other" ? detail : `${WORDS[kind]} (${detail})`, { cause: e });
}

/** Runs `f`; anything it throws comes out as a StateFileError naming the file and `where`. */
export function named<T>(file: string, where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw stateError(file, where, e);
  }
}
