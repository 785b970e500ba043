/**
 * Recordings of what the monitor received, for `queue-monitor replay`: the writer (`run --record
 * FILE`) and the reader, which also takes plain files of notification frames and details query
 * responses.
 *
 * A recording is JSON lines, one item each: `{"receivedAt": ISO, "kind": "frame" | "details",
 * "body": ...}` where body is the parsed notification frame (`{topicName, eventBody, ...}`) or
 * the details query response body (`{conversations, totalHits}`). `receivedAt` is on the
 * monitor's clock (event time; the system clock in production). Only bodies are ever written,
 * never request or socket headers, so no token reaches the file.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { CONVERSATIONS_TOPIC, OBSERVATIONS_TOPIC } from "../sources/genesys/stream/topics.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";

export type RecordKind = "frame" | "details";

export interface RecordLine {
  receivedAt: string;
  kind: RecordKind;
  body: unknown;
}

/**
 * Appends items to a recording. Every line is written with one synchronous write, so the kernel
 * has it when the call returns: a kill -9 loses at most a line being written. Write errors are
 * logged (the first, then one per minute with a count) and never thrown: the monitor matters more
 * than its recording.
 */
export class Recorder {
  private fd: number | null;
  private failures = 0;
  private lastErrorLogAt = -Infinity;
  written = 0;

  /** Opens (creates) `file` for appending; throws when it cannot be opened at all. */
  constructor(
    readonly file: string,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.fd = openSync(file, "a+");
    // A line cut short by a kill -9 must not swallow the first line of this run.
    if (!endsWithNewline(this.fd)) writeSync(this.fd, "\n");
  }

  /**
   * A frame as received: its JSON text goes into the line as it is, so a frame no serializer can
   * handle (nested 200,000 deep) is recorded too. Line breaks between its tokens become spaces.
   */
  frame(text: string): void {
    this.append(() => `{"receivedAt":${JSON.stringify(new Date(this.clock.now()).toISOString())},"kind":"frame","body":${text.replace(/\r?\n/g, " ")}}\n`);
  }

  details(body: unknown): void {
    this.write("details", body);
  }

  close(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch (e) {
      this.log.warn({ file: this.file, err: (e as Error).message }, "closing the recording failed");
    }
    this.fd = null;
  }

  private write(kind: RecordKind, body: unknown): void {
    this.append(() => {
      const line: RecordLine = { receivedAt: new Date(this.clock.now()).toISOString(), kind, body: body ?? null };
      return `${JSON.stringify(line)}\n`;
    });
  }

  private append(line: () => string): void {
    if (this.fd === null) return;
    try {
      writeSync(this.fd, line());
      this.written++;
    } catch (e) {
      this.failures++;
      const now = Date.now();
      if (now - this.lastErrorLogAt >= 60_000) {
        this.lastErrorLogAt = now;
        this.log.error({ file: this.file, err: (e as Error).message, failures: this.failures }, "recording write failed; the monitor carries on");
      }
    }
  }
}

function endsWithNewline(fd: number): boolean {
  const size = fstatSync(fd).size;
  if (size === 0) return true;
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, size - 1);
  return b[0] === 0x0a;
}

// ---- reading ----------------------------------------------------------------------------

/** One JSON document of an input file and the line it starts on (1-based). */
export interface Document {
  value: unknown;
  line: number;
  /** Index within a top-level JSON array, when the file is one. */
  element?: number;
}

export interface ReadIssue {
  line: number;
  reason: string;
}

/**
 * Reads `file` as JSON lines, or (when its first line is not a JSON document) as one JSON
 * document, e.g. a pretty-printed array or response. Calls `onDocument` in file order and
 * `onIssue` for every line or document that is not JSON. A top-level array is split into its
 * elements (all reported at the array's line, with their index). Rejects only when the file
 * cannot be read.
 */
export async function readDocuments(file: string, onDocument: (d: Document) => void | Promise<void>, onIssue: (i: ReadIssue) => void): Promise<void> {
  // onDocument may return a promise (a slow stdout): reading waits for it.
  const emit = async (value: unknown, line: number) => {
    if (!Array.isArray(value)) return onDocument({ value, line });
    for (let element = 0; element < value.length; element++) await onDocument({ value: value[element], line, element });
  };
  // Streamed line by line: a day's recording need not fit in memory.
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let n = 0;
  let documents = 0;
  let singleDocument = false;
  for await (const text of lines) {
    n++;
    const t = text.trim();
    if (t === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(t);
    } catch (e) {
      if (documents === 0) {
        singleDocument = true; // maybe one multi-line document: decided below
        lines.close();
        break;
      }
      onIssue({ line: n, reason: `not JSON (${(e as Error).message})` });
      continue;
    }
    documents++;
    await emit(value, n);
  }
  if (!singleDocument) return;
  // The first non-blank line is not JSON by itself: the file is one (multi-line) document, or a
  // JSON-lines file whose first line is broken.
  const text = await readFile(file, "utf8");
  let wholeError: Error;
  try {
    const value: unknown = JSON.parse(text);
    const first = text.search(/\S/);
    await emit(value, first < 0 ? 1 : lineAt(text, first));
    return;
  } catch (e) {
    wholeError = e as Error;
  }
  // Not one document. If some lines are JSON it is a JSON-lines file: report each broken line.
  const all = text.split(/\r?\n/);
  const parsed = all.map((l) => {
    const t = l.trim();
    if (t === "") return { blank: true as const };
    try {
      return { value: JSON.parse(t) as unknown };
    } catch (e) {
      return { error: (e as Error).message };
    }
  });
  if (!parsed.some((p) => "value" in p)) {
    // One broken document: a single report, at the line the parser stopped on.
    const pos = /at position (\d+)/.exec(wholeError.message);
    const line = pos ? lineAt(text, Number(pos[1])) : lineAt(text, Math.max(0, text.search(/\S/)));
    onIssue({ line, reason: `not JSON (${wholeError.message})` });
    return;
  }
  for (let i = 0; i < parsed.length; i++) {
    const p = parsed[i];
    if ("error" in p) onIssue({ line: i + 1, reason: `not JSON (${p.error})` });
    else if ("value" in p) await emit(p.value, i + 1);
  }
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

// ---- what a document is -----------------------------------------------------------------

/** What one input document holds, ready for the normalizers. */
export type Item =
  /** A conversation snapshot (a frame's eventBody, or a bare one): eventsFromSnapshot. */
  | { type: "snapshot"; body: unknown }
  /** One details conversation: eventsFromDetails. */
  | { type: "details"; conversation: unknown; index?: number }
  | { type: "observation"; queueId: string; body: unknown }
  /** Heartbeats, system messages, topics the monitor does not read. */
  | { type: "ignored"; what: string }
  | { type: "malformed"; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Classifies one document: a recording line, a notification frame, a details query response, a
 * details conversation, or a bare conversation snapshot (checked in that order).
 */
export function classify(doc: unknown): Item[] {
  if (!isObject(doc)) return [{ type: "malformed", reason: `expected a JSON object, got ${Array.isArray(doc) ? "an array" : JSON.stringify(doc)?.slice(0, 40)}` }];
  if ("kind" in doc && "body" in doc) {
    // The monitor skips frames without a topic and pages without a body; so does replay.
    if (doc.kind === "frame") return isObject(doc.body) && typeof doc.body.topicName === "string" ? classifyFrame(doc.body) : [{ type: "ignored", what: "frame without topicName" }];
    if (doc.kind === "details") return isObject(doc.body) ? classifyDocument(doc.body, true) : doc.body === null ? [] : [{ type: "malformed", reason: "recorded details body is not an object" }];
    return [{ type: "malformed", reason: `unknown recording kind ${JSON.stringify(doc.kind)}` }];
  }
  if (typeof doc.topicName === "string") return classifyFrame(doc);
  return classifyDocument(doc, false);
}

function classifyFrame(f: Record<string, unknown>): Item[] {
  const topic = f.topicName as string;
  if (CONVERSATIONS_TOPIC.test(topic)) return [{ type: "snapshot", body: f.eventBody }];
  const obs = OBSERVATIONS_TOPIC.exec(topic);
  if (obs) return [{ type: "observation", queueId: obs[1], body: f.eventBody }];
  return [{ type: "ignored", what: topic }];
}

function classifyDocument(d: Record<string, unknown>, detailsOnly: boolean): Item[] {
  if ("conversations" in d) {
    if (!Array.isArray(d.conversations)) return [{ type: "malformed", reason: "details response: conversations is not an array" }];
    return d.conversations.map((conversation, index) => ({ type: "details", conversation, index }));
  }
  if (typeof d.conversationId === "string" && Array.isArray(d.participants)) return [{ type: "details", conversation: d }];
  if (detailsOnly) return []; // a page without conversations (the API leaves the key out when empty)
  if (typeof d.id === "string" && Array.isArray(d.participants)) return [{ type: "snapshot", body: d }];
  return [{ type: "malformed", reason: "not a recording line, notification frame, details response or conversation" }];
}
