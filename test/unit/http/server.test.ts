/**
 * The monitor's HTTP server against a stub view over real loopback HTTP: the wallboard's page,
 * assets and SSE feed, the path prefix and the bearer token (header and cookie) for every route,
 * what the probes say without the token, security headers, the Host check, and the caps on
 * connections and wallboard pages.
 */
import assert from "node:assert/strict";
import { request, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import type { SeriesSnapshot } from "../../../src/aggregate/series.js";
import type { AlertView } from "../../../src/alerts/alerter.js";
import type { Health } from "../../../src/app/health.js";
import { serverSchema } from "../../../src/http/config.js";
import { startHttpServer, type HttpStats } from "../../../src/http/server.js";
import { silentLogger } from "../../../src/util/log.js";
import { readAlerts, tileAlert, type WallboardAlert } from "../../../src/wallboard/alerts.js";
import type { WallboardState } from "../../../src/wallboard/tiles.js";

function series(queueId: string, queueName: string, mediaType: string, offered: number, waiting: number, windows = ["5m", "15m", "60m"]): SeriesSnapshot {
  const fig = (n: number) => ({
    offered: n, answered: n - 1, abandoned: 1, shortAbandoned: 0, flowout: 0, overSla: 0, serviceLevel: 0.5, asaSeconds: 12, abandonRate: 0.1,
    answeredWaitSeconds: { p50: 5, p90: 30, p95: 40, p99: 50, max: 60 }, abandonedWaitSeconds: { p50: null, p90: null, p95: null, p99: null, max: null },
  });
  const span = { start: "2026-01-01T10:00:00.000Z", end: "2026-01-01T10:30:00.000Z" };
  return {
    queueId, queueName, mediaType,
    totals: { offered, answered: offered - 1, abandoned: 1, flowout: 0 },
    now: { waiting, interacting: 1, longestWaitingSeconds: waiting ? 42 : null, agents: { members: 4, onQueue: 3, idle: waiting ? 0 : 1, interacting: 2, notResponding: 0, offQueue: 1 } },
    windows: Object.fromEntries(windows.map((w) => [w, fig(offered)])),
    intervals: { current: { ...fig(offered), ...span }, previous: null, today: { ...fig(offered), ...span } },
    serviceLevelTarget: { percentage: 0.8, thresholdSeconds: 20 },
    smoothed: { arrivalsPerMinute: 1, answeredWaitP90Seconds: 30, halfLifeSeconds: 300 },
    dropped: { window: 0, interval: 0, today: 0 },
    predicted: { waitSeconds: waiting ? 35 : 0, predictor: "QLm", rrmse: 0.4, samples: 30 },
    forecast: { intervalServiceLevel: 0.7, answeredWaitP90In15m: 40 },
  };
}

interface Stub {
  rows: SeriesSnapshot[];
  alerts: WallboardAlert[];
  connected: boolean;
  now: number;
  monitored?: Set<string>;
}

function health(stub: Stub): Health {
  return { connected: stub.connected, ready: stub.connected, caughtUp: true, reasons: stub.connected ? [] : ["stream: reconnecting"], counters: { streamEvents: 12 }, problems: [] } as unknown as Health;
}

type Served = { server: Server & { stats: HttpStats }; url: string; port: number };

async function serve(stub: Stub, server: Record<string, unknown>, windowsMinutes = [5, 15, 60]): Promise<Served> {
  const srv = await startHttpServer(
    {
      health: () => health(stub),
      queues: (filter) => stub.rows.filter((r) => !filter || filter(r.queueId)),
      monitored: (q) => !stub.monitored || stub.monitored.has(q),
      alerts: () => stub.alerts as unknown as AlertView[],
      metrics: async () => ({ contentType: "text/plain; version=0.0.4", body: Buffer.from("# metrics\n") }),
      metricsSent: () => {},
      now: () => stub.now,
    },
    serverSchema.parse({ listen: "127.0.0.1:0", ...server }),
    { windowsMinutes, pushMs: 50, sampleMs: 1000, idleSampleMs: 0 },
    silentLogger,
  );
  const a = srv.address() as { port: number };
  return { server: srv, url: `http://127.0.0.1:${a.port}`, port: a.port };
}

const close = (s: Served) => new Promise<void>((r) => { s.server.closeAllConnections(); s.server.close(() => r()); });

/** Reads SSE messages until `until` accepts one (bounded by time). */
async function readEvents(url: string, headers: Record<string, string>, until: (event: string, data: any) => boolean, timeoutMs = 5000): Promise<{ event: string; data: any }[]> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  const seen: { event: string; data: any }[] = [];
  try {
    const res = await fetch(url, { headers, signal: ctl.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!event || data === undefined) continue;
        const msg = { event, data: JSON.parse(data) };
        seen.push(msg);
        if (until(msg.event, msg.data)) return seen;
      }
    }
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
  throw new Error(`stream ended before the expected message; saw ${seen.map((s) => s.event).join(",")}`);
}

describe("wallboard server", () => {
  const stub: Stub = { rows: [series("q1", "Support", "voice", 10, 3), series("q2", "Billing", "voice", 4, 0)], alerts: [], connected: true, now: Date.parse("2026-01-01T10:05:00Z") };
  let s: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    s = await serve(stub, { basePath: "/qm" });
  });
  after(() => close(s));

  it("serves the page and its assets (uPlot from the package) under the prefix, and redirects the bare prefix", async () => {
    const bare = await fetch(`${s.url}/qm`, { redirect: "manual" });
    assert.equal(bare.status, 302);
    assert.equal(bare.headers.get("location"), "/qm/");
    const page = await fetch(`${s.url}/qm/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    // Relative asset URLs: the page works under any prefix a proxy adds.
    assert.match(html, /src="assets\/app\.js"/);
    assert.doesNotMatch(html, /https?:\/\//, "no CDN or absolute URL");
    for (const a of ["app.js", "style.css", "uPlot.iife.min.js", "uPlot.min.css"]) {
      const r = await fetch(`${s.url}/qm/assets/${a}`);
      assert.equal(r.status, 200, a);
      assert.ok((await r.arrayBuffer()).byteLength > 500, a);
    }
    assert.equal((await fetch(`${s.url}/qm/assets/..%2F..%2Fpackage.json`)).status, 404);
    assert.equal((await fetch(`${s.url}/qm/assets/nope.js`)).status, 404);
    // Every route lives under the prefix; unprefixed paths work too (a proxy that strips it).
    const prefixed = (await (await fetch(`${s.url}/qm/api/queues`)).json()) as { queues: SeriesSnapshot[] };
    assert.deepEqual(prefixed.queues.map((q) => q.queueId), ["q1", "q2"]);
    assert.equal((await fetch(`${s.url}/api/queues?queueId=q2`).then((r) => r.json()) as { queues: unknown[] }).queues.length, 1);
    assert.equal((await fetch(`${s.url}/qm/metrics`)).status, 200);
    assert.equal((await fetch(`${s.url}/qm/nothing`)).status, 404);
  });

  it("pushes a snapshot on connect, then updates with new figures, alert colour and the disconnected banner", async () => {
    const msgs = await readEvents(`${s.url}/qm/api/wallboard/events`, {}, (event, data) => {
      if (event === "hello") {
        const st = data as WallboardState;
        assert.deepEqual(st.tiles.map((t) => [t.queueName, t.offered, t.waiting, t.alert]), [["Billing", 4, 0, "none"], ["Support", 10, 3, "none"]]);
        assert.equal(st.banner, null);
        // Something changes after the first message: a firing alert on Support voice, more calls, Genesys down.
        stub.rows = [series("q1", "Support", "voice", 12, 5), series("q2", "Billing", "voice", 4, 0)];
        stub.alerts = [{ rule: "p90-wait", queueId: "q1", queueName: "Support", mediaType: "voice", state: "firing", since: null, value: 90, threshold: 60, severity: "critical" }];
        stub.connected = false;
        stub.now += 60_000;
        return false;
      }
      const st = data as WallboardState;
      return st.tiles.some((t) => t.queueId === "q1" && t.alert === "firing");
    });
    assert.equal(msgs[0].event, "hello");
    const last = msgs[msgs.length - 1].data as WallboardState & { points: Record<string, unknown[]> };
    const support = last.tiles.find((t) => t.queueId === "q1")!;
    assert.equal(support.offered, 12);
    assert.equal(support.waiting, 5);
    assert.deepEqual(support.alertRules, ["p90-wait"]);
    assert.equal(last.tiles.find((t) => t.queueId === "q2")!.alert, "none");
    assert.equal(last.banner?.kind, "disconnected");
    stub.alerts = [];
    stub.connected = true;
  });

  it("keeps an hour of chart points and hands them to a page opened later", async () => {
    const t0 = stub.now;
    for (let i = 0; i < 5; i++) {
      stub.now = t0 + i * 30 * 60_000; // 30 simulated minutes per step: the oldest points fall out
      await new Promise((r) => setTimeout(r, 120));
    }
    const body = (await (await fetch(`${s.url}/qm/api/wallboard`)).json()) as { history: Record<string, [number, number | null, number][]> };
    const h = body.history["q1|voice"];
    assert.ok(h.length >= 2, `history ${JSON.stringify(h)}`);
    assert.ok(h.every((p) => p[0] >= stub.now - 3_600_000), "nothing older than an hour");
    assert.deepEqual(h[h.length - 1].slice(1), [30, stub.rows[0].now.waiting]);
  });
});

describe("bearer token", () => {
  const stub: Stub = { rows: [series("q1", "Support", "voice", 1, 0)], alerts: [], connected: true, now: 0 };
  const token = "s3cret-token-of-some-length";
  let s: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    s = await serve(stub, { basePath: "", token });
  });
  after(() => close(s));

  it("refuses the page and the API without the token, and leaves the probes open", async () => {
    for (const p of ["/", "/api/queues", "/metrics", "/api/wallboard/events", "/assets/app.js"]) {
      const r = await fetch(`${s.url}${p}`);
      assert.equal(r.status, 401, p);
      assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer/);
    }
    assert.equal((await fetch(`${s.url}/api/queues`, { headers: { authorization: "Bearer wrong" } })).status, 401);
    assert.equal((await fetch(`${s.url}/api/queues`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  });

  it("answers the probes without the token with liveness and readiness only: no figures, no reasons", async () => {
    const live = await fetch(`${s.url}/healthz`);
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: "ok" });
    const ready = await fetch(`${s.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ready: true });
    stub.connected = false;
    const notReady = await fetch(`${s.url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.deepEqual(await notReady.json(), { ready: false });
    stub.connected = true;
    const full = (await (await fetch(`${s.url}/healthz`, { headers: { authorization: `Bearer ${token}` } })).json()) as { counters?: Record<string, number> };
    assert.equal(full.counters?.streamEvents, 12, "with the token: the whole self-health");
  });

  it("moves ?token= into an HttpOnly cookie that then opens the page and its event stream", async () => {
    const first = await fetch(`${s.url}/?token=${encodeURIComponent(token)}`, { redirect: "manual" });
    assert.equal(first.status, 302);
    assert.equal(first.headers.get("location"), "/", "the token leaves the address bar");
    const cookie = first.headers.get("set-cookie") ?? "";
    assert.match(cookie, /HttpOnly/);
    const pair = cookie.split(";")[0];
    assert.equal((await fetch(`${s.url}/`, { headers: { cookie: pair } })).status, 200);
    const msgs = await readEvents(`${s.url}/api/wallboard/events`, { cookie: pair }, (e) => e === "hello");
    assert.equal(msgs[0].data.tiles.length, 1);
    assert.equal((await fetch(`${s.url}/?token=wrong`, { redirect: "manual" })).status, 401);
  });
});

describe("alert state", () => {
  it("reads the alert list defensively: a bad entry is left out", () => {
    assert.deepEqual(readAlerts({}), []);
    assert.deepEqual(readAlerts(null), []);
    assert.deepEqual(readAlerts("nope"), []);
    const got = readAlerts([
      { rule: "r", queueId: "q", queueName: "Q", mediaType: "voice", state: "firing", since: "x", value: 1, threshold: 0, severity: "critical", dedupKey: "k" },
      { queueId: "q", state: "bogus" },
      null,
      { rule: "r2", queueId: "q", state: "pending" },
    ]);
    assert.deepEqual(got.map((a) => [a.rule, a.state]), [["r", "firing"], ["r2", "pending"]]);
  });

  it("colours a tile by its queue's and media type's alerts: firing over pending, resolved ignored, queue-wide alerts on every media", () => {
    const a = (over: Partial<WallboardAlert>): WallboardAlert => ({ rule: "r", queueId: "q", queueName: null, mediaType: "voice", state: "firing", since: null, value: null, threshold: null, severity: null, ...over });
    assert.equal(tileAlert([a({ state: "resolved" })], "q", "voice").state, "none");
    assert.equal(tileAlert([a({ state: "pending" })], "q", "voice").state, "pending");
    assert.equal(tileAlert([a({ state: "pending" }), a({ rule: "x" })], "q", "voice").state, "firing");
    assert.equal(tileAlert([a({})], "q", "chat").state, "none");
    assert.equal(tileAlert([a({ mediaType: null })], "q", "chat").state, "firing");
    assert.equal(tileAlert([a({})], "other", "voice").state, "none");
  });
});

describe("hardening", () => {
  const stub: Stub = { rows: [series("q1", "Support", "voice", 1, 0)], alerts: [], connected: true, now: 0 };

  it("sends the security headers on every answer", async () => {
    const s = await serve(stub, {});
    try {
      for (const p of ["/", "/api/queues", "/healthz", "/nothing"]) {
        const r = await fetch(`${s.url}${p}`);
        assert.match(r.headers.get("content-security-policy") ?? "", /default-src 'self'/, p);
        assert.equal(r.headers.get("x-frame-options"), "DENY", p);
        assert.equal(r.headers.get("x-content-type-options"), "nosniff", p);
      }
    } finally {
      await close(s);
    }
  });

  it("refuses a Host not in server.allowedHosts (DNS rebinding)", async () => {
    const s = await serve(stub, { allowedHosts: ["monitor.example"] });
    try {
      assert.equal((await fetch(`${s.url}/api/queues`)).status, 403, "127.0.0.1 is not an allowed host");
      assert.equal(await statusWithHost(s.port, "monitor.example"), 200);
      assert.equal(await statusWithHost(s.port, "Monitor.Example:9464"), 200);
      assert.equal(await statusWithHost(s.port, "evil.example"), 403);
      assert.equal(s.server.stats.refusedHosts, 2);
    } finally {
      await close(s);
    }
  });

  it("caps open connections with a clear 503, and /healthz answers again once they close", async () => {
    const s = await serve(stub, { maxConnections: 20 });
    const idle: Socket[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const c = connect(s.port, "127.0.0.1");
        await new Promise<void>((r) => c.once("connect", () => r()));
        idle.push(c);
      }
      await waitFor(() => s.server.stats.connections === 20);
      const extra = connect(s.port, "127.0.0.1");
      const answer = await new Promise<string>((resolve) => {
        let text = "";
        extra.on("data", (d) => (text += String(d)));
        extra.on("close", () => resolve(text));
      });
      assert.match(answer, /^HTTP\/1\.1 503/);
      assert.match(answer, /too many open connections/);
      assert.equal(s.server.stats.refusedConnections, 1);
      for (const c of idle) c.destroy();
      await waitFor(() => s.server.stats.connections === 0);
      assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    } finally {
      for (const c of idle) c.destroy();
      await close(s);
    }
  });

  it("closes a connection that sends no request within the idle timeout", async () => {
    const s = await serve(stub, { idleTimeoutSeconds: 1, headersTimeoutSeconds: 1 });
    try {
      const c = connect(s.port, "127.0.0.1");
      const t0 = Date.now();
      await new Promise<void>((r) => c.once("close", () => r()));
      const took = Date.now() - t0;
      assert.ok(took >= 900 && took < 5000, `closed after ${took} ms`);
    } finally {
      await close(s);
    }
  });

  it("caps wallboard pages: past server.maxEventStreams a page gets 503", async () => {
    const s = await serve(stub, { maxEventStreams: 2 });
    const ctl = new AbortController();
    try {
      const open = await Promise.all([0, 1].map(() => fetch(`${s.url}/api/wallboard/events`, { signal: ctl.signal })));
      assert.deepEqual(open.map((r) => r.status), [200, 200]);
      const third = await fetch(`${s.url}/api/wallboard/events`);
      assert.equal(third.status, 503);
      assert.match(((await third.json()) as { error: string }).error, /maxEventStreams/);
    } finally {
      ctl.abort();
      await close(s);
    }
  });
});

describe("wallboard windows and queues", () => {
  it("labels the tiles and the chart with the configured windows, and its chart gets points (windowsMinutes [10, 30])", async () => {
    const stub: Stub = { rows: [series("q1", "Support", "voice", 3, 1, ["10m", "30m"])], alerts: [], connected: true, now: Date.parse("2026-01-01T10:05:00Z") };
    const s = await serve(stub, {}, [10, 30]);
    try {
      const body = (await (await fetch(`${s.url}/api/wallboard`)).json()) as WallboardState & { history: Record<string, [number, number | null, number][]> };
      assert.equal(body.window, "10m");
      assert.equal(body.chartWindow, "10m");
      assert.equal(body.tiles[0].p90, 30, "the 10m window's figure, not an absent 15m one");
      stub.now += 60_000;
      await waitFor(async () => ((await (await fetch(`${s.url}/api/wallboard`)).json()) as typeof body).history["q1|voice"]?.some((p) => p[1] === 30));
    } finally {
      await close(s);
    }
  });

  it("shows only the monitored queues: a queue that left the selection loses its tile", async () => {
    const stub: Stub = { rows: [series("q1", "Support", "voice", 3, 1), series("q2", "Gone", "voice", 1, 0)], alerts: [], connected: true, now: 0, monitored: new Set(["q1", "q2"]) };
    const s = await serve(stub, {});
    try {
      const tiles = async () => ((await (await fetch(`${s.url}/api/wallboard`)).json()) as WallboardState).tiles.map((t) => t.queueName);
      assert.deepEqual(await tiles(), ["Gone", "Support"]);
      stub.monitored = new Set(["q1"]);
      assert.deepEqual(await tiles(), ["Support"]);
    } finally {
      await close(s);
    }
  });
});

/** fetch cannot set Host: a plain request that can. */
function statusWithHost(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: "127.0.0.1", path: "/api/queues", headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

async function waitFor(f: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}
