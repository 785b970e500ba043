/**
 * The soak (`npm run soak -- --minutes N`; not part of `npm test`): the emulator and the monitor
 * run as children of the real CLI on loopback, with a busy contact center (about 4,500 calls an
 * hour, many abandons) and the analytics lag tail on, a real VictoriaMetrics as export sink and
 * PagerDuty at the emulator's receiver. For N minutes a seeded schedule does what a hostile
 * environment does: every emulator fault, kill -9 of the monitor (same state file), VictoriaMetrics
 * stopped and restarted on its port and data, PagerDuty refusing, the state file's disk full (root
 * only), garbage frames. Then the traffic's influence ends (no call left in a queue, the lag tail
 * past, the monitor ready) and the suite checks, against the emulator's ground truth:
 *  - totals per queue x media x outcome; windows, current and previous interval and the day,
 *    field by field, recomputed from every ground-truth event for the instant of the body;
 *  - every export flush in VictoriaMetrics exactly once at its timestamp;
 *  - every alert transition at PagerDuty once, in order, one trigger per incident;
 *  - the monitor never exited but by our kills, its RSS under --max-rss-mib.
 * One JSON line of figures at the end; exit 1 on any difference, 2 when the harness failed.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { ChildProcess } from "node:child_process";
import { freePort, MonitorProcess } from "../test/helpers/monitor-process.js";
import { parseExposition, vmExport } from "../test/helpers/readback.js";
import { requireBinary, startVictoriaMetrics, type ServerProcess } from "../test/helpers/servers.js";
import { checkAlerts, loggedTransitions, type FinalAlert, type Incident, type ReceivedEvent } from "./soak/alerts-check.js";
import { compareAudit, readAudit } from "./soak/audit.js";
import { SmallDisk } from "./soak/disk.js";
import { checkExport, storedFlushes } from "./soak/export-check.js";
import { checkFigures, locateTotalsDifferences, type Difference, type QueuesBody } from "./soak/figures-check.js";
import { monitorConfig } from "./soak/monitor-config.js";
import { Cleanup, RssWatch, sleep, spawnCli, stopChild, until } from "./soak/processes.js";
import { soakScenario } from "./soak/scenario.js";
import { availableKinds, buildSchedule, type Step } from "./soak/schedule.js";
import { bySeries, readTruthFile, seriesKey, totalsOf, visitsToEvents, type Kind, type TruthEvent, type TruthGroup, type Visit } from "./soak/truth.js";

// ---- flags ----------------------------------------------------------------------------------

const { values: flags } = parseArgs({
  options: {
    minutes: { type: "string", default: "3" },
    seed: { type: "string", default: "1" },
    /** Emulator clock speed: 6 gives ~7.5 calls a real second and keeps the last traffic inside the 15 and 60 minute windows at the check. */
    speed: { type: "string", default: "6" },
    keep: { type: "boolean", default: false },
    "no-disk": { type: "boolean", default: false },
    "no-vm": { type: "boolean", default: false },
    "vm-binary": { type: "string" },
    "max-rss-mib": { type: "string", default: "1024" },
    /** Mean real seconds between hostile acts once every kind has had its turn. */
    "every-seconds": { type: "string", default: "10" },
    "interval-minutes": { type: "string", default: "15" },
    "flush-seconds": { type: "string", default: "30" },
    "lag-tail-seconds": { type: "string", default: "60" },
    "lag-tail-share": { type: "string", default: "0.02" },
    /** Real seconds the end may wait for the monitor's totals to reach the truth (after the tail). */
    "settle-seconds": { type: "string", default: "150" },
    /** Differences listed in full in the JSON line (all are counted). */
    "max-details": { type: "string", default: "200" },
  },
});
const num = (name: keyof typeof flags, min = 0): number => {
  const v = Number(flags[name]);
  if (!Number.isFinite(v) || v < min) throw new Error(`--${name} must be a number >= ${min}, got ${String(flags[name])}`);
  return v;
};
const MINUTES = num("minutes", 0.5);
const SEED = Math.round(num("seed"));
const SPEED = num("speed", 0.1);
const MAX_RSS_MIB = num("max-rss-mib", 1);
const EVERY_MS = num("every-seconds", 1) * 1000;
const INTERVAL = num("interval-minutes");
if (INTERVAL !== 15 && INTERVAL !== 30) throw new Error(`--interval-minutes must be 15 or 30, got ${INTERVAL}`);
const FLUSH_SECONDS = num("flush-seconds", 1);
const LAG_TAIL_S = num("lag-tail-seconds");
const LAG_TAIL_SHARE = num("lag-tail-share");
const SETTLE_MS = num("settle-seconds") * 1000;
const MAX_DETAILS = Math.round(num("max-details"));
const INGESTION_DELAY_S = 3; // the emulator's typical analytics delay (its default)
const CLIENT = { id: "soak-client", secret: "soak-secret-not-a-real-one" };
const env = { GENESYS_CLIENT_ID: CLIENT.id, GENESYS_CLIENT_SECRET: CLIENT.secret };

const t0 = Date.now();
const runSeconds = (real = Date.now()) => Math.round((real - t0) / 100) / 10;
const say = (msg: string) => process.stderr.write(`[soak ${runSeconds().toFixed(0).padStart(4)} s] ${msg}\n`);
const HARD_LIMIT_MS = (MINUTES + 20) * 60_000;

// ---- the run's state ------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), "qm-soak-"));
const cleanup = new Cleanup();
const checksRun: string[] = [];
const checksSkipped: { check: string; why: string }[] = [];
const differences: Difference[] = [];
const harnessErrors: string[] = [];
/** What the run did when (run seconds), to set a loss beside what came before it. */
const timeline: { at: number; what: string }[] = [];
const acts = { faults: 0, kills: 0, vmOutages: [] as number[], pagerdutyRefusals: 0, diskFills: 0, faultsWhileDisconnected: 0 };
const unexpectedExits: { code: number | null; signal: string | null; atSeconds: number; restarted: boolean }[] = [];
let finishing = false;
let emulator: ChildProcess | undefined;
let vm: ServerProcess | null = null;
let disk: SmallDisk | null = null;

const onSignal = (sig: string) => {
  say(`${sig}: stopping every process`);
  finishing = true;
  void cleanup.run().then(() => process.exit(130));
};
process.once("SIGINT", () => onSignal("SIGINT"));
process.once("SIGTERM", () => onSignal("SIGTERM"));
const watchdog = setTimeout(() => {
  say(`hard limit of ${HARD_LIMIT_MS / 60_000} minutes reached: aborting`);
  finishing = true;
  void cleanup.run().then(() => process.exit(2));
}, HARD_LIMIT_MS);
watchdog.unref();
cleanup.add("temporary files", () => {
  if (flags.keep) say(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
});

async function getJson<T>(url: string, init?: RequestInit, timeoutMs = 30_000): Promise<T> {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${url} answered ${r.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}
const post = (url: string, body: unknown) => getJson<unknown>(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

// ---- start ----------------------------------------------------------------------------------

interface GroundTruth {
  now: string;
  settled: boolean;
  open: { beforeQueue: number; waiting: number };
  queues: TruthGroup[];
  visits?: Visit[];
}

async function main(): Promise<number> {
  // VictoriaMetrics first: without it, say so loudly and skip only its part.
  if (flags["no-vm"]) checksSkipped.push({ check: "vm-exactly-once", why: "--no-vm" });
  else {
    let bin: string | null = flags["vm-binary"] ?? null;
    if (!bin) {
      try {
        bin = requireBinary("victoria-metrics");
      } catch (e) {
        say(`!!! ${(e as Error).message}`);
        say("!!! VICTORIAMETRICS IS NOT INSTALLED: the export check and the sink outage are SKIPPED");
        checksSkipped.push({ check: "vm-exactly-once", why: "victoria-metrics not installed" });
      }
    }
    if (bin) {
      vm = await startVictoriaMetrics(join(dir, "vm"), await freePort(), bin);
      cleanup.add("victoria-metrics", () => vm?.stop());
      cleanup.child(() => vm?.child);
      say(`victoria-metrics on ${vm.url}`);
    }
  }
  const noDisk = flags["no-disk"] ? "--no-disk" : SmallDisk.unavailable();
  let stateDir = join(dir, "state");
  if (noDisk) {
    say(`full-disk fault SKIPPED: ${noDisk}`);
    checksSkipped.push({ check: "disk-full", why: noDisk });
    mkdirSync(stateDir, { recursive: true });
  } else {
    disk = new SmallDisk(join(dir, "state-tmpfs"), 64);
    disk.mount();
    stateDir = disk.dir;
    cleanup.add("tmpfs", () => disk?.dispose(flags.keep ? join(dir, "state-copy") : undefined));
    say(`state file on a 64 MiB tmpfs at ${disk.dir}`);
  }
  const stateFile = join(stateDir, "state.sqlite");

  // The emulator, as `queue-monitor emulate`.
  const virtualMinutes = MINUTES * SPEED;
  const scenarioFile = join(dir, "scenario.json");
  writeFileSync(scenarioFile, JSON.stringify(soakScenario(virtualMinutes)));
  const truthFile = join(dir, "ground-truth.jsonl");
  const emuPort = await freePort();
  const emuUrl = `http://127.0.0.1:${emuPort}`;
  // prettier-ignore
  emulator = spawnCli(["emulate", "--port", String(emuPort), "--seed", String(SEED), "--speed", String(SPEED), "--scenario", scenarioFile,
    "--duration", String(virtualMinutes), "--heartbeat", "1", "--token-ttl", "60", "--channel-ttl", "0.5",
    "--ingestion-lag-tail", String(LAG_TAIL_S), "--ingestion-lag-tail-share", String(LAG_TAIL_SHARE), "--ground-truth", truthFile], join(dir, "emulator.log"), env);
  const emuStarted = Date.now();
  cleanup.add("emulator", () => stopChild(emulator));
  cleanup.child(() => emulator);
  const clock0 = await until(20_000, 100, () => getJson<{ now: string; speed: number }>(`${emuUrl}/emulator/clock`, undefined, 2000));
  if (!clock0) throw new Error(`the emulator did not start; see ${dir}/emulator.log`);
  const trafficEndReal = emuStarted + MINUTES * 60_000;
  // The emulator's clock runs SPEED x real time from this reading on: real time of a virtual one.
  const clockRead = Date.now();
  const realOf = (virtual: number) => clockRead + (virtual - Date.parse(clock0.now)) / SPEED;
  /** " (run second 35.2; in the 20 s before: 35.0 stall-heartbeats, ...)" for an event time. */
  const context = (virtual: number) => {
    const at = runSeconds(realOf(virtual));
    const before = timeline.filter((t) => t.at <= at + 1 && t.at >= at - 20).map((t) => `${t.at} ${t.what}`);
    return ` (run second ${at}; in the 20 s before: ${before.length ? before.join(", ") : "nothing"})`;
  };
  say(`emulator on ${emuUrl}: speed x${SPEED}, ${virtualMinutes} simulated minutes of arrivals`);

  // Queue facts from the emulator's routing API (before any fault: an injected 429 would hit this).
  const tok = await getJson<{ access_token: string }>(`${emuUrl}/oauth/token`, {
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials",
  });
  const routing = await getJson<{ entities: { id: string; name: string; mediaSettings: Record<string, { serviceLevel: { durationMs: number } }> }[] }>(`${emuUrl}/api/v2/routing/queues?pageSize=100`, { headers: { authorization: `Bearer ${tok.access_token}` } });
  const queueNames = new Map(routing.entities.map((q) => [q.id, q.name]));
  const slMs = new Map(routing.entities.map((q) => [q.id, q.mediaSettings.call.serviceLevel.durationMs]));

  // The monitor.
  const monPort = await freePort();
  const configFile = join(dir, "monitor.yaml");
  const logFile = join(dir, "monitor.log");
  MonitorProcess.write(configFile, monitorConfig({ emulatorUrl: emuUrl, queueNames: [...queueNames.values()], vmUrl: vm?.url ?? null, intervalMinutes: INTERVAL as 15 | 30, flushSeconds: FLUSH_SECONDS }));
  const mon = new MonitorProcess(configFile, monPort, logFile, { args: ["--state", stateFile, "--clock", "emulator"], env });
  mon.onExit = (e) => {
    if (e.expected || finishing) return;
    const restart = unexpectedExits.length < 20;
    unexpectedExits.push({ code: e.code, signal: e.signal, atSeconds: runSeconds(e.at), restarted: restart });
    timeline.push({ at: runSeconds(e.at), what: `monitor exited on its own (${e.code ?? e.signal})` });
    say(`!!! the monitor exited on its own (code ${e.code}, signal ${e.signal})${restart ? "; restarting it" : ""}`);
    if (restart) setTimeout(() => !finishing && !mon.running && mon.start(), 1000);
  };
  cleanup.add("monitor", () => mon.stop());
  cleanup.child(() => mon.child);
  mon.start();
  const ready = await until(60_000, 200, async () => (await mon.get("/readyz"))?.ready === true);
  if (!ready) harnessErrors.push("the monitor was not ready within 60 s of its first start");
  say(`monitor on ${mon.url} ${ready ? "ready" : "NOT ready"}`);
  const rss = new RssWatch(() => ({ monitor: mon.running ? mon.child?.pid : undefined, emulator: emulator?.pid, victoriametrics: vm?.child?.pid }));
  rss.start();

  // Intervals as the monitor last showed them during the run: where a loss happened, later.
  const seen = new Map<string, Record<Kind, number>>();
  const watchIntervals = setInterval(() => {
    void mon.get("/api/queues").then((b: QueuesBody | undefined) => {
      for (const s of b?.queues ?? []) {
        for (const iv of [s.intervals.current, s.intervals.previous]) if (iv) seen.set(`${s.queueId}/${s.mediaType}/${Date.parse(iv.start)}`, { offered: iv.offered, answered: iv.answered, abandoned: iv.abandoned, flowout: iv.flowout });
      }
    });
  }, 2000);
  watchIntervals.unref();
  cleanup.add("interval watch", () => clearInterval(watchIntervals));

  // ---- the hostile minutes ------------------------------------------------------------------
  const scheduleStart = Date.now();
  const steps = buildSchedule({ seed: SEED, durationMs: trafficEndReal - scheduleStart, startMs: 5000, endMarginMs: 10_000, everyMs: EVERY_MS, vm: vm !== null, disk: disk !== null });
  const kinds = availableKinds({ vm: vm !== null, disk: disk !== null });
  const scheduled = new Set(steps.map((s) => s.kind));
  const unscheduled = kinds.filter((k) => !scheduled.has(k));
  say(`${steps.length} steps scheduled over ${((trafficEndReal - scheduleStart) / 1000).toFixed(0)} s${unscheduled.length ? `; kinds with no turn (run too short): ${unscheduled.join(", ")}` : "; every kind has a turn"}`);
  writeFileSync(join(dir, "schedule.json"), JSON.stringify(steps, null, 1));
  for (const step of steps) {
    const wait = scheduleStart + step.at - Date.now();
    if (wait > 0) await sleep(wait);
    await act(step, emuUrl, mon);
  }
  await sleep(Math.max(0, trafficEndReal - Date.now()));
  say("arrivals over: waiting for the tail");

  // ---- the tail -----------------------------------------------------------------------------
  const tailDeadline = Date.now() + 10 * 60_000;
  const quiet = await until(tailDeadline - Date.now(), 1000, async () => {
    const gt = await getJson<GroundTruth>(`${emuUrl}/emulator/ground-truth`);
    return gt.open.beforeQueue + gt.open.waiting === 0 ? gt : null;
  });
  if (!quiet) harnessErrors.push("calls were still in the emulator's queues 10 minutes after the arrivals ended");
  const events0 = readTruthFile(truthFile);
  const clock = await getJson<{ now: string }>(`${emuUrl}/emulator/clock`);
  const lastEvent = events0.reduce((m, e) => Math.max(m, e.time), 0);
  // The last version that matters was made at the last queue event; the lag tail draws up to 1.5x.
  const lagPassedAt = Date.now() - (Date.parse(clock.now) - lastEvent) / SPEED + 1.5 * (LAG_TAIL_S + INGESTION_DELAY_S) * 1000 + 5000;
  say(`no call left in a queue; waiting ${Math.max(0, (lagPassedAt - Date.now()) / 1000).toFixed(0)} s more for the lag tail`);
  await sleep(Math.max(0, lagPassedAt - Date.now()));
  // The truth is final now (no call before or in a queue, no agent transfers in the scenario).
  const gt = await getJson<GroundTruth>(`${emuUrl}/emulator/ground-truth?visits=1`);
  let events: TruthEvent[] | undefined;
  let truthSource: string;
  if (Array.isArray(gt.visits)) {
    events = visitsToEvents(gt.visits);
    truthSource = "ground-truth visits";
  } else {
    events = readTruthFile(truthFile);
    truthSource = "ground-truth file (emulate --ground-truth; no ?visits=1 yet)";
  }
  // The event list must be the truth's totals exactly, or the slice checks would judge against a wrong list.
  const listed = bySeries(events);
  const inconsistent = gt.queues.filter((g) => {
    const t = totalsOf(listed.get(seriesKey(g.queueId, g.mediaType)) ?? []);
    return (Object.keys(t) as Kind[]).some((k) => t[k] !== (g.counts[k] ?? 0));
  });
  if (events.length !== gt.queues.reduce((n, g) => n + Object.values(g.counts).reduce((a, b) => a + b, 0), 0)) inconsistent.push(...gt.queues.slice(0, 1));
  if (inconsistent.length > 0) {
    harnessErrors.push(`${truthSource} disagrees with the ground truth's totals for ${inconsistent.length} series: windows and intervals not checked`);
    checksSkipped.push({ check: "windows/intervals/today", why: "the event list disagrees with the ground truth's totals" });
    events = undefined;
    truthSource = "ground-truth totals only";
  }
  const figureSettings = { serviceLevelMs: (q: string) => slMs.get(q) ?? 20_000, shortAbandonMs: 10_000 };
  const figuresNow = async () => {
    const b = (await mon.get("/api/queues")) as QueuesBody | undefined;
    return b ? { body: b, result: checkFigures(b, { groups: gt.queues, events }, figureSettings, queueNames) } : null;
  };
  // The check proper: right after the tail, while the last traffic is still inside the windows.
  const isReady = await until(60_000, 500, async () => (await mon.get("/readyz"))?.ready === true);
  if (!isReady) harnessErrors.push("the monitor was not ready 60 s after the lag tail");
  say(`checking against the ${truthSource}`);
  const first = await figuresNow();
  let final = first;
  if (first && first.result.differences.length > 0) {
    // Differences that a later pass (reconciliation) repairs are not losses: give it time, then judge.
    say(`${first.result.differences.length} differences at the first look; giving the monitor up to ${SETTLE_MS / 1000} s more`);
    await until(SETTLE_MS, 2000, async () => {
      const f = await figuresNow();
      if (f) final = f;
      return f && f.result.differences.length === 0 ? true : null;
    });
  }
  say(final && final.result.differences.length === 0 ? "figures equal the ground truth" : "figures still differ: reporting them");
  // Alerts settle too: with the traffic over nothing stays beyond a threshold.
  await until(120_000, 1000, async () => {
    const a = (await mon.get("/api/alerts")) as { alerts: FinalAlert[] } | undefined;
    return a && a.alerts.every((x) => x.state === "resolved") ? true : null;
  });

  // ---- checks -------------------------------------------------------------------------------
  const body = final?.body;
  let sliceCount = 0;
  let slicesWithTraffic = 0;
  if (!final) harnessErrors.push("/api/queues did not answer at the end");
  else {
    checksRun.push(...final.result.ran);
    differences.push(...final.result.differences);
    sliceCount = final.result.compared.slices;
    slicesWithTraffic = final.result.compared.slicesWithTraffic;
  }
  const firstLook = first && { at: first.body.generatedAt, differences: first.result.differences.length, slicesWithTraffic: first.result.compared.slicesWithTraffic };
  const located = events ? locateTotalsDifferences(differences, events, INTERVAL * 60_000, seen) : [];

  const exportResult = vm ? await checkVictoriaMetrics(mon, body) : null;
  const alertResult = await checkPagerDuty(emuUrl, mon);

  const health = await mon.get("/api/health");
  const faultLog = await getJson<{ faults: { type: string }[] }>(`${emuUrl}/emulator/faults`);
  finishing = true;
  await mon.stop();
  rss.sampleNow();
  rss.stop();

  // Visit by visit, from the monitor's audit trail (best effort: the view is the store's).
  let audit: ReturnType<typeof compareAudit> | null = null;
  try {
    const truthEvents = readTruthFile(truthFile); // the file names the participant: visits are keyed by it
    audit = compareAudit(truthEvents, readAudit(stateFile), queueNames, context);
    differences.push(...audit.differences);
    checksRun.push("audit-trail");
  } catch (e) {
    checksSkipped.push({ check: "audit-trail", why: `state file's events view unreadable: ${(e as Error).message}` });
  }

  checksRun.push("monitor-exits", "rss");
  for (const e of unexpectedExits) differences.push({ check: "monitor-exits", field: "exit", expected: "only our kill -9s", got: { code: e.code, signal: e.signal }, detail: `at ${e.atSeconds} s of the run` });
  const peak = rss.peakMiB.get("monitor");
  if (peak === undefined) harnessErrors.push("the monitor's RSS was never read from /proc");
  else if (peak > MAX_RSS_MIB) differences.push({ check: "rss", field: "peak RSS MiB", expected: `<= ${MAX_RSS_MIB}`, got: Math.round(peak) });
  for (const h of harnessErrors) say(`harness: ${h}`);

  // What the monitor itself complained about (errors and fatal), by message.
  const complaints: Record<string, number> = {};
  for (const line of readFileSync(join(dir, "monitor.log"), "utf8").split("\n")) {
    const m = /^\{"level":(\d+),.*"msg":"([^"]*)"\}$/.exec(line);
    if (m && Number(m[1]) >= 50) complaints[m[2]] = (complaints[m[2]] ?? 0) + 1;
  }
  const byCheck: Record<string, number> = {};
  for (const d of differences) byCheck[d.check] = (byCheck[d.check] ?? 0) + 1;
  const faultsByKind: Record<string, number> = {};
  for (const f of faultLog.faults) faultsByKind[f.type] = (faultsByKind[f.type] ?? 0) + 1;
  const result = {
    soak: {
      seed: SEED,
      speed: SPEED,
      minutes: MINUTES,
      durationSeconds: Math.round((Date.now() - t0) / 1000),
      truthSource,
      events: { total: gt.queues.reduce((n, g) => n + Object.values(g.counts).reduce((a, b) => a + b, 0), 0), ...sumCounts(gt.queues) },
      faults: { byKind: faultsByKind, total: faultLog.faults.length, injectedWhileDisconnected: acts.faultsWhileDisconnected },
      kills: acts.kills,
      monitorStarts: mon.starts,
      unexpectedExits,
      outages: {
        victoriaMetrics: vm ? { count: acts.vmOutages.length, seconds: acts.vmOutages.map((s) => Math.round(s)) } : "skipped",
        pagerDutyRefusalsInjected: acts.pagerdutyRefusals,
        diskFull: disk ? { count: acts.diskFills, seconds: Math.round(disk.fullMs / 1000) } : "skipped",
      },
      kindsWithoutTurn: unscheduled,
      timeline: timeline.map((t) => `${t.at} ${t.what}`),
      checks: { run: [...new Set(checksRun)], skipped: checksSkipped, slicesCompared: sliceCount, slicesWithTraffic, firstLook },
      differences: { count: differences.length, byCheck, details: differences.slice(0, MAX_DETAILS), ...(differences.length > MAX_DETAILS ? { notListed: differences.length - MAX_DETAILS } : {}) },
      totalsLocated: located,
      audit: audit && { missing: audit.missing, doubled: audit.doubled, extra: audit.extra, differing: audit.differing },
      export: exportResult,
      pagerDuty: alertResult,
      maxRssMiB: Object.fromEntries([...rss.peakMiB].map(([k, v]) => [k, Math.round(v)])),
      rssBoundMiB: MAX_RSS_MIB,
      monitorCounters: health?.counters ?? null,
      monitorErrorsLogged: complaints,
      harnessErrors,
      ...(flags.keep ? { dir } : {}),
    },
  };
  process.stdout.write(JSON.stringify(result) + "\n");
  if (harnessErrors.length > 0 && differences.length === 0) return 2;
  return differences.length > 0 ? 1 : 0;
}

function sumCounts(groups: TruthGroup[]): Record<Kind, number> {
  const t: Record<Kind, number> = { offered: 0, answered: 0, abandoned: 0, flowout: 0 };
  for (const g of groups) for (const k of Object.keys(t) as Kind[]) t[k] += g.counts[k] ?? 0;
  return t;
}

// ---- one hostile act ------------------------------------------------------------------------

async function act(step: Step, emuUrl: string, mon: MonitorProcess): Promise<void> {
  try {
    switch (step.act) {
      case "fault": {
        // A fault should meet a connected monitor (bounded: it is injected anyway after 15 s).
        const connected = await until(15_000, 200, async () => (await mon.get("/readyz"))?.connected === true);
        if (!connected) acts.faultsWhileDisconnected++;
        await post(`${emuUrl}/emulator/faults`, step.body);
        if (step.thenDropSockets) await post(`${emuUrl}/emulator/faults`, { type: "drop-sockets" }); // the reconnect meets the refusals
        acts.faults++;
        timeline.push({ at: runSeconds(), what: step.body.type + (step.thenDropSockets ? "+drop-sockets" : "") });
        say(`fault ${JSON.stringify(step.body)}${step.thenDropSockets ? " + drop-sockets" : ""}`);
        return;
      }
      case "kill":
        if (!mon.running) return;
        await mon.kill9();
        acts.kills++;
        timeline.push({ at: runSeconds(), what: `kill-9 (restart after ${step.pauseMs} ms)` });
        say(`kill -9 the monitor; restart in ${step.pauseMs} ms`);
        await sleep(step.pauseMs);
        mon.start();
        return;
      case "vm-stop":
        if (!vm) return;
        await vm.stop();
        acts.vmOutages.push(step.durationMs / 1000);
        timeline.push({ at: runSeconds(), what: "victoria-metrics stopped" });
        say(`victoria-metrics stopped for ${(step.durationMs / 1000).toFixed(0)} s`);
        return;
      case "vm-start":
        await vm?.start();
        timeline.push({ at: runSeconds(), what: "victoria-metrics back" });
        say("victoria-metrics back on its port and data");
        return;
      case "pagerduty-refuse":
        await post(`${emuUrl}/emulator/pagerduty/faults`, step.body);
        acts.pagerdutyRefusals += step.body.count;
        timeline.push({ at: runSeconds(), what: `pagerduty refuses ${step.body.count} (${step.body.status})` });
        say(`PagerDuty refuses the next ${step.body.count} events with ${step.body.status}`);
        return;
      case "disk-fill": {
        if (!disk) return;
        // Not while the monitor is still starting: it would meet the full disk opening its state file.
        await until(30_000, 200, async () => (await mon.get("/healthz"))?.status === "ok");
        const n = disk.fill();
        acts.diskFills++;
        timeline.push({ at: runSeconds(), what: "disk full" });
        say(`disk full (${(n / 2 ** 20).toFixed(1)} MiB of ballast, ${disk.free()} bytes free) for ${(step.durationMs / 1000).toFixed(0)} s`);
        return;
      }
      case "disk-free":
        disk?.release();
        timeline.push({ at: runSeconds(), what: "disk freed" });
        say("disk freed");
        return;
    }
  } catch (e) {
    harnessErrors.push(`${step.act} at ${(step.at / 1000).toFixed(1)} s failed: ${(e as Error).message}`);
    say(`!!! ${step.act} failed: ${(e as Error).message}`);
  }
}

// ---- export and paging checks ---------------------------------------------------------------

async function pending(mon: MonitorProcess, sink: string): Promise<number | null> {
  try {
    const r = await fetch(`${mon.url}/metrics`, { signal: AbortSignal.timeout(30_000) });
    const s = parseExposition(await r.text()).find((x) => x.name === "queue_monitor_export_pending" && x.labels.sink === sink);
    return s ? s.value : null;
  } catch {
    return null;
  }
}

async function checkVictoriaMetrics(mon: MonitorProcess, body: QueuesBody | undefined): Promise<ReturnType<typeof checkExport> | null> {
  checksRun.push("vm-exactly-once", "vm-counters-monotonic", "vm-final-values");
  // Every flush logged before a moment with nothing pending has been delivered: read the log, then
  // the outbox; the last flush must come after the final /api/queues body (its totals are final).
  const after = body ? Date.parse(body.generatedAt) : 0;
  const got = await until(120_000, 1000, async () => {
    const flushes = storedFlushes(readFileSync(join(dir, "monitor.log"), "utf8"));
    if (flushes.length === 0 || flushes[flushes.length - 1].at <= after) return null;
    return (await pending(mon, "victoriametrics")) === 0 ? flushes : null;
  });
  if (!got) {
    harnessErrors.push("the VictoriaMetrics outbox never drained (or no flush came after the final figures) within 120 s");
    differences.push({ check: "vm-exactly-once", field: "outbox", expected: "drained", got: await pending(mon, "victoriametrics") });
    return null;
  }
  const first = got[0].at;
  const last = got[got.length - 1].at;
  const series = await vmExport(vm!.url, '{__name__=~"genesys_queue_.+|queue_monitor_.+"}', first - 1, last + 1);
  const finalTotals = new Map<string, number>();
  for (const s of body?.queues ?? []) for (const [k, v] of Object.entries(s.totals)) finalTotals.set(`${s.queueId}/${s.mediaType.toLowerCase()}/${k}`, v);
  const r = checkExport(got, series, finalTotals);
  differences.push(...r.differences);
  say(`export: ${r.flushes} flushes, ${r.series} series, ${r.samples} samples read back; ${r.differences.length} differences`);
  return r;
}

async function checkPagerDuty(emuUrl: string, mon: MonitorProcess): Promise<Omit<ReturnType<typeof checkAlerts>, "differences"> | null> {
  checksRun.push("pagerduty-delivery", "pagerduty-order", "pagerduty-incidents", "pagerduty-final-state", "alerts-exercised");
  const drained = await until(120_000, 1000, async () => ((await pending(mon, "pagerduty")) === 0 ? true : null));
  if (!drained) harnessErrors.push("the PagerDuty outbox never drained within 120 s");
  const pd = await getJson<{ events: ReceivedEvent[]; incidents: Incident[] }>(`${emuUrl}/emulator/pagerduty/events`);
  const final = ((await mon.get("/api/alerts")) as { alerts: FinalAlert[] } | undefined)?.alerts ?? [];
  const r = checkAlerts(loggedTransitions(readFileSync(join(dir, "monitor.log"), "utf8")), pd.events, pd.incidents, final);
  differences.push(...r.differences);
  say(`pagerduty: ${r.transitions} transitions saved (${r.unsaved} logged but not saved, ${r.folded} made again after a restart), ${r.received} events received (${r.triggers} triggers, ${r.resolves} resolves), ${r.incidents} incidents`);
  const { differences: _d, ...figures } = r;
  return figures;
}

// ---- run ------------------------------------------------------------------------------------

let code: number;
try {
  code = await main();
} catch (e) {
  say(`!!! harness failure: ${(e as Error).stack ?? (e as Error).message}`);
  process.stdout.write(JSON.stringify({ soak: { failed: (e as Error).message, differences: { count: differences.length, details: differences.slice(0, MAX_DETAILS) }, harnessErrors, ...(flags.keep ? { dir } : {}) } }) + "\n");
  code = 2;
} finally {
  finishing = true;
  await cleanup.run();
}
process.exit(code);
