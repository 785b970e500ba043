/**
 * What the state file's rows hold, written and read back. Everything read is checked before it
 * is used: a row another program (or a torn disk) changed must come out as an error naming it,
 * not as "st.minutes is not iterable" deep inside the engine on the next start.
 */
import type { QueueEvent, QueueEventKind } from "../domain/queue-event.js";
import type { SeriesState } from "../aggregate/series.js";

/**
 * One logged event: [identity, kind, queue, media, conversation, participant, time, wait or null].
 * The identity is null when it is the event's own (`storedIdentity`): 40 % less to write.
 */
export type LogEntry = [string | null, QueueEventKind, string, string, string, string, number, number | null];

const KINDS: ReadonlySet<string> = new Set<QueueEventKind>(["offered", "answered", "abandoned", "flowout"]);

export function logEntry(id: string | undefined, e: QueueEvent): LogEntry {
  return [id ?? null, e.kind, e.queueId, e.mediaType, e.conversationId, e.participantId, e.time, e.waitMs ?? null];
}

/** Why `x` is not a LogEntry, or null when it is one. */
export function entryProblem(x: unknown): string | null {
  if (!Array.isArray(x) || x.length !== 8) return "not an 8-field event";
  const [id, kind, queueId, mediaType, conversationId, participantId, time, waitMs] = x as unknown[];
  if (id !== null && typeof id !== "string") return "identity is not a string";
  if (typeof kind !== "string" || !KINDS.has(kind)) return `unknown kind ${JSON.stringify(kind)}`;
  if (typeof queueId !== "string" || typeof mediaType !== "string" || typeof conversationId !== "string" || typeof participantId !== "string") return "queue, media, conversation or participant is not a string";
  if (typeof time !== "number" || !Number.isFinite(time)) return "time is not a number";
  if (waitMs !== null && (typeof waitMs !== "number" || !Number.isFinite(waitMs))) return "wait is not a number";
  return null;
}

/** A log row's events: the good ones, and what was wrong with the first bad one (and how many). */
export function decodeLogRow(text: string): { entries: LogEntry[]; bad: number; firstProblem: string | null } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { entries: [], bad: -1, firstProblem: `not JSON (${(e as Error).message})` };
  }
  if (!Array.isArray(parsed)) return { entries: [], bad: -1, firstProblem: "not a list of events" };
  const entries: LogEntry[] = [];
  let bad = 0;
  let firstProblem: string | null = null;
  for (let i = 0; i < parsed.length; i++) {
    const p = entryProblem(parsed[i]);
    if (p === null) entries.push(parsed[i] as LogEntry);
    else {
      bad++;
      firstProblem ??= `event ${i}: ${p}`;
    }
  }
  return { entries, bad, firstProblem };
}

const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const BUCKET_COUNTS = ["offered", "answered", "abandoned", "shortAbandoned", "flowout", "overSla", "answeredWaitMsSum"];

function waitsProblem(w: unknown): string | null {
  if (w === undefined || typeof w === "string") return null;
  if (!isObj(w)) return "not an object";
  for (const f of ["v", "k", "c"]) if (w[f] !== undefined && !(Array.isArray(w[f]) && (w[f] as unknown[]).every(isNum))) return `${f} is not a list of numbers`;
  return null;
}

function bucketProblem(b: unknown): string | null {
  if (!isObj(b)) return "not an object";
  for (const c of BUCKET_COUNTS) if (!isNum(b[c])) return `${c} is not a number`;
  for (const w of ["answeredWaits", "abandonedWaits"]) {
    const p = waitsProblem(b[w]);
    if (p !== null) return `${w}: ${p}`;
  }
  return null;
}

function pairsProblem(xs: unknown, name: string, first: (x: unknown) => boolean, second: (x: unknown) => string | null): string | null {
  if (!Array.isArray(xs)) return `${name} is not a list`;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] as unknown;
    if (!Array.isArray(x) || x.length !== 2 || !first(x[0])) return `${name}[${i}] is not a pair`;
    const p = second(x[1]);
    if (p !== null) return `${name}[${i}]: ${p}`;
  }
  return null;
}

const num = (x: unknown) => (isNum(x) ? null : "not a number");

/**
 * Why `st` is not the series state stored under `key` ("queue/media"), or null when it is. The
 * checks are what restoring relies on (lists are lists, counts are numbers), cheap next to the
 * JSON parse: a restart reads thousands of series.
 */
export function seriesProblem(st: unknown, key: string): string | null {
  if (!isObj(st)) return "not an object";
  if (typeof st.queueId !== "string" || typeof st.mediaType !== "string") return "queueId or mediaType is not a string";
  if (`${st.queueId}/${st.mediaType}` !== key) return `holds ${st.queueId}/${st.mediaType}`;
  if (!isObj(st.totals) || !["offered", "answered", "abandoned", "flowout"].every((k) => isNum((st.totals as Record<string, unknown>)[k]))) return "totals are not four numbers";
  if (!isNum(st.firstMinute)) return "firstMinute is not a number";
  const p =
    pairsProblem(st.minutes, "minutes", isNum, bucketProblem) ??
    pairsProblem(st.intervals, "intervals", isNum, bucketProblem) ??
    pairsProblem(st.open, "open", (x) => typeof x === "string", num) ??
    (st.ended === undefined ? null : pairsProblem(st.ended, "ended", (x) => typeof x === "string", num));
  if (p !== null) return p;
  if (st.today !== null) {
    const t = st.today;
    if (!Array.isArray(t) || t.length !== 3 || !isNum(t[0]) || !isNum(t[1])) return "today is not [start, end, bucket]";
    const b = bucketProblem(t[2]);
    if (b !== null) return `today: ${b}`;
  }
  if (st.observation !== null && !(isObj(st.observation) && isNum(st.observation.at))) return "observation is not an observation";
  if (!isObj(st.dropped)) return "dropped is not an object";
  if (st.lastEventTime !== undefined && !isNum(st.lastEventTime)) return "lastEventTime is not a number";
  return null;
}

/** Reads a series row: the state, or why it is not one. */
export function decodeSeries(text: string, key: string): { state: SeriesState } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { problem: `not JSON (${(e as Error).message})` };
  }
  const problem = seriesProblem(parsed, key);
  return problem === null ? { state: parsed as SeriesState } : { problem: `not a series state (${problem})` };
}
