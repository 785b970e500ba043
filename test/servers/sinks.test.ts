/**
 * Every sink on, against the real servers from the Debian packages (VictoriaMetrics, Prometheus
 * with its remote-write receiver, Pushgateway, InfluxDB 1.x) plus a loopback webhook receiver:
 * the monitor watches the emulator until every call is over, then, with its clock held still,
 * /api/queues is read and one flush pushed. Each server's own query API must give back exactly
 * the /api/queues figures, at the flush's timestamp; /metrics too, promtool accepts it, and
 * Prometheus scrapes it without error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configSchema } from "../../src/config/schema.js";
import { Monitor } from "../../src/app/monitor.js";
import type { Clock } from "../../src/util/clock.js";
import { silentLogger } from "../../src/util/log.js";
import { startTestEmulator, waitUntil } from "../helpers/emulator.js";
import { freePort } from "../helpers/monitor-process.js";
import { requireBinary, startInfluxDb, startPrometheus, startPushgateway, startVictoriaMetrics } from "../helpers/servers.js";
import { assertSameFigures, expectedFromApi, getJson, influxSelect, key, parseExposition, promQuery, vmExport } from "../helpers/readback.js";
import { needs } from "../helpers/needs.js";

/** The emulator's clock, which the test can hold still so a read and a flush see the same instant. */
class HoldableClock implements Clock {
  held: number | null = null;
  constructor(private readonly inner: Clock) {}
  get speed(): number {
    return this.inner.speed;
  }
  now(): number {
    return this.held ?? this.inner.now();
  }
}

test("every sink on: each server's query API gives back the /api/queues figures at the flush time", { timeout: 240_000, ...needs("victoria-metrics", "prometheus", "promtool", "prometheus-pushgateway", "influxd") }, async (t) => {
  const vm = await startVictoriaMetrics();
  t.after(() => vm.dispose());
  // Prometheus takes the remote writes and also scrapes the monitor's /metrics (the pull path).
  const monitorPort = await freePort();
  const prom = await startPrometheus(undefined, undefined, [`127.0.0.1:${monitorPort}`]);
  t.after(() => prom.dispose());
  const pgw = await startPushgateway();
  t.after(() => pgw.dispose());
  const influx = await startInfluxDb("genesys");
  t.after(() => influx.dispose());
  const hooks: any[] = [];
  const hook = createServer((req, res) => {
    let b = "";
    req.on("data", (c) => (b += c));
    req.on("end", () => {
      hooks.push({ headers: req.headers, body: JSON.parse(b) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
  t.after(() => new Promise((r) => hook.close(() => r(undefined))));
  const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/tsd`;

  const emu = await startTestEmulator({ speed: 120, durationMinutes: 20, heartbeatSeconds: 0.3, ingestionDelaySeconds: 0.3 });
  const clock = new HoldableClock(emu.clock);
  const dir = mkdtempSync(join(tmpdir(), "qm-export-"));
  const config = configSchema.parse({
    genesys: { baseUrl: emu.url, clientId: emu.options.clientId, clientSecret: emu.options.clientSecret },
    stream: { heartbeatSeconds: 0.3, latencyAllowanceSeconds: 30, reconnectInitialSeconds: 0.1, reconnectMaxSeconds: 1 },
    backfill: { ingestionDelaySeconds: 0.5 },
    server: { listen: `127.0.0.1:${monitorPort}` },
    state: { file: join(dir, "state.sqlite"), commitIntervalMs: 100 },
    export: {
      flushSeconds: 86_400, // flushed by hand below
      sinks: [
        { type: "victoriametrics", url: vm.url },
        { type: "remote-write", url: `${prom.url}/api/v1/write` },
        { type: "pushgateway", url: pgw.url, job: "queue-monitor", grouping: { instance: "dc1/monitor-a" } },
        { type: "influxdb", url: influx.url, database: "genesys" },
        // The 2.x path (no Debian server): VictoriaMetrics speaks /api/v2/write and ignores the token.
        { type: "influxdb", name: "influx-v2", url: vm.url, org: "acme", bucket: "genesys", token: "secret" },
        { type: "webhook", url: hookUrl },
      ],
    },
  });
  const monitor = new Monitor(config, clock, silentLogger);
  await monitor.start();
  t.after(async () => {
    await monitor.stop();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await waitUntil(() => monitor.ready, 20_000, "monitor ready");
  await waitUntil(() => emu.sim.settled, 60_000, "every simulated call over");
  const truth = emu.groundTruth() as { queues: { queueId: string; mediaType: string; counts: Record<string, number> }[] };
  await waitUntil(
    () => truth.queues.every((g) => JSON.stringify(monitor.engine.snapshot().find((s) => s.queueId === g.queueId && s.mediaType === g.mediaType)?.totals) === JSON.stringify(g.counts)),
    20_000,
    "monitor totals equal the ground truth",
  );

  clock.held = emu.clock.now();
  const api = await getJson(`${monitor.listenUrl}/api/queues`);
  const expected = expectedFromApi(api.queues);
  assert.ok(expected.size > 50, `enough figures to compare (${expected.size})`);
  assert.ok([...expected.keys()].some((k) => k.startsWith("genesys_queue_answered_wait_seconds")), "answered-wait quantiles are among them");
  const flush = monitor.exporter.flush()!;
  await monitor.exporter.drained();
  const metricsText = await (await fetch(`${monitor.listenUrl}/metrics`)).text();
  for (const r of monitor.exporter.runners) assert.deepEqual({ sink: r.sink.name, pending: r.status().pending, dead: r.deadLetters }, { sink: r.sink.name, pending: 0, dead: 0 });
  clock.held = null;
  const at = flush.at;
  const answered = new Map<string, number>(api.queues.map((q: any) => [key("x", { queue_id: q.queueId, media_type: q.mediaType }), q.totals.answered]));

  // /metrics (pull), and promtool's verdict on the real thing.
  const scraped = new Map(parseExposition(metricsText).map((s) => [key(s.name, s.labels), s.value]));
  assertSameFigures("/metrics", scraped, expected);
  const promtool = spawnSync(requireBinary("promtool"), ["check", "metrics"], { input: metricsText, encoding: "utf8" });
  assert.equal(`${promtool.stdout}${promtool.stderr}`.trim(), "", "promtool check metrics reports nothing");

  // VictoriaMetrics: /api/v1/export, the sample at the flush's timestamp.
  const fromVm = async (suffix: string) => {
    let found = 0;
    const series = await waitUntil(
      async () => {
        const s = await vmExport(vm.url, `{__name__=~"genesys_queue_.+${suffix}"}`);
        found = s.length;
        return s.length >= expected.size ? s : undefined;
      },
      15_000,
      `victoria-metrics has every series${suffix ? ` (${suffix})` : ""}`,
    ).catch((e: Error) => {
      throw new Error(`${e.message}: found ${found} of ${expected.size}; flush at ${new Date(at).toISOString()}; log: ${vm.logTail()}`);
    });
    const m = new Map<string, number>();
    for (const s of series) {
      const name = suffix ? s.metric.__name__.slice(0, -suffix.length) : s.metric.__name__;
      if (suffix === "" && s.metric.__name__.endsWith("_value")) continue;
      assert.deepEqual(s.timestamps, [at], `${name}: one point, at the flush's time`);
      m.set(key(name, s.metric), s.values[0]);
    }
    return m;
  };
  const vmValues = await fromVm("");
  assertSameFigures("victoria-metrics", vmValues, expected);
  for (const [k, n] of answered) {
    const labels = Object.fromEntries(JSON.parse(k.slice(1)));
    const name = (s: string, extra: Record<string, string> = {}) => [...vmValues].find(([kk]) => kk.startsWith(s) && kk.includes(`["queue_id","${labels.queue_id}"]`) && kk.includes(`["media_type","${labels.media_type}"]`) && Object.entries(extra).every(([a, b]) => kk.includes(`["${a}","${b}"]`)))?.[1];
    if ((n as number) > 0) {
      assert.equal(name("genesys_queue_answered_wait_seconds_count["), n, "histogram count = answered total");
      assert.equal(name("genesys_queue_answered_wait_seconds_bucket[", { le: "+Inf" }), n, "+Inf bucket = answered total");
    }
  }
  assertSameFigures("influxdb 2.x protocol (via victoria-metrics /api/v2/write)", await fromVm("_value"), expected);

  // Prometheus (remote write): instant query at the flush's time.
  const promSeries = await promQuery(prom.url, '{__name__=~"genesys_queue_.+"}', at);
  const fromProm = new Map<string, number>();
  for (const s of promSeries) {
    if (s.metric.job !== undefined) continue; // scraped from /metrics, checked below
    assert.equal(Math.round(s.value[0] * 1000), at, "the sample carries the flush's timestamp");
    fromProm.set(key(s.metric.__name__, s.metric), Number(s.value[1]));
  }
  assertSameFigures("prometheus remote write", fromProm, expected);

  // Pushgateway: its /metrics, under the grouping key (the instance holds a "/": @base64).
  const pgwSamples = parseExposition(await (await fetch(`${pgw.url}/metrics`)).text()).filter((s) => s.name.startsWith("genesys_queue_"));
  assert.ok(pgwSamples.every((s) => s.labels.job === "queue-monitor" && s.labels.instance === "dc1/monitor-a"), "grouping labels applied");
  assertSameFigures("pushgateway", new Map(pgwSamples.map((s) => [key(s.name, s.labels), s.value])), expected);

  // InfluxDB 1.x: InfluxQL over /query.
  const points = await influxSelect(influx.url, "genesys", "^genesys_queue_");
  assert.ok(points.every((p) => p.time === at), "every point at the flush's time");
  assertSameFigures("influxdb 1.x", new Map(points.map((p) => [key(p.name, p.tags), p.value])), expected);

  // Webhook: {timestamp, metrics: {queueId: {name: value}}}.
  assert.equal(hooks.length, 1);
  assert.equal(hooks[0].body.timestamp, new Date(at).toISOString());
  const fromHook = new Map<string, number>();
  const P: Record<string, string> = { p50: "0.5", p90: "0.9", p95: "0.95", p99: "0.99" };
  for (const [queueId, figures] of Object.entries<Record<string, number>>(hooks[0].body.metrics)) {
    const q = api.queues.find((x: any) => x.queueId === queueId);
    for (const [n, v] of Object.entries(figures)) {
      const [media, name, qualifier, p] = n.split(".");
      // agents.<status>; every other qualifier is a window.
      const labels = name === "agents" ? { status: qualifier } : { window: qualifier, quantile: p ? P[p] : undefined };
      fromHook.set(key(`genesys_queue_${name}`, { queue_id: queueId, queue_name: q.queueName, media_type: media, ...labels }), v);
    }
  }
  assertSameFigures("webhook", fromHook, expected);

  // Prometheus scraping /metrics: the whole exposition is accepted (a parse error fails the scrape).
  const scrapedSeries = await waitUntil(
    async () => {
      const t = Date.now();
      const up = await promQuery(prom.url, 'up{job="monitor"}', t);
      const n = await promQuery(prom.url, 'scrape_samples_scraped{job="monitor"}', t);
      return up[0]?.value[1] === "1" && Number(n[0]?.value[1]) > 0 ? Number(n[0].value[1]) : undefined;
    },
    20_000,
    "prometheus scraped /metrics successfully",
  );
  assert.ok(scrapedSeries >= expected.size, `prometheus took ${scrapedSeries} samples per scrape`);
  const scrapedOffered = await promQuery(prom.url, 'genesys_queue_offered_total{job="monitor"}', Date.now());
  assert.equal(scrapedOffered.length, api.queues.length, "one offered counter per queue x media from the scrape");
});
