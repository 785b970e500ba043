import { Command, Option } from "commander";
import { number } from "../cli-args.js";
import { Emulator, emulatorDefaults, type EmulatorOptions } from "../emulator/server.js";
import { loadScenario, scenarioNames } from "../emulator/simulator/scenario.js";
import { createLogger } from "../util/log.js";

/** Options shared by `emulate` and `demo`. */
export function addEmulatorOptions(cmd: Command): Command {
  const d = emulatorDefaults;
  return cmd
    .option("--port <port>", "listen port (0 picks a free one)", number("--port", { min: 0, integer: true }), d.port)
    .option("--host <host>", "listen address (loopback only is sensible)", d.host)
    .option("--seed <n>", "random seed: same seed, same calls", number("--seed", { integer: true }), d.seed)
    .option("--speed <x>", "virtual clock speed: 60 runs an hour of traffic per minute", number("--speed", { min: 0.001 }), d.speed)
    .option("--scenario <name|file>", `named scenario (${scenarioNames.join(", ")}) or a YAML/JSON file`, "steady")
    .option("--duration <minutes>", "simulated minutes of arrivals; calls in progress then finish", number("--duration", { min: 0 }))
    .option("--start <iso>", "virtual clock start (default: now)")
    .option("--client-id <id>", "OAuth client id accepted (env GENESYS_CLIENT_ID)")
    .option("--client-secret <secret>", "OAuth client secret accepted (env GENESYS_CLIENT_SECRET)")
    .option("--token-ttl <seconds>", "access token lifetime (expires_in)", number("--token-ttl", { min: 1 }), d.tokenTtlSeconds)
    .option("--rate-limit <n>", "API requests per minute per token before 429", number("--rate-limit", { min: 1, integer: true }), d.requestsPerMinute)
    .addOption(new Option("--invalid-client-status <code>", "HTTP status of invalid_client (unconfirmed: 400 or 401)").choices(["400", "401"]).default("401"))
    .option("--heartbeat <seconds>", "WebSocket heartbeat interval (real seconds)", number("--heartbeat", { min: 0.05 }), d.heartbeatSeconds)
    .option("--channel-ttl <hours>", "channel lifetime in virtual hours", number("--channel-ttl", { min: 0.001 }), d.channelTtlHours)
    .option("--ingestion-delay <seconds>", "analytics details lag (real seconds)", number("--ingestion-delay", { min: 0 }), d.ingestionDelaySeconds)
    .addOption(new Option("--details-interval <mode>", "details query interval selects conversations that start in it, or overlap it").choices(["start", "overlap"]).default("start"))
    .option("--retention <hours>", "finished conversations stay in analytics this long (virtual hours)", number("--retention", { min: 0.01 }), d.retentionHours)
    .option("--ground-truth <file>", "write every ground-truth QueueEvent as a JSON line")
    .option("--pagerduty-rate <n>", "PagerDuty events per minute per routing key before 429", number("--pagerduty-rate", { min: 1, integer: true }), d.pagerDutyPerMinute);
}

export interface EmulatorCliOptions {
  port: number;
  host: string;
  seed: number;
  speed: number;
  scenario: string;
  duration?: number;
  start?: string;
  clientId?: string;
  clientSecret?: string;
  tokenTtl: number;
  rateLimit: number;
  invalidClientStatus: string;
  heartbeat: number;
  channelTtl: number;
  ingestionDelay: number;
  detailsInterval: "start" | "overlap";
  retention: number;
  groundTruth?: string;
  pagerdutyRate: number;
}

export function emulatorOptions(o: EmulatorCliOptions, log: ReturnType<typeof createLogger>): EmulatorOptions {
  let start: number | undefined;
  if (o.start !== undefined) {
    start = Date.parse(o.start);
    if (!Number.isFinite(start)) throw new Error(`--start must be an ISO-8601 time, got "${o.start}"`);
  }
  return {
    host: o.host,
    port: o.port,
    seed: o.seed,
    speed: o.speed,
    scenario: loadScenario(o.scenario),
    start,
    durationMinutes: o.duration,
    clientId: o.clientId ?? process.env.GENESYS_CLIENT_ID ?? emulatorDefaults.clientId,
    clientSecret: o.clientSecret ?? process.env.GENESYS_CLIENT_SECRET ?? emulatorDefaults.clientSecret,
    tokenTtlSeconds: o.tokenTtl,
    requestsPerMinute: o.rateLimit,
    invalidClientStatus: Number(o.invalidClientStatus) as 400 | 401,
    heartbeatSeconds: o.heartbeat,
    channelTtlHours: o.channelTtl,
    ingestionDelaySeconds: o.ingestionDelay,
    detailsInterval: o.detailsInterval,
    retentionHours: o.retention,
    groundTruthFile: o.groundTruth,
    pagerDutyPerMinute: o.pagerdutyRate,
    log,
  };
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const emu = new Emulator(options);
  await emu.start();
  const queues = emu.sim.queues.map((q) => `${q.name}=${q.id}`).join(", ");
  options.log.info(
    {
      url: emu.url,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      clockStart: new Date(emu.clock.start).toISOString(),
      speed: options.speed,
      scenario: options.scenario.name,
      queues,
    },
    "emulator listening",
  );
  return emu;
}

export function emulateCommand(program: Command): void {
  addEmulatorOptions(program.command("emulate").description("Run the Genesys Cloud emulator with simulated callers")).action(async (o: EmulatorCliOptions) => {
    const log = createLogger("emulator");
    const emu = await startEmulator(emulatorOptions(o, log));
    process.stdout.write(
      `Genesys Cloud emulator on ${emu.url}\n` +
        `  client id / secret: ${emu.options.clientId} / ${emu.options.clientSecret}\n` +
        `  virtual clock: starts ${new Date(emu.clock.start).toISOString()}, speed x${emu.options.speed}\n` +
        `  scenario: ${emu.options.scenario.name} (${emu.sim.queues.map((q) => q.name).join(", ")})\n`,
    );
    const stop = () => {
      void emu.stop().then(() => process.exit(0));
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
