import { Command, InvalidArgumentError, Option } from "commander";
import { number } from "./args.js";
import { Emulator, emulatorDefaults, type EmulatorOptions } from "../emulator/server.js";
import { loadScenario, scenarioNames } from "../emulator/simulator/load-scenario.js";
import { regionOfQueueUrl } from "../sources/eventbridge/config.js";
import { createLogger } from "../util/log.js";

/** A commander parser for a share 0..1 that names the flag in its error. */
function shareArg(name: string) {
  return (v: string): number => {
    const n = number(name, { min: 0 })(v);
    if (n > 1) throw new InvalidArgumentError(`${name} must be a number 0..1, got "${v}"`);
    return n;
  };
}

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
    .option("--ingestion-delay <seconds>", "typical analytics details lag per conversation version (real seconds; each draws 0.5x..1.5x)", number("--ingestion-delay", { min: 0 }), d.ingestionDelaySeconds)
    .option("--ingestion-lag-tail <seconds>", "the long lag a few versions get instead (real seconds; 0 = none)", number("--ingestion-lag-tail", { min: 0 }), d.ingestionLagTailSeconds)
    .option("--ingestion-lag-tail-share <p>", "share of versions with the long lag (0..1)", shareArg("--ingestion-lag-tail-share"), d.ingestionLagTailShare)
    .option("--retention <hours>", "finished conversations stay in analytics this long (virtual hours)", number("--retention", { min: 0.01 }), d.retentionHours)
    .option("--ground-truth <file>", "write every ground-truth QueueEvent as a JSON line")
    .option("--frame-log <file>", "write a line per notification frame sent: CorrelationId, sent and event time (virtual ms), topic (the load test's latency join)")
    .option("--pagerduty-rate <n>", "PagerDuty events per minute per routing key before 429", number("--pagerduty-rate", { min: 1, integer: true }), d.pagerDutyPerMinute)
    .option("--eventbridge-sqs <queueUrl>", "also publish every notification as an EventBridge event into this SQS queue (Genesys' EventBridge integration)")
    .option("--sqs-endpoint <url>", "an SQS-compatible server (fauxqs, ElasticMQ) instead of AWS")
    .option("--sqs-region <region>", "the queue's region (default: from the queue URL, else AWS_REGION, else us-east-1)")
    .option("--eventbridge-reorder-ms <ms>", "each EventBridge message leaves at a random moment within this window (real ms)", number("--eventbridge-reorder-ms", { min: 0 }), d.eventBridgeReorderMs)
    .option("--eventbridge-duplicates <p>", "share of EventBridge messages sent twice (0..1)", shareArg("--eventbridge-duplicates"), d.eventBridgeDuplicateShare);
}

/** Credentials for a local SQS-compatible server, which checks none; AWS itself gets the SDK's default chain. */
export const LOCAL_SQS_CREDENTIALS = { accessKeyId: "queue-monitor-local", secretAccessKey: "queue-monitor-local" };

/** Whether the environment names AWS credentials of its own (then the default chain is used, even locally). */
export function hasAwsCredentials(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE || env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI);
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
  ingestionLagTail: number;
  ingestionLagTailShare: number;
  retention: number;
  groundTruth?: string;
  frameLog?: string;
  pagerdutyRate: number;
  eventbridgeSqs?: string;
  sqsEndpoint?: string;
  sqsRegion?: string;
  eventbridgeReorderMs: number;
  eventbridgeDuplicates: number;
}

/** Where the accepted secret came from: printed instead of the secret, which is never printed or logged. */
export function secretSource(o: Pick<EmulatorCliOptions, "clientSecret">, env: NodeJS.ProcessEnv = process.env): string {
  if (o.clientSecret !== undefined) return "(from --client-secret)";
  if (env.GENESYS_CLIENT_SECRET) return "(from env GENESYS_CLIENT_SECRET)";
  return "(the default; see README)";
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
    ingestionLagTailSeconds: o.ingestionLagTail,
    ingestionLagTailShare: o.ingestionLagTailShare,
    retentionHours: o.retention,
    groundTruthFile: o.groundTruth,
    frameLogFile: o.frameLog,
    pagerDutyPerMinute: o.pagerdutyRate,
    eventBridge: o.eventbridgeSqs === undefined ? undefined : eventBridgeOptions(o),
    log,
  };
}

function eventBridgeOptions(o: EmulatorCliOptions, env: NodeJS.ProcessEnv = process.env): NonNullable<EmulatorOptions["eventBridge"]> {
  const queueUrl = o.eventbridgeSqs!;
  try {
    new URL(queueUrl);
  } catch {
    throw new Error(`--eventbridge-sqs must be an SQS queue URL, got "${queueUrl}"`);
  }
  return {
    queueUrl,
    endpoint: o.sqsEndpoint,
    region: o.sqsRegion ?? regionOfQueueUrl(queueUrl) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    credentials: o.sqsEndpoint !== undefined && !hasAwsCredentials(env) ? LOCAL_SQS_CREDENTIALS : undefined,
    reorderWindowMs: o.eventbridgeReorderMs,
    duplicateShare: o.eventbridgeDuplicates,
  };
}

export async function startEmulator(options: EmulatorOptions, secret = "(not shown)"): Promise<Emulator> {
  const emu = new Emulator(options);
  await emu.start();
  const queues = emu.sim.queues.map((q) => `${q.name}=${q.id}`).join(", ");
  options.log.info(
    {
      url: emu.url,
      clientId: options.clientId,
      clientSecret: secret,
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
    const secret = secretSource(o);
    const emu = await startEmulator(emulatorOptions(o, log), secret);
    process.stdout.write(
      `Genesys Cloud emulator on ${emu.url}\n` +
        `  client id: ${emu.options.clientId}, secret: ${secret}\n` +
        `  virtual clock: starts ${new Date(emu.clock.start).toISOString()}, speed x${emu.options.speed}\n` +
        `  scenario: ${emu.options.scenario.name} (${emu.sim.queues.map((q) => q.name).join(", ")})\n` +
        (emu.eventBridge ? `  EventBridge: every notification also into ${emu.options.eventBridge!.queueUrl} (reordered within ${emu.options.eventBridge!.reorderWindowMs} ms, ${emu.options.eventBridge!.duplicateShare} sent twice; late delivery: POST /emulator/faults {"type":"eventbridge-hold","seconds":30})\n` : ""),
    );
    const stop = () => {
      void emu.stop().then(() => process.exit(0));
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
