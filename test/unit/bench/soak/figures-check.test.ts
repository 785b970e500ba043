/**
 * The soak's figures check against the real statistics engine: fed every event of a simulated
 * hour it must find nothing; fed the same hour less one abandon it must name exactly that loss.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultEngineSettings } from "../../../../src/aggregate/config.js";
import { Engine } from "../../../../src/aggregate/engine.js";
import { scenarioSchema } from "../../../../src/emulator/simulator/scenario.js";
import { Simulator } from "../../../../src/emulator/simulator/simulator.js";
import type { QueueEvent } from "../../../../src/domain/queue-event.js";
import { ManualClock } from "../../../../src/util/clock.js";
import { checkFigures, waitTolerance, type QueuesBody } from "../../../../bench/soak/figures-check.js";
import { soakScenario } from "../../../../bench/soak/scenario.js";
import { bySeries, totalsOf, visitsToEvents, type TruthEvent, type TruthGroup, type Visit } from "../../../../bench/soak/truth.js";

const START = Date.parse("2026-05-04T09:00:00Z");

function simulate(minutes: number) {
  const scenario = scenarioSchema.parse(soakScenario(minutes));
  const sim = new Simulator(scenario, { seed: 3, start: START, durationMinutes: minutes, keepConversations: false });
  sim.advanceTo(START + (minutes + 30) * 60_000);
  const sl = new Map(sim.queues.map((q) => [q.id, q.spec.serviceLevel]));
  return { events: [...sim.events].sort((a, b) => a.time - b.time), queues: sim.queues, sl };
}

/** The engine fed `events` in time order with its clock at each event, read at `readAt`. */
function engineBody(events: QueueEvent[], queues: { id: string; name: string }[], sl: Map<string, { percentage: number; durationMs: number }>, readAt: number, intervalMinutes: 15 | 30 = 15): QueuesBody {
  const clock = new ManualClock(START);
  const engine = new Engine({ ...defaultEngineSettings, intervalMinutes }, clock);
  for (const q of queues) {
    const s = sl.get(q.id)!;
    engine.setQueue(q.id, { name: q.name, serviceLevels: Object.fromEntries(["voice", "chat", "callback", "email", "message"].map((m) => [m, s])) });
  }
  let minute = Math.floor(START / 60_000);
  for (const e of events) {
    clock.set(Math.max(clock.now(), e.time));
    if (Math.floor(e.time / 60_000) > minute) {
      engine.maintain();
      minute = Math.floor(e.time / 60_000);
    }
    engine.apply(e);
  }
  clock.set(readAt);
  engine.maintain();
  return JSON.parse(JSON.stringify({ generatedAt: new Date(readAt).toISOString(), queues: engine.snapshot() })) as QueuesBody;
}

function groupsOf(events: TruthEvent[]): TruthGroup[] {
  return [...bySeries(events)].map(([, list]) => ({ queueId: list[0].queueId, mediaType: list[0].mediaType, counts: totalsOf(list) }));
}

const sim = simulate(50);
const names = new Map(sim.queues.map((q) => [q.id, q.name]));
const settings = { serviceLevelMs: (q: string) => sim.sl.get(q)!.durationMs, shortAbandonMs: 10_000 };
const readAt = START + 53 * 60_000 + 17_000; // traffic still inside the 5, 15 and 60 minute windows

test("the real engine, fed every event, matches the recomputed figures in every slice", () => {
  const body = engineBody(sim.events, sim.queues, sim.sl, readAt);
  const r = checkFigures(body, { groups: groupsOf(sim.events), events: sim.events }, settings, names);
  assert.deepEqual(r.differences, []);
  const series = bySeries(sim.events).size;
  assert.ok(series >= 10, `${series} queue x media series`);
  assert.equal(r.compared.series, series);
  assert.equal(r.compared.slices, series * 6, "3 windows, current and previous interval, today per series");
  assert.deepEqual(r.ran, ["totals", "waiting-now", "windows", "intervals", "today", "service-level-threshold"]);
});

test("one abandon the monitor never counted is named: totals, the waiting leg, and each slice holding it", () => {
  const lost = sim.events.filter((e) => e.kind === "abandoned" && e.time > readAt - 4 * 60_000)[0];
  assert.ok(lost, "an abandon in the last 4 minutes");
  const body = engineBody(
    sim.events.filter((e) => e !== lost),
    sim.queues,
    sim.sl,
    readAt,
  );
  const r = checkFigures(body, { groups: groupsOf(sim.events), events: sim.events }, settings, names);
  const want = groupsOf(sim.events).find((g) => g.queueId === lost.queueId && g.mediaType === lost.mediaType)!.counts.abandoned;
  const totals = r.differences.filter((d) => d.check === "totals");
  assert.deepEqual(totals, [{ check: "totals", queue: names.get(lost.queueId), queueId: lost.queueId, media: lost.mediaType, slice: "totals", field: "abandoned", expected: want, got: want - 1 }]);
  assert.deepEqual(
    r.differences.filter((d) => d.check === "waiting-now").map((d) => [d.queueId, d.media, d.expected, d.got]),
    [[lost.queueId, lost.mediaType, 0, 1]],
  );
  assert.ok(r.differences.every((d) => d.queueId === lost.queueId && d.media === lost.mediaType), "nothing blamed on another series");
  const slices = new Set(r.differences.filter((d) => d.check === "windows" || d.check === "intervals" || d.check === "today").map((d) => d.slice!.split(" [")[0]));
  assert.deepEqual([...slices].sort(), ["interval (current)", "today", "window 15m", "window 5m", "window 60m"]);
  const w5 = r.differences.find((d) => d.slice!.startsWith("window 5m") && d.field === "abandoned")!;
  assert.equal(w5.got, (w5.expected as number) - 1);
});

test("binned waits (over 2,048) compare within the bin's width; a real shift is still caught", () => {
  const Q = sim.queues[0];
  const t = readAt - 10 * 60_000;
  const waits: QueueEvent[] = [];
  for (let i = 0; i < 5000; i++) {
    const c = `bulk-${i}`;
    const w = 1000 + ((i * 7919) % 120_000);
    waits.push({ kind: "offered", queueId: Q.id, mediaType: "voice", conversationId: c, participantId: "p", time: t - w }, { kind: "answered", queueId: Q.id, mediaType: "voice", conversationId: c, participantId: "p", time: t + (i % 60) * 1000, waitMs: w });
  }
  const events = [...sim.events, ...waits].sort((a, b) => a.time - b.time);
  const body = engineBody(events, sim.queues, sim.sl, readAt);
  const ok = checkFigures(body, { groups: groupsOf(events), events }, settings, names);
  assert.deepEqual(ok.differences, []);
  // The monitor misses the 400 longest of them: p90 and up move far beyond a bin.
  const longest = new Set([...waits].filter((e) => e.kind === "answered").sort((a, b) => b.waitMs! - a.waitMs!).slice(0, 400));
  const bad = checkFigures(engineBody(events.filter((e) => !longest.has(e)), sim.queues, sim.sl, readAt), { groups: groupsOf(events), events }, settings, names);
  assert.ok(bad.differences.some((d) => d.field === "answeredWaitSeconds.p99" && d.slice!.startsWith("window 15m")));
  assert.equal(waitTolerance(50, 100), 0);
  assert.equal(waitTolerance(50, 3000), (2 ** (15 - 10) + 1) / 1000);
});

test("visits (GET /emulator/ground-truth?visits=1) give the same figures as the events they are made of", () => {
  const visits = new Map<string, Visit>();
  for (const e of sim.events) {
    const k = `${e.conversationId}/${e.participantId}/${e.queueId}`;
    const v = visits.get(k) ?? { queueId: e.queueId, mediaType: e.mediaType, conversationId: e.conversationId, offeredAt: "" };
    if (e.kind === "offered") v.offeredAt = new Date(e.time).toISOString();
    else Object.assign(v, { endedAt: new Date(e.time).toISOString(), kind: e.kind, waitMs: e.waitMs });
    visits.set(k, v);
  }
  const events = visitsToEvents([...visits.values()]);
  assert.equal(events.length, sim.events.length);
  const body = engineBody(sim.events, sim.queues, sim.sl, readAt);
  assert.deepEqual(checkFigures(body, { groups: groupsOf(events), events }, settings, names).differences, []);
});
