/**
 * The wallboard in a real browser (playwright-core driving Debian's chromium, installed by
 * .ci/run) during `queue-monitor demo` (surge scenario): a tile per /api/queues entry with the
 * same numbers, live updates, filtering, and the surge queue in the alert colour. Saves the
 * screenshot the README shows (docs/wallboard.png).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { CLI } from "../helpers/monitor-process.js";
import { needs } from "../helpers/needs.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOT = fileURLToPath(new URL("../../../docs/wallboard.png", import.meta.url));
/** The alert colour of a firing tile (web/wallboard/style.css --alert-bg). */
const ALERT_BG = "rgb(74, 15, 15)";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until f returns a value (bounded in time). */
async function until<T>(what: string, f: () => Promise<T | undefined | null | false>, timeoutMs: number, everyMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await f();
    if (v) return v;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

interface TileData {
  queueId: string;
  mediaType: string;
  name: string;
  offered: number;
  answered: number;
  abandoned: number;
  waiting: number;
  alert: string | null;
  hidden: boolean;
}

const readTiles = (page: Page): Promise<TileData[]> =>
  page.$$eval("article.tile", (els) =>
    els.map((e) => {
      const el = e as any; // DOM types are not in this project's lib
      return {
        queueId: el.dataset.queueId ?? "",
        mediaType: el.dataset.mediaType ?? "",
        name: el.querySelector(".name")?.textContent ?? "",
        offered: Number(el.dataset.offered),
        answered: Number(el.dataset.answered),
        abandoned: Number(el.dataset.abandoned),
        waiting: Number(el.dataset.waiting),
        alert: el.getAttribute("data-alert"),
        hidden: el.hidden,
      };
    }),
  );

describe("wallboard in a browser during the demo", { timeout: 300_000, ...needs(CHROMIUM) }, () => {
  let demo: ChildProcess;
  let output = "";
  let base = "";
  let browser: Browser;
  let page: Page;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: .ci/run installs Debian's chromium (apt-get install chromium)`);
    demo = spawn(process.execPath, [CLI, "demo", "--scenario", "surge", "--listen", "127.0.0.1:0", "--port", "0", "--every", "1"], { stdio: ["ignore", "pipe", "pipe"] });
    demo.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    demo.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    base = await until("the demo's wallboard address", async () => /wallboard:\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1], 30_000);
    // playwright-core never downloads a browser: it drives the system's chromium.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    // Keep the last wallboard message where the test can read it (listeners added before the app's run first).
    await page.addInitScript(() => {
      const g = globalThis as any;
      const Inner = g.EventSource;
      g.EventSource = class extends Inner {
        constructor(...args: unknown[]) {
          super(...args);
          for (const type of ["hello", "update"]) this.addEventListener(type, (e: { data: string }) => (g.__wallboard = JSON.parse(e.data)));
        }
      };
    });
  });

  after(async () => {
    await browser?.close();
    if (demo && demo.exitCode === null) {
      demo.kill("SIGTERM");
      await Promise.race([new Promise((r) => demo.once("exit", r)), sleep(10_000)]);
      if (demo.exitCode === null) demo.kill("SIGKILL");
    }
  });

  it("prints the wallboard, /metrics and /api/queues addresses and a progress line", async () => {
    assert.match(output, /metrics:\s+http:\/\/127\.0\.0\.1:\d+\/metrics/);
    assert.match(output, /queues:\s+http:\/\/127\.0\.0\.1:\d+\/api\/queues/);
    await until("a progress line", async () => /\(simulated\)\s+events ingested \d+\s+alerts raised \d+/.test(output), 20_000);
  });

  it("shows one tile per /api/queues entry with the same numbers", async () => {
    await page.goto(base);
    await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
    // Wait for traffic on every queue the scenario has (series appear with their first call).
    await until("tiles for every series", async () => {
      const api = (await (await fetch(`${base}api/queues`)).json()) as { queues: unknown[] };
      return api.queues.length >= 5 && (await page.$$("article.tile")).length === api.queues.length;
    }, 60_000, 500);
    // The figures move while we read: the tile must sit between two readings of the API in the same interval.
    await until("a consistent reading", async () => {
      const a = (await (await fetch(`${base}api/queues`)).json()) as { queues: any[] };
      await sleep(1_500); // one push
      const tiles = await readTiles(page);
      const b = (await (await fetch(`${base}api/queues`)).json()) as { queues: any[] };
      if (a.queues.length !== b.queues.length || a.queues.some((q, i) => q.intervals.current.start !== b.queues[i].intervals.current.start)) return false;
      assert.equal(tiles.length, b.queues.length, "one tile per entry");
      for (const q of b.queues) {
        const t = tiles.find((x) => x.queueId === q.queueId && x.mediaType === q.mediaType);
        assert.ok(t, `tile for ${q.queueName} ${q.mediaType}`);
        assert.equal(t.name, q.queueName);
        const qa = a.queues.find((x) => x.queueId === q.queueId && x.mediaType === q.mediaType);
        for (const k of ["offered", "answered", "abandoned"] as const) {
          const lo = qa ? qa.intervals.current[k] : 0;
          assert.ok(t[k] >= lo && t[k] <= q.intervals.current[k], `${q.queueName} ${q.mediaType} ${k}: tile ${t[k]} outside API ${lo}..${q.intervals.current[k]}`);
        }
      }
      return true;
    }, 30_000, 0);
  });

  it("updates live without a reload", async () => {
    const clock0 = await page.textContent("#clock");
    const before = JSON.stringify(await readTiles(page));
    await until("the clock and figures to change", async () => (await page.textContent("#clock")) !== clock0 && JSON.stringify(await readTiles(page)) !== before, 30_000);
    // The chart got points too (drawn by uPlot from the pushed history).
    assert.ok((await page.$$("article.tile .chart canvas")).length > 0, "charts drawn");
  });

  it("shows who is there to answer and the next caller's predicted wait, as /api/queues says", async () => {
    // One read in the page, so the tiles and the message they were drawn from are seen together.
    const readPage = () =>
      page.evaluate(() => {
        const g = globalThis as any;
        const f = (el: any, name: string) => el.querySelector(`[data-field="${name}"]`)?.textContent ?? "";
        const dom = [...g.document.querySelectorAll("article.tile")].map((el: any) => ({
          queueId: el.dataset.queueId,
          mediaType: el.dataset.mediaType,
          status: el.dataset.status,
          onQueue: f(el, "onQueue"),
          idle: f(el, "idle"),
          busy: f(el, "busy"),
          notResponding: f(el, "notResponding"),
          predicted: f(el, "predicted"),
          predictor: f(el, "predictor"),
        }));
        return { dom, message: g.__wallboard as { tiles: any[] } | undefined };
      });
    const shown = (v: number | null) => (v === null ? "–" : String(v));
    const api = async () => ((await (await fetch(`${base}api/queues`)).json()) as { queues: any[] }).queues;
    // Staffing moves while we read: each series must, at some reading, show what the API said just
    // before or just after; a series that never does is named.
    const confirmed = new Set<string>();
    const why = new Map<string, string>();
    let predicted = 0;
    await until("staffing and a predicted wait on the tiles, as the API says", async () => {
      const a = await api();
      await sleep(1_100); // past one push (--every 1), so the message was made after a
      const { dom, message } = await readPage();
      const b = await api();
      assert.ok(message, "the page kept the last wallboard message");
      for (const q of b) {
        const key = `${q.queueName} ${q.mediaType}`;
        const qa = a.find((x) => x.queueId === q.queueId && x.mediaType === q.mediaType) ?? q;
        const m: any = message.tiles.find((x: any) => x.queueId === q.queueId && x.mediaType === q.mediaType);
        const t = dom.find((x) => x.queueId === q.queueId && x.mediaType === q.mediaType);
        if (!m || !t) {
          why.set(key, "no tile yet");
          continue;
        }
        // The tile shows its message exactly.
        assert.deepEqual(
          { status: t.status, onQueue: t.onQueue, idle: t.idle, busy: t.busy, notResponding: t.notResponding, predictor: t.predictor },
          { status: m.status, onQueue: shown(m.agents.onQueue), idle: shown(m.agents.idle), busy: shown(m.agents.busy), notResponding: shown(m.agents.notResponding), predictor: m.predictor ? `(${m.predictor})` : "" },
          `${key}: the tile shows its message`,
        );
        assert.ok(["ok", "warn", "breach", "quiet"].includes(t.status), `tile status ${t.status}`);
        if (m.predictedWaitSeconds === null) assert.equal(t.predicted, "–");
        else assert.match(t.predicted, /^~\d/, `${key}: predicted ${t.predicted}`);
        // The message says what the API says.
        if (q.now.agents.onQueue === null) {
          why.set(key, "no staffing in /api/queues");
          continue;
        }
        const off = (["onQueue", "idle", "busy", "notResponding"] as const).filter((field) => {
          const apiField = field === "busy" ? "interacting" : field;
          return ![qa.now.agents[apiField], q.now.agents[apiField]].includes(m.agents[field]);
        });
        if (off.length) why.set(key, `${off.map((f) => `${f} ${m.agents[f]}`).join(", ")} vs API ${JSON.stringify(q.now.agents)}`);
        else confirmed.add(key);
        if (m.predictedWaitSeconds !== null && [q.predicted.predictor, qa.predicted.predictor].includes(m.predictor)) predicted++;
      }
      return b.every((q) => confirmed.has(`${q.queueName} ${q.mediaType}`)) && predicted > 0;
    }, 60_000, 0).catch((e: Error) => {
      throw new Error(`${e.message}; ${predicted} predicted waits matched; not confirmed: ${[...why].filter(([k]) => !confirmed.has(k)).map(([k, v]) => `${k}: ${v}`).join("; ")}`);
    });
  });

  it("filters by name", async () => {
    await page.fill("#filter", "bill");
    const tiles = await readTiles(page);
    assert.ok(tiles.some((t) => !t.hidden));
    for (const t of tiles) assert.equal(t.hidden, !t.name.toLowerCase().includes("bill"), t.name);
    await page.fill("#filter", "");
    assert.ok((await readTiles(page)).every((t) => !t.hidden));
  });

  it("fits a phone's width (one column, no sideways scrolling)", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await sleep(300);
    const layout = await page.evaluate(() => {
      const d = (globalThis as any).document;
      const tiles = [...d.querySelectorAll("article.tile")].map((e: any) => e.getBoundingClientRect());
      return { scrollWidth: d.documentElement.scrollWidth, lefts: new Set(tiles.map((r: any) => Math.round(r.left))).size, widest: Math.max(...tiles.map((r: any) => r.right)) };
    });
    assert.ok(layout.scrollWidth <= 390, `page ${layout.scrollWidth} px wide`);
    assert.equal(layout.lefts, 1, "one column");
    assert.ok(layout.widest <= 390);
    await page.setViewportSize({ width: 1500, height: 1000 });
  });

  it("turns the surge queue to the alert colour while its alert fires", async () => {
    const firing = await until("a firing alert on the surge queue (Support)", async () => {
      const body = (await (await fetch(`${base}api/alerts`)).json()) as { alerts: { queueId: string; queueName: string; mediaType: string | null; state: string }[] };
      return body.alerts.find((a) => a.queueName === "Support" && a.state === "firing");
    }, 120_000, 500);
    const selector = `article.tile[data-queue-id="${firing.queueId}"]${firing.mediaType ? `[data-media-type="${firing.mediaType}"]` : ""}[data-alert="firing"]`;
    const tile = await page.waitForSelector(selector, { timeout: 10_000 });
    await sleep(600); // the colour transition
    assert.equal(await tile.evaluate((el) => (globalThis as any).getComputedStyle(el).backgroundColor), ALERT_BG);
    await page.screenshot({ path: SCREENSHOT });
  });
});
