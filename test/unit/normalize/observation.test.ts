/**
 * Observation notifications (`v2.analytics.queues.{id}.observations`): one message per group,
 * only the metrics present, 30-minute aggregates typed; and the parser is total (never throws,
 * only well-formed output) on anything.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ObservationMerger, observationsFrom, parseObservation, type IntervalAggregate, type ObservationUpdate } from "../../../src/normalize/observation.js";
import { mulberry32 } from "../../../src/util/random.js";

const Q = "0c57879e-fc96-440c-9e0b-e1973f88c0ef";
const T = "2024-12-30T09:46:54.839Z";

test("frames that used to throw inside the socket handler are skipped", () => {
  for (const body of [{ data: [null] }, { data: [{ interval: `${T}/${T}`, metrics: {} }] }, { data: [{ interval: 5 }] }, { group: null, data: [{ interval: `${T}/${T}`, metrics: [null, 7, { metric: "oWaiting", stats: null }] }] }]) {
    assert.doesNotThrow(() => observationsFrom(Q, body), JSON.stringify(body));
    assert.doesNotThrow(() => parseObservation(Q, body), JSON.stringify(body));
    assert.deepEqual(parseObservation(Q, body), { updates: [], aggregates: [] });
  }
});

test("partial messages give partial updates: a missing metric is not zero", () => {
  const alertingWaiting = { group: { queueId: Q, mediaType: "voice" }, data: [{ interval: `${T}/${T}`, metrics: [{ metric: "oAlerting", stats: { count: 0 } }, { metric: "oWaiting", stats: { count: 3 } }] }] };
  assert.deepEqual(parseObservation(Q, alertingWaiting).updates, [{ queueId: Q, mediaType: "voice", at: Date.parse(T), alerting: 0, waiting: 3 }]);
  const interacting = { group: { queueId: Q, mediaType: "chat" }, data: [{ interval: `${T}/${T}`, metrics: [{ metric: "oInteracting", stats: { count: 2 } }] }] };
  const u = parseObservation(Q, interacting).updates;
  assert.deepEqual(u, [{ queueId: Q, mediaType: "chat", at: Date.parse(T), interacting: 2 }]);
  assert.equal("waiting" in u[0], false);
  // The compatibility reader never invents a zero for a metric the message did not carry.
  assert.deepEqual(observationsFrom(Q, alertingWaiting), []);
});

test("queue-level groups (no mediaType) carry member statuses: no per-media figures", () => {
  const body = {
    group: { queueId: Q },
    data: [{ interval: `${T}/${T}`, metrics: [{ metric: "oUserRoutingStatuses", qualifier: "IDLE", stats: { count: 4 } }, { metric: "oWaiting", stats: { count: 9 } }, { metric: "oOnQueueUsers", qualifier: "IDLE", stats: { count: 4 } }] }],
  };
  assert.deepEqual(parseObservation(Q, body), { updates: [], aggregates: [] });
});

test("the group's queueId wins over the topic's; media types are lower-cased; qualified metrics are not the total", () => {
  const other = "1d1a0000-0000-4000-8000-0000000000fc";
  const body = { group: { queueId: other, mediaType: "Voice" }, data: [{ interval: `${T}/${T}`, metrics: [{ metric: "oWaiting", qualifier: "x", stats: { count: 100 } }, { metric: "oWaiting", stats: { count: 1 } }] }] };
  assert.deepEqual(parseObservation(Q, body).updates, [{ queueId: other, mediaType: "voice", at: Date.parse(T), waiting: 1 }]);
});

test("unknown media types are not series", () => {
  const body = { group: { queueId: Q, mediaType: "hologram" }, data: [{ interval: `${T}/${T}`, metrics: [{ metric: "oWaiting", stats: { count: 1 } }] }] };
  assert.deepEqual(parseObservation(Q, body), { updates: [], aggregates: [] });
});

test("30-minute aggregates are typed: offered, answered, abandoned, flow-outs, with sums", () => {
  const body = {
    group: { queueId: Q, mediaType: "voice" },
    data: [
      { interval: `${T}/${T}`, metrics: [{ metric: "oWaiting", stats: { count: 0 } }] },
      {
        interval: "2024-12-30T09:30:00.000Z/2024-12-30T10:00:00.000Z",
        metrics: [
          { metric: "tAbandon", stats: { count: 2, sum: 86168, min: 11781, max: 74387 } },
          { metric: "nOffered", stats: { count: 5 } },
          { metric: "tAnswered", stats: { count: 3, sum: 9000, min: 1000, max: 5000 } },
          { metric: "tAcd", stats: { count: 5, sum: 95168 } },
          { metric: "oServiceLevel", stats: { ratio: 0.4, numerator: 2, denominator: 5, target: 0.8 } },
          { metric: "tWait", stats: { count: 5, sum: 95168 } },
        ],
      },
    ],
  };
  const r = parseObservation(Q, body);
  assert.deepEqual(r.updates, [{ queueId: Q, mediaType: "voice", at: Date.parse(T), waiting: 0 }]);
  const expected: IntervalAggregate = {
    queueId: Q,
    mediaType: "voice",
    start: Date.parse("2024-12-30T09:30:00.000Z"),
    end: Date.parse("2024-12-30T10:00:00.000Z"),
    offered: 5,
    answered: 3,
    answeredSumMs: 9000,
    abandoned: 2,
    abandonedSumMs: 86168,
    waitCount: 5,
    waitSumMs: 95168,
    serviceLevel: { numerator: 2, denominator: 5, target: 0.8 },
  };
  assert.deepEqual(r.aggregates, [expected]);
  // A flow-out-only aggregate, with no media type in the group: no per-media figure, so ignored.
  const flow = { group: { queueId: Q, mediaType: "chat" }, data: [{ interval: "2024-12-30T09:30:00.000Z/2024-12-30T10:00:00.000Z", metrics: [{ metric: "tFlowOut", stats: { count: 1, sum: 30000 } }] }] };
  assert.deepEqual(parseObservation(Q, flow).aggregates, [{ queueId: Q, mediaType: "chat", start: Date.parse("2024-12-30T09:30:00.000Z"), end: Date.parse("2024-12-30T10:00:00.000Z"), flowout: 1, flowoutSumMs: 30000 }]);
  assert.deepEqual(parseObservation(Q, { ...flow, group: { queueId: Q } }).aggregates, []);
});

test("counts must be whole, finite and not negative; times must be real ones", () => {
  const bad = [-1, 1.5, 1e300, Number.MAX_SAFE_INTEGER + 2, "3", null, true, [], {}];
  for (const v of bad) {
    const body = { group: { queueId: Q, mediaType: "voice" }, data: [{ interval: `${T}/${T}`, metrics: [{ metric: "oWaiting", stats: { count: v } }] }] };
    assert.deepEqual(parseObservation(Q, body).updates, [], JSON.stringify(v));
  }
  for (const interval of ["", "x/x", `${T}`, `${T}/${T}/${T}`, "+275760-09-13T00:00:00.000Z/+275760-09-13T00:00:00.000Z", "0001-01-01T00:00:00Z/0001-01-01T00:00:00Z", "2024-12-30T10:00:00Z/2024-12-30T09:30:00Z"]) {
    const body = { group: { queueId: Q, mediaType: "voice" }, data: [{ interval, metrics: [{ metric: "oWaiting", stats: { count: 1 } }, { metric: "nOffered", stats: { count: 1 } }] }] };
    assert.deepEqual(parseObservation(Q, body), { updates: [], aggregates: [] }, interval);
  }
  // With the caller's now, an observation from the future (beyond the allowed skew) is refused:
  // it would otherwise pin "waiting now" until that time.
  const future = new Date(Date.parse(T) + 3_600_000).toISOString();
  const body = { group: { queueId: Q, mediaType: "voice" }, data: [{ interval: `${future}/${future}`, metrics: [{ metric: "oWaiting", stats: { count: 1 } }] }] };
  assert.equal(parseObservation(Q, body).updates.length, 1);
  assert.equal(parseObservation(Q, body, { now: Date.parse(T) }).updates.length, 0);
});

test("the merger keeps each metric's last reading per queue and media, and yields full observations once all are known", () => {
  const m = new ObservationMerger();
  const at = Date.parse(T);
  assert.equal(m.merge({ queueId: Q, mediaType: "voice", at, alerting: 0, waiting: 3 }), null, "interacting never read yet");
  assert.deepEqual(m.merge({ queueId: Q, mediaType: "voice", at: at + 1000, interacting: 2 }), { waiting: 3, alerting: 0, interacting: 2, at: at + 1000 });
  assert.deepEqual(m.merge({ queueId: Q, mediaType: "voice", at: at + 2000, waiting: 1 }), { waiting: 1, alerting: 0, interacting: 2, at: at + 2000 });
  // An older message does not overwrite newer readings.
  assert.equal(m.merge({ queueId: Q, mediaType: "voice", at: at + 500, waiting: 7 }), null);
  assert.equal(m.merge({ queueId: Q, mediaType: "chat", at, waiting: 7 }), null, "series are separate");
});

/** Random JSON-ish values, including the awkward ones. */
function junk(rng: () => number, depth = 0): unknown {
  const pick = Math.floor(rng() * 14);
  switch (pick) {
    case 0: return null;
    case 1: return undefined;
    case 2: return rng() < 0.5;
    case 3: return Math.floor(rng() * 10);
    case 4: return [1e308, -1e308, Number.MAX_SAFE_INTEGER, -0, 0.5, -3][Math.floor(rng() * 6)];
    case 5: return ["", "voice", "oWaiting", "nOffered", "tAnswered", "x/y", `${T}/${T}`, "2024-12-30T09:30:00.000Z/2024-12-30T10:00:00.000Z", "+275760-09-13T00:00:00.000Z/+275760-09-13T00:00:00.000Z", "__proto__", "constructor"][Math.floor(rng() * 11)];
    case 6: case 7: return depth > 3 ? null : Array.from({ length: Math.floor(rng() * 4) }, () => junk(rng, depth + 1));
    default: {
      if (depth > 3) return {};
      const o: Record<string, unknown> = {};
      const keys = ["group", "data", "interval", "metrics", "metric", "qualifier", "stats", "count", "sum", "queueId", "mediaType", "numerator", "denominator", "target", "__proto__", "toString"];
      for (let i = Math.floor(rng() * 5); i > 0; i--) o[keys[Math.floor(rng() * keys.length)]] = junk(rng, depth + 1);
      return o;
    }
  }
}

function wellFormed(u: ObservationUpdate): boolean {
  const counts = (["waiting", "interacting", "alerting"] as const).filter((k) => k in u);
  return typeof u.queueId === "string" && typeof u.mediaType === "string" && Number.isFinite(u.at) && counts.length > 0 && counts.every((k) => Number.isSafeInteger(u[k]) && u[k]! >= 0);
}

test("total on 20,000 random bodies: never throws, returns only well-formed updates and aggregates", () => {
  const rng = mulberry32(7);
  const began = Date.now();
  for (let i = 0; i < 20_000 && Date.now() - began < 10_000; i++) {
    const body = rng() < 0.5 ? junk(rng) : { group: junk(rng), data: junk(rng) };
    const r = parseObservation(rng() < 0.5 ? Q : (junk(rng) as string), body, rng() < 0.5 ? { now: Date.parse(T) } : undefined);
    assert.ok(Array.isArray(r.updates) && Array.isArray(r.aggregates));
    for (const u of r.updates) assert.ok(wellFormed(u), JSON.stringify(u));
    for (const a of r.aggregates) assert.ok(typeof a.queueId === "string" && typeof a.mediaType === "string" && a.start < a.end, JSON.stringify(a));
    observationsFrom(Q, body);
  }
});
