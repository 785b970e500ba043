/**
 * Opening the state file, and refusing one that is not ours before anything is written to it.
 *
 * Our files carry PRAGMA application_id = APPLICATION_ID in their header. A file without it is
 * ours only if it is new (no tables) or an older state file (schema 3 or 4: a meta table saying
 * so and our tables with our columns); it then gets the mark when the store initialises it.
 * Anything else (another program's database, a file that is not SQLite) is refused with the
 * file named and why, and nothing is changed: no table, no switch to WAL. Unmarked files are
 * looked at through a read-only connection (it cannot write, and does not checkpoint on close).
 */
import { closeSync, existsSync, openSync, readSync, statSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { classify, named, notWritable, stateError, StateFileError } from "./state-errors.js";

/** "QMON": SQLite's header field for the application a file belongs to. */
export const APPLICATION_ID = 0x514d4f4e;
export const SCHEMA_VERSION = 4;

const COMMON = { meta: ["key", "value"], series: ["key", "state"], counters: ["name", "value"] };
/** The tables (and the columns read) each schema this build reads must have. */
const CORE: Record<3 | 4, Record<string, string[]>> = {
  4: { ...COMMON, log: ["seq", "newest", "n", "events"] },
  3: { ...COMMON, events: ["seq", "id", "kind", "queue_id", "media_type", "conversation_id", "participant_id", "time", "wait_ms"], seen: ["time", "id"] },
};

interface Described {
  applicationId: number;
  /** Tables and views, SQLite's own left out. */
  tables: string[];
  schema: string | undefined;
  columns: (table: string) => string[];
}

export interface OpenedStateFile {
  db: Database.Database;
  /** Schema of the file as found; null for a new one. */
  version: 3 | 4 | null;
}

function describe(db: Database.Database): Described {
  const applicationId = db.pragma("application_id", { simple: true }) as number;
  const tables = (db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  const columns = (t: string) => (db.prepare("SELECT name FROM pragma_table_info(?)").all(t) as { name: string }[]).map((r) => r.name);
  let schema: string | undefined;
  if (tables.includes("meta") && ["key", "value"].every((c) => columns("meta").includes(c))) {
    schema = (db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: unknown } | undefined)?.value as string | undefined;
  }
  return { applicationId, tables, schema: schema === undefined ? undefined : String(schema), columns };
}

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, "0")}`;

function tableList(tables: string[]): string {
  return tables.length <= 8 ? tables.join(", ") : `${tables.slice(0, 8).join(", ")} and ${tables.length - 8} more`;
}

/** New, or ours of schema 3 or 4; throws for anything else. */
function judge(d: Described, file: string): { version: 3 | 4 | null } {
  const refuse = (why: string) => new StateFileError(file, "open", "not-ours", `${why}; refusing to use it as the state file`);
  const foreign = (extra = "") => refuse(`is a SQLite database of another application (${d.applicationId === 0 ? "" : `application_id ${hex(d.applicationId)}, `}tables: ${tableList(d.tables) || "none"})${extra}`);
  const marked = d.applicationId === APPLICATION_ID;
  if (d.applicationId !== 0 && !marked) throw foreign();
  if (d.tables.length === 0) return { version: null };
  if (d.schema === undefined) {
    if (marked) throw new StateFileError(file, "open", "corrupt", `marked as a queue-monitor state file but its meta table has no schema version (tables: ${tableList(d.tables)}); refusing to use it`);
    throw foreign();
  }
  const version = Number(d.schema);
  if (version !== 3 && version !== 4) {
    const newer = Number.isFinite(version) && version > SCHEMA_VERSION ? ", written by a newer queue-monitor" : "";
    throw refuse(`schema version ${d.schema}${newer}, this build reads ${SCHEMA_VERSION} (and carries over 3)`);
  }
  const wrong: string[] = [];
  for (const [table, cols] of Object.entries(CORE[version])) {
    if (!d.tables.includes(table)) wrong.push(`table ${table} is missing`);
    else {
      const have = d.columns(table);
      if (!cols.every((c) => have.includes(c))) wrong.push(`table ${table} has columns (${have.join(", ")}), not (${cols.join(", ")})`);
    }
  }
  if (wrong.length === 0) return { version };
  if (marked) throw new StateFileError(file, "open", "corrupt", `a queue-monitor state file of schema ${version}, but ${wrong.join("; ")}; refusing to use it`);
  throw foreign(`: not a queue-monitor state file of schema ${version} (${wrong.join("; ")})`);
}

type Header = { kind: "missing" } | { kind: "empty" } | { kind: "not-sqlite" } | { kind: "sqlite"; applicationId: number };

/** The file's first 100 bytes, read without SQLite (which would take locks and make journals). */
function readHeader(file: string): Header {
  if (!existsSync(file)) return { kind: "missing" };
  const fd = openSync(file, "r");
  try {
    const b = Buffer.alloc(100);
    const n = readSync(fd, b, 0, 100, 0);
    if (n === 0) return { kind: "empty" };
    if (n < 100 || b.toString("latin1", 0, 16) !== "SQLite format 3\u0000") return { kind: "not-sqlite" };
    return { kind: "sqlite", applicationId: b.readUInt32BE(68) };
  } finally {
    closeSync(fd);
  }
}

const inUse = (file: string, e: unknown) => new StateFileError(file, "open", "locked", `in use by another queue-monitor process (or another program holds a lock on it): ${(e as Error).message}`, { cause: e });

/** Looks at an unmarked file through a read-only connection and refuses it if it is not ours. */
function probe(file: string): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma("busy_timeout = 1000");
    judge(describe(db), file);
  } catch (e) {
    if (e instanceof StateFileError) throw e;
    if (classify(e, file) === "locked") throw inUse(file, e);
    if ((e as { code?: string }).code === "SQLITE_NOTADB") throw new StateFileError(file, "open", "not-ours", "is not a SQLite database (SQLITE_NOTADB); refusing to use it as the state file", { cause: e });
    throw stateError(file, "open (reading what the file is)", e);
  } finally {
    db?.close();
  }
}

/**
 * Opens `file` as the state file, holding its exclusive lock until close (one monitor per file:
 * two would each count what the other counted; the OS drops the lock if the process dies).
 * @throws StateFileError naming the file: not ours, read-only, in use, corrupt
 */
export function openStateFile(file: string): OpenedStateFile {
  const header = readHeader(file);
  if (header.kind === "not-sqlite") throw new StateFileError(file, "open", "not-ours", "is not a SQLite database; refusing to use it as the state file");
  if (header.kind === "missing" && !existsSync(dirname(file))) throw new StateFileError(file, "open", "io", `its directory ${dirname(file)} does not exist`);
  const ro = notWritable(file);
  if (ro !== null) throw new StateFileError(file, "open", "read-only", `read-only (${ro}); the state file must be writable`);
  const walFile = `${file}-wal`;
  const walWritten = existsSync(walFile) && statSync(walFile).size > 0;
  const shmBefore = existsSync(`${file}-shm`);
  // A marked header is ours; anything else is looked at first (an empty file with a written WAL may be anyone's).
  if (header.kind === "sqlite" ? header.applicationId !== APPLICATION_ID : header.kind === "empty" && walWritten) probe(file);
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (e) {
    throw stateError(file, "open", e);
  }
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    db.pragma("busy_timeout = 1000");
    // WAL + NORMAL survives a killed process (not a power cut).
    db.pragma("journal_mode = WAL");
    db.exec("BEGIN EXCLUSIVE; COMMIT;");
  } catch (e) {
    db.close();
    throw classify(e, file) === "locked" ? inUse(file, e) : stateError(file, "open (taking the lock, WAL)", e);
  }
  // The read-only look made a shared-memory index that this connection (exclusive) never uses.
  if (!shmBefore && existsSync(`${file}-shm`)) unlinkSync(`${file}-shm`);
  try {
    db.pragma("synchronous = NORMAL");
    const { version } = named(file, "open (meta)", () => judge(describe(db), file));
    return { db, version };
  } catch (e) {
    db.close();
    throw e;
  }
}
