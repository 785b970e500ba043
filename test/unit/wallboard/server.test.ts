/**
 * The wallboard's HTTP side against a stub source over real loopback HTTP: assets, the path
 * prefix, the bearer token (header and cookie), the SSE feed and the alert state on tiles.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import type { SeriesSnapshot } from "../../../src/aggregate/series.js";
import { readAlerts, tileAlert, type WallboardAlert } from "../../../src/wallboard/alerts.js";
import { Wallboard, type WallboardState } from "../../../src/wallboard/server.js";

function series(queueId: string, queueName: string, mediaType: string, offered: number, waiting: number): SeriesSnapshot {
  const fig = (n: number) => ({
    offered: n, answered: n - 1, abandoned: 1, shortAbandoned: 0, flowout: 0, overSla: 0, serviceLevel: 0.5, asaSeconds: 12, abandonRate: 0.1,
    answeredWaitSeconds: { p50: 5, p90: 30, p95: 40, p99: 50, max: 60 }, abandonedWaitSeconds: { p50: null, p90: null, p95: null, p99: null, max: null },
  });
  const span = { start: "2026-01-01T10:00:00.000Z", end: "2026-01-01T10:30:00.000Z" };
  return {
    queueId, queueName, mediaType,
    totals: { offered, answered: offered - 1, abandoned: 1, flowout: 0 },
    now: { waiting, interacting: 1, longestWaitingSeconds: waiting ? 42 : null },
    windows: { "5m": fig(offered), "15m": fig(offered), "60m": fig(offered) },
    intervals: { current: { ...fig(offered), ...span }, previous: null, today: { ...fig(offered), ...span } },
    serviceLevelTarget: { percentage: 0.8, thresholdSeconds: 20 },
    smoothed: { arrivalsPerMinute: 1, answeredWaitP90Seconds: 30, halfLifeSeconds: 300 },
    dropped: { window: 0, interval: 0, today: 0 },
  } as unknown as SeriesSnapshot;
}

interface Stub {
  rows: SeriesSnapshot[];
  alerts: WallboardAlert[];
  connected: boolean;
  now: number;
}

async function serve(stub: Stub, opts: { basePath: string; token?: string }): Promise<{ server: Server; url: string; wallboard: Wallboard }> {
  const wallboard = new Wallboard(
    { snapshot: () => stub.rows, health: () => ({ connected: stub.connected, caughtUp: true, reasons: stub.connected ? [] : ["stream: reconnecting"] }), alerts: () => stub.alerts, now: () => stub.now },
    { ...opts, pushMs: 50, sampleMs: 1000, idleSampleMs: 0 },
  );
  const server = createServer((req, res) => {
    const path = wallboard.route(req, res);
    if (path === null) return;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ api: path }));
  });
  server.on("close", () => wallboard.close());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${a.port}`, wallboard };
}

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
  after(() => new Promise<void>((r) => { s.server.closeAllConnections(); s.server.close(() => r()); }));

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
    // Other paths go to the caller with the prefix removed; unprefixed paths work too.
    assert.deepEqual(await (await fetch(`${s.url}/qm/api/queues`)).json(), { api: "/api/queues" });
    assert.deepEqual(await (await fetch(`${s.url}/api/queues`)).json(), { api: "/api/queues" });
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

describe("wallboard bearer token", () => {
  const stub: Stub = { rows: [series("q1", "Support", "voice", 1, 0)], alerts: [], connected: true, now: 0 };
  const token = "s3cret-token-of-some-length";
  let s: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    s = await serve(stub, { basePath: "", token });
  });
  after(() => new Promise<void>((r) => { s.server.closeAllConnections(); s.server.close(() => r()); }));

  it("refuses the page and the API without the token, and leaves the probes open", async () => {
    for (const p of ["/", "/api/queues", "/metrics", "/api/wallboard/events", "/assets/app.js"]) {
      const r = await fetch(`${s.url}${p}`);
      assert.equal(r.status, 401, p);
      assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer/);
    }
    assert.equal((await fetch(`${s.url}/api/queues`, { headers: { authorization: "Bearer wrong" } })).status, 401);
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
    assert.equal((await fetch(`${s.url}/api/queues`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
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
  it("reads alertStates() when the monitor has it, tolerating its absence and bad entries", () => {
    assert.deepEqual(readAlerts({}), []);
    assert.deepEqual(readAlerts(null), []);
    assert.deepEqual(readAlerts({ alertStates: () => { throw new Error("boom"); } }), []);
    assert.deepEqual(readAlerts({ alertStates: () => "nope" }), []);
    const got = readAlerts({
      alertStates: () => [
        { rule: "r", queueId: "q", queueName: "Q", mediaType: "voice", state: "firing", since: "x", value: 1, threshold: 0, severity: "critical", dedupKey: "k" },
        { queueId: "q", state: "bogus" },
        null,
        { rule: "r2", queueId: "q", state: "pending" },
      ],
    });
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
