/**
 * Outage: VictoriaMetrics is stopped for several flushes, and the monitor is killed with SIGKILL
 * and restarted while it is down. Once both are back, every flush the monitor stored is in
 * VictoriaMetrics exactly once, with its original timestamp; Prometheus (remote write) and
 * InfluxDB, which stayed up through the kill, hold every flush exactly once too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEmulator, waitUntil } from "../helpers/emulator.js";
import { freePort, MonitorProcess } from "../helpers/monitor-process.js";
import { startInfluxDb, startPrometheus, startVictoriaMetrics } from "../helpers/servers.js";
import { getJson, influxSelect, parseExposition, vmExport } from "../helpers/readback.js";
import { needs } from "../helpers/needs.js";

/** Monitor-clock times of the flushes the monitor logged as stored in its outbox. */
function loggedFlushes(logFile: string): number[] {
  let text: string;
  try {
    text = readFileSync(logFile, "utf8");
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const line of text.split("\n")) {
    if (!line.includes('"export flush stored"')) continue;
    try {
      out.push(JSON.parse(line).atMs);
    } catch {
      // a line cut by the kill
    }
  }
  return out;
}

test("outage: a sink down for several flushes plus a kill -9 of the monitor loses no point and doubles none", { timeout: 240_000, ...needs("victoria-metrics", "prometheus", "influxd") }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "qm-outage-"));
  const vmPort = await freePort();
  const vm = await startVictoriaMetrics(join(dir, "vm"), vmPort);
  t.after(() => vm.stop());
  const prom = await startPrometheus(join(dir, "prom"));
  t.after(() => prom.stop());
  const influx = await startInfluxDb("genesys", join(dir, "influx"));
  t.after(() => influx.stop());
  const emu = await startTestEmulator({ speed: 60, durationMinutes: 60, heartbeatSeconds: 0.5, ingestionDelaySeconds: 0.5 });
  t.after(() => emu.stop());
  const configFile = join(dir, "monitor.yaml");
  MonitorProcess.write(configFile, {
    genesys: { baseUrl: emu.url, clientId: emu.options.clientId, clientSecret: emu.options.clientSecret },
    stream: { heartbeatSeconds: 0.5, latencyAllowanceSeconds: 30, reconnectInitialSeconds: 0.2, reconnectMaxSeconds: 2 },
    backfill: { ingestionDelaySeconds: 1 },
    state: { file: join(dir, "state.sqlite"), commitIntervalMs: 200 },
    clock: "emulator",
    export: {
      flushSeconds: 60, // monitor clock at x60: one flush per real second
      sinks: [
        { type: "victoriametrics", url: vm.url },
        { type: "remote-write", url: `${prom.url}/api/v1/write` },
        { type: "influxdb", url: influx.url, database: "genesys" },
      ],
    },
  });
  const logFile = join(dir, "monitor.log");
  const monitor = new MonitorProcess(configFile, await freePort(), logFile);
  t.after(() => monitor.stop());
  t.after(() => rmSync(dir, { recursive: true, force: true })); // after hooks run in order: this one last
  const flushesAtLeast = (n: number, what: string) => waitUntil(() => loggedFlushes(logFile).length >= n, 30_000, what);
  const pending = async (sink: string) => {
    const r = await fetch(`${monitor.url}/metrics`).catch(() => undefined);
    if (!r?.ok) return undefined;
    return parseExposition(await r.text()).find((s) => s.name === "queue_monitor_export_pending" && s.labels.sink === sink)?.value;
  };

  monitor.start();
  await waitUntil(async () => (await monitor.get("/readyz"))?.ready, 30_000, "monitor ready");
  await flushesAtLeast(3, "three flushes with every sink up");
  await vm.stop();
  const downAt = loggedFlushes(logFile).length;
  await flushesAtLeast(downAt + 3, "three flushes while victoria-metrics is down");
  assert.ok(((await pending("victoriametrics")) ?? 0) >= 2, "flushes wait in the outbox");
  await monitor.kill9();
  await new Promise((r) => setTimeout(r, 1000));
  monitor.start();
  await waitUntil(async () => (await monitor.get("/healthz"))?.status === "ok", 30_000, "monitor back after kill -9");
  const restartedAt = loggedFlushes(logFile).length;
  await flushesAtLeast(restartedAt + 3, "three more flushes after the restart, victoria-metrics still down");
  assert.ok(((await pending("victoriametrics")) ?? 0) >= 4, "the outbox kept what waited across the kill");
  await vm.start();
  await waitUntil(async () => (await pending("victoriametrics")) === 0, 60_000, "the outbox drained into victoria-metrics");
  // The wait histogram commits with the events it counts: after the kill its count still equals
  // the answered total of every series (both lose the same uncommitted tail, which backfill recounts).
  await waitUntil(async () => (await monitor.get("/readyz"))?.ready, 30_000, "monitor caught up after the restart");
  const scraped = parseExposition(await (await fetch(`${monitor.url}/metrics`)).text());
  const answeredTotals = scraped.filter((s) => s.name === "genesys_queue_answered_total");
  assert.ok(answeredTotals.some((s) => s.value > 0), "calls were answered");
  for (const a of answeredTotals) {
    const same = (s: { labels: Record<string, string> }) => s.labels.queue_id === a.labels.queue_id && s.labels.media_type === a.labels.media_type;
    const count = scraped.find((s) => s.name === "genesys_queue_answered_wait_seconds_count" && same(s))?.value ?? 0;
    const inf = scraped.find((s) => s.name === "genesys_queue_answered_wait_seconds_bucket" && s.labels.le === "+Inf" && same(s))?.value ?? 0;
    assert.deepEqual([count, inf], [a.value, a.value], `${a.labels.queue_name} ${a.labels.media_type}: histogram count and +Inf bucket = answered total`);
  }
  await monitor.stop();

  const logged = loggedFlushes(logFile);
  assert.ok(logged.length >= 9, `flushes logged: ${logged.length}`);
  assert.equal(new Set(logged).size, logged.length, "every flush has its own time");
  const want = [...logged].sort((a, b) => a - b);

  const vmSeries = await waitUntil(
    async () => {
      const s = await vmExport(vm.url, "queue_monitor_queues");
      return s.length === 1 && s[0].timestamps.length >= want.length ? s : undefined;
    },
    15_000,
    "victoria-metrics holds the flushes",
  ).catch(async (e: Error) => {
    throw new Error(`${e.message}: ${JSON.stringify(await vmExport(vm.url, "queue_monitor_queues"))?.slice(0, 500)} want ${want.length}`);
  });
  assert.deepEqual([...vmSeries[0].timestamps].sort((a, b) => a - b), want, "victoria-metrics: every flush once, at its original time");

  const first = want[0];
  const last = want[want.length - 1];
  const range = await getJson(`${prom.url}/api/v1/query?${new URLSearchParams({ query: `queue_monitor_queues[${Math.ceil((last - first) / 1000) + 60}s]`, time: String(last / 1000) })}`);
  const promTimes = (range.data.result[0]?.values ?? []).map((v: [number, string]) => Math.round(v[0] * 1000));
  assert.deepEqual(promTimes, want, "prometheus (remote write): every flush once, in order, at its original time");

  const influxTimes = (await influxSelect(influx.url, "genesys", "^queue_monitor_queues$")).map((p) => p.time).sort((a, b) => a - b);
  assert.deepEqual(influxTimes, want, "influxdb: every flush once, at its original time");
});
