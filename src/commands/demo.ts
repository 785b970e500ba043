import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Option, type Command } from "commander";
import { setPath } from "../config/env.js";
import { loadConfig } from "../config/load.js";
import type { SeriesSnapshot } from "../aggregate/series.js";
import { Monitor } from "../app/monitor.js";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { SqsServer } from "../emulator/eventbridge/sqs-server.js";
import { createLogger } from "../util/log.js";
import { readAlerts } from "../wallboard/alerts.js";
import { addEmulatorOptions, emulatorOptions, hasAwsCredentials, LOCAL_SQS_CREDENTIALS, startEmulator, type EmulatorCliOptions } from "./emulate.js";

interface DemoFlags extends EmulatorCliOptions {
  listen: string;
  state?: string;
  every: number;
  table?: boolean;
  source: "websocket" | "eventbridge";
}

/** An SQS server in this process (fauxqs on loopback) with the queue the emulator's EventBridge rule targets. */
async function localQueue(): Promise<{ server: SqsServer; queueUrl: string }> {
  // Loaded only here: fauxqs (and its HTTP framework) is no part of the monitor.
  const { createQueueWithDeadLetter, startSqsServer } = await import("../emulator/eventbridge/sqs-server.js");
  const server = await startSqsServer();
  const client = new SQSClient({ endpoint: server.endpoint, region: "us-east-1", credentials: LOCAL_SQS_CREDENTIALS });
  try {
    const { queueUrl } = await createQueueWithDeadLetter(client, "genesys-events");
    return { server, queueUrl };
  } finally {
    client.destroy();
  }
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

interface DemoProgress {
  clock: string;
  events: number;
  alertsRaised: number;
  firing: number;
  connected: boolean;
  caughtUp: boolean;
  /** EventBridge: messages waiting in the SQS queue (its last backlog read). */
  backlog?: number | null;
}

/** The one-line progress the demo keeps rewriting. */
export function progressLine(p: DemoProgress): string {
  const stream = !p.connected ? "RECONNECTING" : p.caughtUp ? "live" : "catching up";
  const backlog = p.backlog === undefined ? "" : `  SQS backlog ${p.backlog ?? "-"}`;
  return `${p.clock.replace("T", " ").slice(0, 19)} (simulated)  events ingested ${p.events}  alerts raised ${p.alertsRaised} (${p.firing} firing)  stream ${stream}${backlog}`;
}

export function demoCommand(program: Command): void {
  const cmd = addEmulatorOptions(program.command("demo").description("Run the emulator with simulated callers and the monitor against it, all locally; open the wallboard it prints"))
    .option("--listen <host:port>", "monitor HTTP address", "127.0.0.1:9464")
    .option("--state <file>", "monitor state file (default: a fresh temporary file)")
    .option("--every <seconds>", "refresh the progress line this often", (v) => Number(v), 1)
    .option("--table", "also print a table of every queue at each refresh")
    .addOption(new Option("--source <source>", "where the monitor reads notifications: the WebSocket, or EventBridge through SQS (an SQS server in this process unless --eventbridge-sqs names a queue)").choices(["websocket", "eventbridge"]).default("websocket"));
  // The demo shows a surge on one queue (the wallboard's alert colour) unless told otherwise.
  cmd.options.find((o) => o.long === "--scenario")?.default("surge");
  cmd.setOptionValueWithSource("scenario", "surge", "default");
  cmd.action(async (flags: DemoFlags) => {
    const log = createLogger("demo", process.env.LOG_LEVEL ?? "warn");
    const eventBridge = flags.source === "eventbridge";
    // The SDK's notice that later versions need Node 22 says nothing a demo can act on.
    if (eventBridge) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const sqs = eventBridge && flags.eventbridgeSqs === undefined ? await localQueue() : undefined;
    if (sqs) Object.assign(flags, { eventbridgeSqs: sqs.queueUrl, sqsEndpoint: sqs.server.endpoint, sqsRegion: "us-east-1" });
    const emuOptions = emulatorOptions(flags, log);
    const eb = eventBridge ? emuOptions.eventBridge : undefined;
    const emu = await startEmulator(emuOptions);
    // The same loader as `run` (and its cross-checks), with the emulator wired in; PagerDuty pages the emulator's receiver.
    const config = loadConfig(undefined, process.env, (raw) => {
      setPath(raw, ["genesys", "baseUrl"], emu.url);
      setPath(raw, ["genesys", "clientId"], emu.options.clientId);
      setPath(raw, ["genesys", "clientSecret"], emu.options.clientSecret);
      setPath(raw, ["stream", "heartbeatSeconds"], emu.options.heartbeatSeconds);
      setPath(raw, ["backfill", "ingestionDelaySeconds"], emu.options.ingestionDelaySeconds + 1);
      setPath(raw, ["server", "listen"], flags.listen);
      setPath(raw, ["state", "file"], flags.state ?? join(mkdtempSync(join(tmpdir(), "queue-monitor-demo-")), "state.sqlite"));
      setPath(raw, ["alerts", "pagerduty", "routingKey"], "demo0000000000000000000000000000");
      setPath(raw, ["alerts", "pagerduty", "eventsUrl"], `${emu.url}/v2/enqueue`);
      if (eb) setPath(raw, ["source"], { type: "eventbridge", queueUrl: eb.queueUrl, region: eb.region, ...(eb.endpoint ? { endpoint: eb.endpoint } : {}) });
    });
    const awsCredentials = eb?.endpoint !== undefined && !hasAwsCredentials(process.env) ? LOCAL_SQS_CREDENTIALS : undefined;
    const monitor = new Monitor(config, emu.clock, log, { awsCredentials });
    await monitor.start();
    const m = monitor.listenUrl;
    process.stdout.write(
      `queue-monitor demo: scenario ${emu.options.scenario.name} (${emu.sim.queues.length} queues), seed ${emu.options.seed}, simulated clock x${emu.options.speed} from ${new Date(emu.clock.start).toISOString()}
` +
        `  wallboard:  ${m}/
` +
        `  metrics:    ${m}/metrics
` +
        `  queues:     ${m}/api/queues
` +
        `  health:     ${m}/api/health
` +
        `  emulator:   ${emu.url} (Genesys Cloud API; faults: curl -XPOST ${emu.url}/emulator/faults -H 'content-type: application/json' -d '{"type":"drop-sockets"}')
` +
        `  pagerduty:  ${emu.url}/v2/enqueue (received: ${emu.url}/emulator/pagerduty/events)
` +
        (eb
          ? `  source:     EventBridge through SQS ${eb.queueUrl}${sqs ? ` (in this process, ${sqs.server.endpoint})` : ""}; published: ${emu.url}/emulator/eventbridge; late delivery: curl -XPOST ${emu.url}/emulator/faults -H 'content-type: application/json' -d '{"type":"eventbridge-hold","seconds":20}'
`
          : "") +
        `  state:      ${config.state.file}
  Ctrl-C to stop.

`,
    );
    const raised = new Set<string>();
    const tty = process.stdout.isTTY === true;
    const timer = setInterval(() => {
      const h = monitor.health();
      const alerts = readAlerts(monitor.alertStates());
      for (const a of alerts) if (a.state === "firing") raised.add(`${a.rule}|${a.queueId}|${a.mediaType ?? ""}|${a.since ?? ""}`);
      const line = progressLine({
        clock: new Date(emu.clock.now()).toISOString(),
        events: h.counters.streamEvents + h.counters.backfilledEvents,
        alertsRaised: raised.size,
        firing: alerts.filter((a) => a.state === "firing").length,
        connected: h.connected,
        caughtUp: h.caughtUp,
        backlog: h.source.type === "eventbridge-sqs" ? (h.source.backlog?.visible ?? null) : undefined,
      });
      if (flags.table) process.stdout.write(table(monitor.engine.snapshot(), new Date(emu.clock.now()).toISOString()) + "\n" + line + "\n\n");
      // A terminal gets one line rewritten in place; a pipe or log file gets one line per refresh.
      else process.stdout.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
    }, flags.every * 1000);
    const stop = () => {
      clearInterval(timer);
      if (tty) process.stdout.write("\n");
      void monitor
        .stop()
        .then(() => emu.stop())
        .then(() => sqs?.server.stop())
        .then(() => process.exit(0));
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
