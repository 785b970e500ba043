/**
 * The REST observations snapshot: request bodies (documented metric enum, split by queue count)
 * and responses read into the same per-media and staffing updates as the topic. Oracles: the
 * published responses' own values, and the emulator's simulator (its live figures) for a body
 * the emulator's analytics endpoint accepts and answers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { parseSnapshot, snapshotQueries, QUEUES_PER_SNAPSHOT_QUERY } from "../../../src/normalize/observation-query.js";
import { agentReading } from "../../../src/emulator/agent-metrics.js";
import { Analytics } from "../../../src/emulator/analytics/analytics.js";
import { Simulator } from "../../../src/emulator/simulator/simulator.js";
import { loadScenario } from "../../../src/emulator/simulator/load-scenario.js";
import { mulberry32 } from "../../../src/util/random.js";

const dir = join(fileURLToPath(import.meta.url), "../../../../../test/fixtures");
const load = (f: string): any => JSON.parse(readFileSync(join(dir, f), "utf8"));
const Q = "0000000a-0000-4000-8000-00000000000a";
const AT = Date.parse("2020-08-03T04:30:00.000Z");
/** QueueObservationQuery's metric enum (genesys-api.md §4b). */
const ENUM = ["oActiveUsers", "oAlerting", "oInteracting", "oMemberUsers", "oOffQueueUsers", "oOnQueueUsers", "oUserPresences", "oUserRoutingStatuses", "oWaiting"];

test("request bodies: documented metrics only, queue ids deduplicated and split by 100", () => {
  const ids = Array.from({ length: 250 }, (_, i) => `q${i}`);
  const bodies = snapshotQueries([...ids, "q3", "q7", ""]);
  assert.deepEqual(bodies.map((b) => b.filter.predicates.length), [100, 100, 50]);
  assert.deepEqual(bodies.flatMap((b) => b.filter.predicates.map((p) => p.value)), ids);
  for (const b of bodies) {
    assert.equal(b.filter.type, "or");
    for (const m of [...b.metrics, ...b.detailMetrics]) assert.ok(ENUM.includes(m), m);
    for (const p of b.filter.predicates) assert.deepEqual(Object.keys(p).sort(), ["dimension", "operator", "type", "value"]);
  }
  assert.equal(QUEUES_PER_SNAPSHOT_QUERY, 100);
  assert.deepEqual(snapshotQueries([]), []);
  assert.equal(snapshotQueries(ids, { queuesPerQuery: 40 }).length, 7);
  // The documented request limit is 512,000 bytes: a full body is far below it.
  assert.ok(JSON.stringify(snapshotQueries(ids.map((i) => `${i}-0000-4000-8000-00000000000a`))[0]).length < 20_000);
});

test("Splunk's response: six media groups (video only interacting) and the queue's staffing", () => {
  const r = parseSnapshot(load("built-queue-observations-query-splunk.json"), AT);
  assert.equal(r.dropped, 0);
  assert.deepEqual(r.media.map((u) => u.mediaType), ["chat", "message", "email", "callback", "voice", "video"]);
  for (const u of r.media.slice(0, 5)) assert.deepEqual(u, { queueId: Q, mediaType: u.mediaType, at: AT, interacting: 0, waiting: 0, oldestWaitingAt: null, alerting: 0 });
  assert.deepEqual(r.media[5], { queueId: Q, mediaType: "video", at: AT, interacting: 0 });
  assert.deepEqual(r.staffing, [{ queueId: Q, at: AT, members: 23, active: 23, onQueue: 4, idle: 4, interacting: 0, communicating: 0, notResponding: 0, offQueueStatus: 19 }]);
});

test("the tutorial's response: statuses, interacting per media; no oWaiting row leaves waiting unknown", () => {
  const r = parseSnapshot(load("built-queue-observations-query-tutorial.json"), AT);
  assert.equal(r.dropped, 0);
  assert.deepEqual(r.staffing, [{ queueId: Q, at: AT, idle: 1, interacting: 2, communicating: 0, notResponding: 0, offQueueStatus: 3 }]);
  const voice = r.media.find((u) => u.mediaType === "voice")!;
  assert.deepEqual(voice, { queueId: Q, mediaType: "voice", at: AT, interacting: 1 });
  assert.equal("waiting" in voice || "oldestWaitingAt" in voice, false);
});

test("oWaiting detail observations give the oldest wait, also from a truncated list; bad dates are dropped", () => {
  const body = {
    results: [
      {
        group: { queueId: Q, mediaType: "Voice" },
        data: [
          {
            metric: "oWaiting",
            stats: { count: 40 },
            truncated: true,
            observations: [{ observationDate: "2020-08-03T04:20:00.000Z" }, { observationDate: "2020-08-03T04:25:00.000Z" }, { observationDate: "not a date" }, { observationDate: "2030-01-01T00:00:00.000Z" }],
          },
          { metric: "oWaiting", qualifier: "x", stats: { count: 99 } },
        ],
      },
      { group: { queueId: Q, mediaType: "chat" }, data: [{ metric: "oWaiting", stats: { count: 2 } }] },
      { group: { queueId: Q, mediaType: "hologram" }, data: [] },
      { group: {}, data: [] },
    ],
  };
  const r = parseSnapshot(body, AT);
  assert.deepEqual(r.media, [
    { queueId: Q, mediaType: "voice", at: AT, waiting: 40, oldestWaitingAt: Date.parse("2020-08-03T04:20:00.000Z") },
    { queueId: Q, mediaType: "chat", at: AT, waiting: 2 },
  ]);
  assert.equal(r.dropped, 4, "two bad dates, an unknown media type, a group without queue");
});

test("against the emulator: the body is accepted and the snapshot equals the simulator's live figures", () => {
  const start = Date.parse("2026-01-05T09:00:00Z");
  const sim = new Simulator(loadScenario("surge"), { seed: 3, start, durationMinutes: 120 });
  const analytics = new Analytics(sim, { typicalMs: () => 1000, tailMs: () => 0, tailShare: 0 }, (q) => agentReading(3, q));
  let checkedWaiting = 0;
  for (let minute = 20; minute <= 80; minute += 10) {
    const at = start + minute * 60_000;
    sim.advanceTo(at);
    const ids = sim.queues.map((q) => q.id);
    const bodies = snapshotQueries(ids, { queuesPerQuery: 2 });
    assert.equal(bodies.length, Math.ceil(ids.length / 2));
    const parsed = bodies.map((b) => parseSnapshot(analytics.observationsQuery(b).body, at));
    const media = parsed.flatMap((p) => p.media);
    const staffing = parsed.flatMap((p) => p.staffing);
    assert.equal(parsed.reduce((n, p) => n + p.dropped, 0), 0);
    for (const id of ids) {
      const truth = sim.agentFigures(id);
      const s = staffing.find((x) => x.queueId === id)!;
      assert.deepEqual([s.members, s.idle, s.interacting], [truth.members, truth.idle, truth.interacting], `staffing of ${id} at minute ${minute}`);
      for (const [mediaType, o] of sim.observe(id)) {
        const u = media.find((x) => x.queueId === id && x.mediaType === mediaType)!;
        assert.deepEqual([u.waiting, u.interacting, u.alerting], [o.waiting.length, o.interacting, o.alerting], `${id} ${mediaType}`);
        const oldest = o.waiting.length ? Math.min(...o.waiting.map((w) => w.acd.sessions[0].startTime)) : null;
        assert.equal(u.oldestWaitingAt, oldest);
        if (oldest !== null) checkedWaiting++;
      }
    }
  }
  assert.ok(checkedWaiting > 0, "some snapshot had callers waiting");
});

test("total on 10,000 random bodies", () => {
  const rng = mulberry32(5);
  const pick = <T>(xs: T[]) => xs[Math.floor(rng() * xs.length)];
  const values = [null, -1, 0, 2, "x", "2020-08-03T04:20:00.000Z", [], {}, "voice", Q];
  const row = () => ({ metric: pick(["oWaiting", "oInteracting", "oMemberUsers", "oUserRoutingStatuses", 5]), qualifier: pick([undefined, "IDLE", 3]), stats: pick([{ count: pick(values) }, null]), observations: pick([undefined, [{ observationDate: pick(values) }], "x"]) });
  for (let i = 0; i < 10_000; i++) {
    const body = pick([null, { results: "x" }, { results: Array.from({ length: 3 }, () => ({ group: pick([{ queueId: Q }, { queueId: Q, mediaType: pick(values) }, null]), data: pick([Array.from({ length: 3 }, row), 7]) })) }]);
    const r = parseSnapshot(body, AT);
    for (const u of r.media) assert.ok(typeof u.queueId === "string" && (["waiting", "interacting", "alerting"] as const).some((k) => Number.isSafeInteger(u[k])));
    for (const s of r.staffing) assert.equal(s.queueId, Q);
    assert.ok(r.dropped >= 0);
  }
});
