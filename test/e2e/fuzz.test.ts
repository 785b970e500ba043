/**
 * Fuzz through the live path: the monitor runs as its own process against the emulator while
 * thousands of mutated real frames (conversation snapshots, observations, heartbeats), truncated
 * JSON, wrong types, nulls, unknown topics and media types, huge numbers and far past / far
 * future timestamps are pushed down its real WebSockets, between the emulator's good frames.
 * The process must not exit, and its totals for the simulated queues must still equal the
 * emulator's ground truth exactly.
 *
 * Mutated conversations are moved to a queue of their own ("Fuzz", monitored, no traffic) under
 * conversation ids of their own, so they reach the engine but cannot touch the good queues'
 * counts; observations and heartbeats are mutated on the good queues' topics as they are.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scenarioSchema } from "../../src/emulator/simulator/scenario.js";
import { loadScenario } from "../../src/emulator/simulator/load-scenario.js";
import { mulberry32, type Rng } from "../../src/util/random.js";
import { api, bearer, RecordingSocket, startTestEmulator, waitUntil } from "../helpers/emulator.js";
import { freePort, MonitorProcess } from "../helpers/monitor-process.js";

const MAX_FRAMES = 6000;
const MAX_FUZZ_MS = 25_000;

const WEIRD: (() => unknown)[] = [
  () => null,
  () => "",
  () => -1,
  () => 0,
  () => 1.5,
  () => 1e308,
  () => -1e308,
  () => 2 ** 53 + 1,
  () => Number.MAX_SAFE_INTEGER,
  () => true,
  () => [],
  () => ({}),
  () => "not-a-date",
  () => "0001-01-01T00:00:00.000Z",
  () => "1970-01-01T00:00:00.000Z",
  () => "+275760-09-13T00:00:00.000Z",
  () => "9999-12-31T23:59:59.999Z",
  () => "2100-01-01T00:00:00Z/2100-01-01T00:00:00Z",
  () => "hologram",
  () => "VOICE",
  () => "x".repeat(10_000),
  () => "\u0000\ud800 \u202e",
  () => ({ __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } }),
  () => deep(40),
];

function deep(n: number): unknown {
  let v: unknown = "bottom";
  for (let i = 0; i < n; i++) v = { a: [v] };
  return v;
}

/** Every [parent, key] in a JSON tree (bounded). */
function slots(root: unknown, out: [Record<string, unknown> | unknown[], string | number][] = [], depth = 0): typeof out {
  if (out.length > 2000 || depth > 12 || typeof root !== "object" || root === null) return out;
  const entries: [string | number, unknown][] = Array.isArray(root) ? root.map((v, i) => [i, v]) : Object.entries(root);
  for (const [k, v] of entries) {
    out.push([root as Record<string, unknown>, k]);
    slots(v, out, depth + 1);
  }
  return out;
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];

/** 1-4 random edits of a frame object: weird leaves, deleted keys, swapped containers, odd topics. */
function mutate(rng: Rng, frame: Record<string, unknown>, topics: string[]): void {
  for (let n = 1 + Math.floor(rng() * 4); n > 0; n--) {
    const all = slots(frame);
    const [parent, key] = pick(rng, all);
    const r = rng();
    if (r < 0.55) (parent as Record<string | number, unknown>)[key] = pick(rng, WEIRD)();
    else if (r < 0.7) {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
    } else if (r < 0.8) {
      const v = (parent as Record<string | number, unknown>)[key];
      (parent as Record<string | number, unknown>)[key] = Array.isArray(v) ? Object.fromEntries(v.map((x, i) => [i, x])) : [v, v];
    } else if (r < 0.9) frame.topicName = pick(rng, [...topics, "v2.unknown.topic", "v2.routing.queues..conversations", "v2.analytics.queues.nope.observations", "v2.system", "channel.metadata", ""]);
    else if (rng() < 0.02) frame.topicName = "v2.system.socket_closing";
  }
}

test("fuzz: thousands of bad frames over real WebSockets into a running monitor; no exit, totals exact", { timeout: 240_000 }, async (t) => {
  const steady = loadScenario("steady");
  const scenario = scenarioSchema.parse({ ...steady, name: "steady+fuzz", queues: [...steady.queues, { name: "Fuzz", arrivalsPerHour: 0, agents: 1, handleSeconds: 60 }] });
  const emu = await startTestEmulator({ scenario, speed: 60, durationMinutes: 25, heartbeatSeconds: 0.5, ingestionDelaySeconds: 0.5 });
  t.after(() => emu.stop());
  const fuzzQueue = emu.sim.queues.find((q) => q.name === "Fuzz")!.id;
  const goodQueues = emu.sim.queues.filter((q) => q.name !== "Fuzz").map((q) => q.id);

  // Record real frames from a channel of our own, subscribed to every queue topic.
  const tok = await bearer(emu);
  const mine = (await api(emu, tok, "POST", "/api/v2/notifications/channels")).body as { id: string; connectUri: string };
  const topics = emu.sim.queues.flatMap((q) => [`v2.routing.queues.${q.id}.conversations`, `v2.analytics.queues.${q.id}.observations`]);
  await api(emu, tok, "PUT", `/api/v2/notifications/channels/${mine.id}/subscriptions`, topics.map((id) => ({ id })));
  const rec = new RecordingSocket(mine.connectUri);
  await rec.opened;
  t.after(() => rec.ws.terminate());

  const dir = mkdtempSync(join(tmpdir(), "qm-fuzz-"));
  const port = await freePort();
  const configFile = join(dir, "monitor.yaml");
  MonitorProcess.write(configFile, {
    genesys: { baseUrl: emu.url, clientId: emu.options.clientId, clientSecret: emu.options.clientSecret },
    stream: { heartbeatSeconds: 0.5, latencyAllowanceSeconds: 30, reconnectInitialSeconds: 0.2, reconnectMaxSeconds: 2 },
    backfill: { ingestionDelaySeconds: 1 },
    state: { file: join(dir, "state.sqlite"), commitIntervalMs: 200 },
    clock: "emulator",
  });
  const monitor = new MonitorProcess(configFile, port, join(dir, "monitor.log"));
  t.after(() => monitor.stop());
  monitor.start();
  let exited: number | null | undefined;
  monitor.child!.once("exit", (code) => (exited = code));
  await waitUntil(async () => (await monitor.get("/readyz"))?.ready, 20_000, "monitor ready");
  await waitUntil(() => rec.frames.filter((f) => f.topicName?.includes(".conversations")).length > 20 && rec.frames.some((f) => f.topicName?.includes(".observations")), 20_000, "real frames to mutate");

  /** The monitor's sockets: every open one on the emulator except our recorder's. */
  const monitorSockets = () => [...emu.notifications.channels.values()].filter((c) => c.id !== mine.id && c.socket && c.socket.readyState === c.socket.OPEN).map((c) => c.socket!);
  const rng = mulberry32(20260501);
  const fuzzIds = new Map<string, string>();
  const allQueueIds = emu.sim.queues.map((q) => q.id);
  const monitorTopics = topics;
  let sent = 0;
  const kinds: Record<string, number> = {};
  const began = Date.now();
  while (sent < MAX_FRAMES && Date.now() - began < MAX_FUZZ_MS) {
    const real = pick(rng, rec.frames.length > 0 ? rec.frames : [{ topicName: "channel.metadata", eventBody: { message: "WebSocket Heartbeat" } }]);
    let text = JSON.stringify(real);
    let kind = String(real.topicName).includes(".conversations") ? "conversation" : String(real.topicName).includes(".observations") ? "observation" : "heartbeat";
    if (kind === "conversation") {
      // Move it to the fuzz queue under a conversation id of its own.
      for (const q of allQueueIds) text = text.split(q).join(fuzzQueue);
      const convId = String(real.eventBody?.id);
      if (!fuzzIds.has(convId)) fuzzIds.set(convId, `fuzz-${fuzzIds.size}-${convId.slice(0, 8)}`);
      text = text.split(convId).join(fuzzIds.get(convId)!);
    }
    const frame = JSON.parse(text) as Record<string, unknown>;
    const r = rng();
    if (r < 0.75) {
      mutate(rng, frame, monitorTopics);
      text = JSON.stringify(frame) ?? "null";
    } else if (r < 0.85) {
      text = text.slice(0, Math.floor(rng() * text.length)); // truncated JSON
      kind = "truncated";
    } else if (r < 0.9) {
      text = pick(rng, ["", "null", "[]", "0", '"x"', "{", '{"topicName":', "\u0000\u0001", "{}", '{"topicName":{}}', '{"eventBody":{}}']);
      kind = "garbage";
    } else if (r < 0.95) {
      // Valid JSON, every number made huge or negative.
      text = text.replace(/\d+(\.\d+)?/g, () => pick(rng, ["1e308", "-1", "99999999999999999999", "0"]));
      kind = "numbers";
    } else {
      text = JSON.stringify({ ...frame, eventBody: pick(rng, WEIRD)() });
      kind = "body";
    }
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    for (const ws of monitorSockets()) ws.send(rng() < 0.02 ? Buffer.from(text) : text, { binary: rng() < 0.02 });
    sent++;
    if (sent % 50 === 0) await new Promise((res) => setImmediate(res));
    if (sent % 500 === 0) await new Promise((res) => setTimeout(res, 20)); // let the good frames through too
  }
  assert.ok(sent >= 1000, `only ${sent} frames sent`);
  assert.equal(exited, undefined, "the monitor is still running after the fuzz");

  await waitUntil(() => emu.sim.settled, 120_000, "the simulation to settle");
  const truth = emu.groundTruth() as { queues: { queueId: string; mediaType: string; counts: Record<string, number> }[] };
  assert.ok(truth.queues.every((g) => goodQueues.includes(g.queueId)), "no traffic on the fuzz queue in the truth");
  const key = (q: string, m: string) => `${q}/${m}`;
  const matches = async () => {
    const body = await monitor.get("/api/queues");
    if (!body?.queues) return false;
    const got = new Map<string, Record<string, number>>(body.queues.filter((s: any) => s.queueId !== fuzzQueue).map((s: any) => [key(s.queueId, s.mediaType), s.totals]));
    // A mutated observation may open a series for a media a good queue has no traffic in: it must count nothing.
    const extra = [...got].filter(([k]) => !truth.queues.some((g) => key(g.queueId, g.mediaType) === k));
    if (extra.some(([, v]) => Object.values(v).some((n) => n !== 0))) return false;
    return truth.queues.every((g) => JSON.stringify(got.get(key(g.queueId, g.mediaType))) === JSON.stringify(g.counts)) && body;
  };
  try {
    await waitUntil(matches, 60_000, "totals of the good queues to equal the ground truth");
  } catch (e) {
    const body = await monitor.get("/api/queues");
    for (const s of body?.queues ?? []) if (!truth.queues.some((g) => g.queueId === s.queueId && g.mediaType === s.mediaType)) console.error("extra series", s.queueId.slice(0, 8), s.mediaType, JSON.stringify(s.totals));
    for (const g of truth.queues) console.error(g.queueId.slice(0, 8), g.mediaType, "truth", JSON.stringify(g.counts), "monitor", JSON.stringify(body?.queues?.find((x: any) => x.queueId === g.queueId && x.mediaType === g.mediaType)?.totals));
    console.error(readFileSync(join(dir, "monitor.log"), "utf8").split("\n").filter((l) => /"level":(50|60)/.test(l)).slice(-20).join("\n"));
    throw e;
  }
  const health = await monitor.get("/api/health");
  assert.equal(exited, undefined, "the monitor never exited");
  assert.equal(health.connected, true);
  assert.ok(health.counters.malformedFrames > 0, "bad frames were counted");
  const log = readFileSync(join(dir, "monitor.log"), "utf8").split("\n").filter(Boolean);
  const longest = log.reduce((m, l) => Math.max(m, l.length), 0);
  assert.ok(longest < 2000, `a log line of ${longest} characters`);
  console.log(JSON.stringify({ fuzz: { framesSent: sent, kinds, seconds: (Date.now() - began) / 1000, malformedFrames: health.counters.malformedFrames, badPayloads: health.counters.badPayloads, reconnects: health.counters.reconnects, logLines: log.length } }));
});
