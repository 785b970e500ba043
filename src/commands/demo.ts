import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { configSchema } from "../config/config.js";
import type { SeriesSnapshot } from "../aggregate/series.js";
import { Monitor } from "../monitor/service.js";
import { createLogger } from "../util/log.js";
import { addEmulatorOptions, emulatorOptions, startEmulator, type EmulatorCliOptions } from "./emulate.js";

interface DemoFlags extends EmulatorCliOptions {
  listen: string;
  state?: string;
  every: number;
}

const fmt = (v: number | null | undefined, digits = 0, suffix = "") => (v === null || v === undefined ? "-" : `${v.toFixed(digits)}${suffix}`);

/** A compact console view of what /api/queues serves. */
export function table(rows: SeriesSnapshot[], now: string): string {
  const head = ["queue", "media", "waiting", "longest", "offered", "answered", "abandoned", "SL 15m", "ASA 15m", "p90 15m", "p99 15m", "abandon 15m"];
  const lines = rows.map((r) => {
    const w = r.windows["15m"];
    return [
      r.queueName,
      r.mediaType,
      String(r.now.waiting),
      fmt(r.now.longestWaitingSeconds, 0, "s"),
      String(r.intervals.today.offered),
      String(r.intervals.today.answered),
      String(r.intervals.today.abandoned),
      fmt(w.serviceLevel === null ? null : w.serviceLevel * 100, 0, "%"),
      fmt(w.asaSeconds, 0, "s"),
      fmt(w.answeredWaitSeconds.p90, 0, "s"),
      fmt(w.answeredWaitSeconds.p99, 0, "s"),
      fmt(w.abandonRate === null ? null : w.abandonRate * 100, 0, "%"),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [`-- ${now} (virtual clock) --`, row(head), ...lines.map(row)].join("\n");
}

export function demoCommand(program: Command): void {
  addEmulatorOptions(program.command("demo").description("Run the emulator with simulated callers and the monitor against it, all locally"))
    .option("--listen <host:port>", "monitor HTTP address", "127.0.0.1:9464")
    .option("--state <file>", "monitor state file (default: a fresh temporary file)")
    .option("--every <seconds>", "print the summary table this often", (v) => Number(v), 5)
    .action(async (flags: DemoFlags) => {
      const log = createLogger("demo", process.env.LOG_LEVEL ?? "warn");
      const emu = await startEmulator(emulatorOptions(flags, log));
      const config = configSchema.parse({
        genesys: { baseUrl: emu.url, clientId: emu.options.clientId, clientSecret: emu.options.clientSecret },
        stream: { heartbeatSeconds: emu.options.heartbeatSeconds },
        backfill: { ingestionDelaySeconds: emu.options.ingestionDelaySeconds + 1 },
        server: { listen: flags.listen },
        state: { file: flags.state ?? join(mkdtempSync(join(tmpdir(), "queue-monitor-demo-")), "state.sqlite") },
        alerts: { pagerduty: { routingKey: "demo0000000000000000000000000000", eventsUrl: `${emu.url}/v2/enqueue` } }, // alerting hook (issue 10): pages the emulator's receiver
      });
      const monitor = new Monitor(config, emu.clock, log);
      await monitor.start();
      process.stdout.write(
        `queue-monitor demo\n` +
          `  emulator: ${emu.url} (scenario ${emu.options.scenario.name}, seed ${emu.options.seed}, virtual clock x${emu.options.speed} from ${new Date(emu.clock.start).toISOString()})\n` +
          `  monitor:  ${monitor.listenUrl}/api/queues  ${monitor.listenUrl}/readyz  ${monitor.listenUrl}/api/health\n` +
          `  faults:   curl -XPOST ${emu.url}/emulator/faults -H 'content-type: application/json' -d '{"type":"drop-sockets"}'\n` +
          `  state:    ${config.state.file}\n  Ctrl-C to stop.\n\n`,
      );
      const timer = setInterval(() => {
        const h = monitor.health();
        const c = h.counters;
        const stream =
          `stream: ${h.connected ? "connected" : "RECONNECTING"}, ${h.channels.length} channel(s), ${h.caughtUp ? "caught up" : "backfilling"}; ` +
          `reconnects ${c.reconnects}, events from stream ${c.streamEvents}, recovered by backfill ${c.backfilledEvents}, duplicates dropped ${c.duplicatesDropped}`;
        process.stdout.write(table(monitor.engine.snapshot(), new Date(emu.clock.now()).toISOString()) + "\n" + stream + "\n\n");
      }, flags.every * 1000);
      const stop = () => {
        clearInterval(timer);
        void monitor.stop().then(() => emu.stop()).then(() => process.exit(0));
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
}
