/**
 * `queue-monitor replay FILE...`: what the monitor made of what it received, offline. Input is
 * a recording (`run --record FILE`), or plain files of notification frames (JSON lines or a JSON
 * array) and details query responses (`{"conversations": [...]}` or one conversation). Each
 * document goes through the monitor's own normalizers.
 *
 *  - default: one JSON line per normalized event, in input order:
 *    {"kind","queueId","mediaType","conversationId","participantId","time","waitMs"}
 *    (time in epoch ms; waitMs is null on offered). A snapshot repeats every fact visible in it,
 *    so the same visit's facts print again with each frame; `--unique` prints only first readings.
 *  - `--figures`: the events, in input (arrival) order, through dedup and the statistics engine,
 *    then the /api/queues body as of the latest event time.
 * Malformed input and dedup conflicts are reported on stderr as `file:line: reason` and skipped.
 * Exit code 0 when at least one file could be read, 1 when none could.
 */
import type { Command } from "commander";
import { defaultEngineSettings, type EngineSettings } from "../aggregate/config.js";
import { Engine } from "../aggregate/engine.js";
import type { SeriesSnapshot } from "../aggregate/series.js";
import { loadConfig } from "../config/load.js";
import type { QueueEvent } from "../domain/queue-event.js";
import { classify, readDocuments, type Document } from "../record/recording.js";
import { Dedup } from "../ingest/dedup.js";
import { eventsFromSnapshot } from "../normalize/conversation.js";
import { eventsFromDetails, type DetailsConversation } from "../normalize/details.js";
import { ObservationMerger, parseObservation } from "../normalize/observation.js";
import { ManualClock } from "../util/clock.js";

export interface ReplayOptions {
  /** Feed dedup and the engine and report figures instead of printing events. */
  figures?: boolean;
  /** Print only events dedup admits as new. */
  unique?: boolean;
  /** Only these queues (all when absent or empty). */
  queues?: string[];
  /** Statistics settings (time zone, intervals, windows); the monitor's defaults otherwise. */
  stats?: Partial<EngineSettings>;
}

export interface ReplaySink {
  /** One output line (without newline); may return a promise to slow reading down. */
  out(line: string): void | Promise<void>;
  /** One diagnostic line (without newline). */
  err(line: string): void;
}

export interface ReplayCounts {
  files: number;
  unreadable: number;
  documents: number;
  events: number;
  duplicates: number;
  conflicts: number;
  malformed: number;
  ignored: number;
}

/** The figures body, shaped like the monitor's GET /api/queues. */
export interface QueuesBody {
  generatedAt: string;
  queues: SeriesSnapshot[];
}

/** Event line field order is part of the interface: keep it. */
export function eventLine(e: QueueEvent): string {
  return JSON.stringify({ kind: e.kind, queueId: e.queueId, mediaType: e.mediaType, conversationId: e.conversationId, participantId: e.participantId, time: e.time, waitMs: e.waitMs ?? null });
}

export class Replay {
  readonly counts: ReplayCounts = { files: 0, unreadable: 0, documents: 0, events: 0, duplicates: 0, conflicts: 0, malformed: 0, ignored: 0 };
  private readonly dedup = new Dedup();
  private readonly clock = new ManualClock(0);
  private readonly engine: Engine;
  private readonly observations = new ObservationMerger();
  private readonly accept: (queueId: string) => boolean;
  /** Latest event time seen: the engine's "now" never goes back, as on a live monitor. */
  private latest = -Infinity;

  constructor(
    private readonly opts: ReplayOptions,
    private readonly sink: ReplaySink,
  ) {
    this.engine = new Engine({ ...defaultEngineSettings, ...opts.stats }, this.clock);
    const only = new Set(opts.queues ?? []);
    this.accept = only.size === 0 ? () => true : (q) => only.has(q);
  }

  /** Reads one file; false when it could not be read at all (reported on stderr). */
  async file(path: string): Promise<boolean> {
    try {
      await readDocuments(
        path,
        (d) => this.document(path, d),
        (i) => this.malformed(path, i.line, i.reason),
      );
      this.counts.files++;
      return true;
    } catch (e) {
      this.counts.unreadable++;
      this.sink.err(`${path}: cannot read: ${(e as Error).message}`);
      return false;
    }
  }

  /** The /api/queues body as of the latest event time. */
  figures(): QueuesBody {
    if (this.latest > -Infinity) this.clock.set(this.latest);
    return { generatedAt: new Date(this.clock.now()).toISOString(), queues: this.engine.snapshot(this.opts.queues?.length ? this.accept : undefined) };
  }

  private async document(path: string, d: Document): Promise<void> {
    this.counts.documents++;
    const where = d.element === undefined ? "" : `element ${d.element}: `;
    for (const item of classify(d.value)) {
      let events: QueueEvent[];
      try {
        switch (item.type) {
          case "malformed":
            this.malformed(path, d.line, where + item.reason);
            continue;
          case "ignored":
            this.counts.ignored++;
            continue;
          case "observation":
            // As the live monitor does: partial messages merged per queue and media.
            if (this.opts.figures) {
              for (const u of parseObservation(item.queueId, item.body).updates) {
                const merged = this.accept(u.queueId) ? this.observations.merge(u) : null;
                if (merged) this.engine.observe(u.queueId, u.mediaType, merged);
              }
            }
            continue;
          case "snapshot":
            events = eventsFromSnapshot(item.body, this.accept);
            break;
          case "details": {
            const c = item.conversation as DetailsConversation | null;
            if (!c || typeof c !== "object" || typeof c.conversationId !== "string" || !Array.isArray(c.participants)) {
              this.malformed(path, d.line, `${where}${item.index === undefined ? "" : `conversation ${item.index}: `}details conversation has no conversationId or participants`);
              continue;
            }
            events = eventsFromDetails(c, this.accept);
            break;
          }
        }
      } catch (e) {
        // The normalizers throw on bodies that are not conversations (SnapshotError) and must
        // never take the replay down with them otherwise.
        this.malformed(path, d.line, where + (e as Error).message);
        continue;
      }
      for (const e of events) await this.event(path, d.line, e);
    }
  }

  private async event(path: string, line: number, e: QueueEvent): Promise<void> {
    this.counts.events++;
    if (!this.opts.figures && !this.opts.unique) return this.sink.out(eventLine(e));
    const a = this.dedup.admit(e);
    if (a.verdict === "duplicate") {
      this.counts.duplicates++;
      return;
    }
    if (a.verdict === "conflict") {
      this.counts.conflicts++;
      this.sink.err(`${path}:${line}: conflict: conversation ${e.conversationId} participant ${e.participantId} queue ${e.queueId} was counted ${a.counted}, now reads ${e.kind}; the first stays`);
      return;
    }
    if (!this.opts.figures) return this.sink.out(eventLine(e));
    if (e.time > this.latest) {
      this.latest = e.time;
      this.clock.set(e.time);
    }
    this.engine.apply(e);
  }

  private malformed(path: string, line: number, reason: string): void {
    this.counts.malformed++;
    this.sink.err(`${path}:${line}: ${reason}`);
  }
}

/** Statistics settings from a monitor configuration file; credentials are neither needed nor read. */
export function statsFromConfig(file: string): EngineSettings {
  return loadConfig(file, {}, undefined, { needsGenesys: false }).stats;
}

interface ReplayFlags {
  figures?: boolean;
  unique?: boolean;
  config?: string;
  queue?: string[];
}

/** stdout in 64 KiB chunks, waiting when the reader is slow; a closed pipe (`| head`) ends quietly. */
function stdoutSink(): ReplaySink & { flush(): Promise<void> } {
  let buf: string[] = [];
  let size = 0;
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
  const flush = async () => {
    if (buf.length === 0) return;
    const chunk = buf.join("");
    buf = [];
    size = 0;
    if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once("drain", r));
  };
  return {
    out: (line) => {
      buf.push(line, "\n");
      size += line.length + 1;
      if (size >= 65_536) return flush();
    },
    err: (line) => process.stderr.write(`${line}\n`),
    flush,
  };
}

export function replayCommand(program: Command): void {
  program
    .command("replay")
    .description("Re-read recorded frames and details pages (run --record, or plain files): print the events, or the figures they give")
    .argument("<files...>", "recordings, notification frame files, details query responses")
    .option("--figures", "feed dedup and the statistics engine and print the /api/queues body at the latest event time")
    .option("--unique", "print each queue-visit fact once (as dedup admits it), not every reading")
    .option("--config <file>", "monitor configuration file: its stats settings (time zone, intervals, windows, service level) are used")
    .option("--queue <id>", "only this queue (repeatable)", (v: string, prev: string[] = []) => [...prev, v])
    .action(async (files: string[], flags: ReplayFlags) => {
      const sink = stdoutSink();
      const replay = new Replay({ figures: flags.figures, unique: flags.unique, queues: flags.queue, stats: flags.config ? statsFromConfig(flags.config) : undefined }, sink);
      for (const f of files) await replay.file(f);
      if (flags.figures) await sink.out(JSON.stringify(replay.figures(), null, 2));
      await sink.flush();
      const c = replay.counts;
      sink.err(`replay: ${c.files} file(s) read, ${c.unreadable} unreadable, ${c.documents} documents, ${c.events} events` + (flags.figures || flags.unique ? ` (${c.duplicates} duplicates, ${c.conflicts} conflicts)` : "") + `, ${c.malformed} malformed, ${c.ignored} other frames`);
      if (c.files === 0) process.exitCode = 1;
    });
}
