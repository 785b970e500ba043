import type { Command } from "commander";
import { setPath } from "../config/env.js";
import { ms } from "../normalize/time.js";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { Recorder } from "../record/recording.js";
import { Monitor } from "../app/monitor.js";
import { systemClock, VirtualClock, type Clock } from "../util/clock.js";
import { createLogger, type Logger } from "../util/log.js";

export interface RunFlags {
  config?: string;
  listen?: string;
  state?: string;
  clock?: string;
  /** Append every frame and details page received to this file (see `replay`). */
  record?: string;
}

/** "system", "emulator" (asks the emulator's /emulator/clock), or "ISO@SPEED". */
export async function resolveClock(spec: Config["clock"], baseUrl: string | undefined): Promise<Clock> {
  if (spec === "system") return systemClock;
  if (spec === "emulator") {
    if (!baseUrl) throw new Error("clock emulator needs genesys.baseUrl (GENESYS_BASE_URL) pointing at the emulator");
    const sent = Date.now();
    const res = await fetch(`${baseUrl.replace(/\/+$/, "")}/emulator/clock`);
    if (!res.ok) throw new Error(`clock emulator: ${baseUrl}/emulator/clock answered ${res.status}`);
    const body = (await res.json()) as { now?: string; speed?: number };
    const now = ms(body.now);
    if (now === undefined || !(typeof body.speed === "number" && body.speed > 0)) throw new Error(`clock emulator: unexpected answer ${JSON.stringify(body)}`);
    const received = Date.now();
    // The answer was true at about the middle of the round trip.
    return new VirtualClock(now, body.speed, (sent + received) / 2);
  }
  const start = ms(spec.start);
  if (start === undefined) throw new Error(`clock.start: not an ISO-8601 time: "${spec.start}"`);
  return new VirtualClock(start, spec.speed);
}

function parseClockFlag(v: string): Config["clock"] {
  if (v === "system" || v === "emulator") return v;
  const m = /^(.+)@([\d.]+)$/.exec(v);
  if (!m) throw new Error(`--clock must be system, emulator or ISO@SPEED, got "${v}"`);
  return { start: m[1], speed: Number(m[2]) };
}

/** Builds the monitor from flags, file and environment (not started yet). */
export async function createMonitor(flags: RunFlags, log: Logger, env = process.env): Promise<Monitor> {
  const config = loadConfig(flags.config, env, (raw) => {
    if (flags.listen) setPath(raw, ["server", "listen"], flags.listen);
    if (flags.state) setPath(raw, ["state", "file"], flags.state);
    if (flags.clock) setPath(raw, ["clock"], parseClockFlag(flags.clock));
  });
  const clock = await resolveClock(config.clock, config.genesys.baseUrl);
  if (!flags.record) return new Monitor(config, clock, log);
  // Opened up front: a path that cannot be written fails the start, not the running monitor.
  const rec = new Recorder(flags.record, clock, log);
  log.info({ file: rec.file }, "recording frames and details pages");
  return new Monitor(config, clock, log, { onRawFrame: (f) => rec.frame(f), onDetailsPage: (b) => rec.details(b) });
}

export function runCommand(program: Command): void {
  program
    .command("run")
    .description("Watch Genesys Cloud queues: live stream, backfill of gaps, figures at /api/queues")
    .option("--config <file>", "YAML configuration file")
    .option("--listen <host:port>", "HTTP listen address (default 127.0.0.1:9464)")
    .option("--state <file>", "SQLite state file (default queue-monitor.sqlite)")
    .option("--clock <clock>", "system | emulator | ISO@SPEED (event time source)")
    .option("--record <file>", "append every notification frame and details page received to FILE (JSON lines, for `replay`)")
    .action(async (flags: RunFlags) => {
      const log = createLogger("monitor");
      const monitor = await createMonitor(flags, log);
      // Handlers first: start() keeps retrying while Genesys is unreachable, and a stop then must still be clean.
      const stop = () => {
        void monitor.stop().then(() => process.exit(0));
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      await monitor.start();
      log.info({ url: monitor.listenUrl, state: monitor.config.state.file, queues: monitor.queues.size }, "monitor running");
    });
}
