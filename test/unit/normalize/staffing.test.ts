/**
 * Staffing from queue-level observation groups (no mediaType): the published query responses'
 * own numbers are the oracle (members = the routing statuses' sum), a missing metric stays
 * unknown, the per-media frames captured from the topic give no staffing, and the parser is
 * total on anything.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { parseStaffing, staffingFromRows, StaffingMerger, STAFFING_FIELDS, type StaffingUpdate } from "../../../src/normalize/staffing.js";
import { parseObservation } from "../../../src/normalize/observation.js";
import { mulberry32 } from "../../../src/util/random.js";

const dir = join(fileURLToPath(import.meta.url), "../../../../../test/fixtures");
const load = (f: string): any => JSON.parse(readFileSync(join(dir, f), "utf8"));
const Q = "0000000a-0000-4000-8000-00000000000a";
const T = "2024-12-30T09:46:54.839Z";
/** A queue-level group as the topic sends it: the query's rows inside one instant data entry. */
const topicFrame = (rows: unknown[], at = T) => ({ group: { queueId: Q }, data: [{ interval: `${at}/${at}`, metrics: rows }] });
const queueGroup = (f: string) => load(f).results.find((r: any) => r.group.mediaType === undefined);

test("Splunk's sample: members 23 = IDLE 4 + OFF_QUEUE 19, so the statuses it leaves out are 0", () => {
  const g = queueGroup("built-queue-observations-query-splunk.json");
  const { counts, dropped } = staffingFromRows(g.data, "complete");
  assert.equal(dropped, 0);
  assert.deepEqual(counts, { members: 23, active: 23, onQueue: 4, idle: 4, interacting: 0, communicating: 0, notResponding: 0, offQueueStatus: 19 });
  // The oracle of the complete reading: the statuses add up to the members.
  const statuses = counts!.idle! + counts!.interacting! + counts!.communicating! + counts!.notResponding! + counts!.offQueueStatus!;
  assert.equal(statuses, counts!.members);
  // onQueue came from the only oOnQueueUsers row (qualifier IDLE): it equals the IDLE status.
  assert.equal(counts!.onQueue, counts!.idle);
  assert.equal("offQueue" in counts!, false, "oOffQueueUsers was not in the sample: unknown, not 0");
});

test("the tutorial's sample: INTERACTING 2, IDLE 1, OFF_QUEUE 3 and no member totals", () => {
  const g = queueGroup("built-queue-observations-query-tutorial.json");
  const { counts } = staffingFromRows(g.data, "complete");
  assert.deepEqual(counts, { idle: 1, interacting: 2, communicating: 0, notResponding: 0, offQueueStatus: 3 });
  const merged = new StaffingMerger().merge({ queueId: Q, at: 1, ...counts });
  assert.equal(merged!.members, null);
  assert.equal(merged!.onQueue, null);
});

test("topic frames: the queue-level group gives staffing; the captured per-media frames give none", () => {
  const rows = queueGroup("built-queue-observations-query-splunk.json").data;
  const r = parseStaffing(Q, topicFrame(rows));
  assert.equal(r.dropped, 0);
  assert.deepEqual(r.updates, [{ queueId: Q, at: Date.parse(T), members: 23, active: 23, onQueue: 4, idle: 4, interacting: 0, communicating: 0, notResponding: 0, offQueueStatus: 19 }]);
  // parseObservation still reads nothing per media from it (its contract is unchanged).
  assert.deepEqual(parseObservation(Q, topicFrame(rows)), { updates: [], aggregates: [] });
  const captured = load("built-notification-queue-observations.json");
  for (const k of ["instant", "aggregate"]) assert.deepEqual(parseStaffing(Q, captured[k].eventBody), { updates: [], dropped: 0 }, k);
  // An aggregate bucket of a queue-level group is not staffing.
  const bucket = { group: { queueId: Q }, data: [{ interval: "2024-12-30T09:30:00.000Z/2024-12-30T10:00:00.000Z", metrics: rows }] };
  assert.deepEqual(parseStaffing(Q, bucket).updates, []);
});

test("a message with some metrics sets only those; the merger keeps the rest and refuses older ones", () => {
  const m = new StaffingMerger();
  const t0 = Date.parse(T);
  const first = parseStaffing(Q, topicFrame([{ metric: "oOnQueueUsers", stats: { count: 7 } }], T)).updates[0];
  assert.deepEqual(first, { queueId: Q, at: t0, onQueue: 7 });
  const a = m.merge(first)!;
  assert.equal(a.onQueue, 7);
  for (const f of STAFFING_FIELDS) if (f !== "onQueue") assert.equal(a[f], null, f);
  const later = new Date(t0 + 1000).toISOString();
  const statuses = parseStaffing(Q, topicFrame([{ metric: "oUserRoutingStatuses", qualifier: "INTERACTING", stats: { count: 5 } }, { metric: "oUserRoutingStatuses", qualifier: "COMMUNICATING", stats: { count: 1 } }], later)).updates[0];
  const b = m.merge(statuses)!;
  assert.deepEqual([b.onQueue, b.idle, b.interacting, b.communicating, b.notResponding, b.offQueueStatus, b.members], [7, 0, 5, 1, 0, 0, null]);
  assert.equal(m.merge({ queueId: Q, at: t0 - 1, onQueue: 1 }), null);
  assert.equal(m.stale, 1);
  assert.equal(m.get(Q)!.onQueue, 7);
  m.forget(Q);
  assert.equal(m.get(Q), null);
});

test("breakdown 'partial': unlisted statuses keep their last value instead of becoming 0", () => {
  const m = new StaffingMerger();
  const at = Date.parse(T);
  const rows = (q: string, n: number) => [{ metric: "oUserRoutingStatuses", qualifier: q, stats: { count: n } }];
  m.merge(parseStaffing(Q, topicFrame(rows("IDLE", 3), T), { breakdown: "partial" }).updates[0]);
  const next = parseStaffing(Q, topicFrame(rows("INTERACTING", 2), new Date(at + 1000).toISOString()), { breakdown: "partial" }).updates[0];
  assert.deepEqual(next, { queueId: Q, at: at + 1000, interacting: 2 });
  const s = m.merge(next)!;
  assert.deepEqual([s.idle, s.interacting, s.communicating], [3, 2, null]);
  // The complete reading of the same frame sets the others to 0.
  assert.equal(parseStaffing(Q, topicFrame(rows("INTERACTING", 2))).updates[0].idle, 0);
});

test("bad rows are dropped and counted; a missing count is never read as 0", () => {
  const r = parseStaffing(Q, topicFrame([null, { metric: "oMemberUsers", stats: { count: -1 } }, { metric: "oMemberUsers" }, { metric: "oUserRoutingStatuses", qualifier: "ON_BREAK", stats: { count: 2 } }, { metric: "oActiveUsers", stats: { count: 9 } }, { metric: "oUserPresences", qualifier: "x", stats: { count: 1 } }]));
  assert.deepEqual(r.updates, [{ queueId: Q, at: Date.parse(T), active: 9 }]);
  assert.equal(r.dropped, 4);
  assert.deepEqual(parseStaffing(Q, { group: { queueId: Q }, data: [{ interval: "nope", metrics: [] }] }), { updates: [], dropped: 1 });
});

function wellFormed(u: StaffingUpdate): boolean {
  const set = STAFFING_FIELDS.filter((f) => u[f] !== undefined);
  return typeof u.queueId === "string" && Number.isFinite(u.at) && set.length > 0 && set.every((f) => Number.isSafeInteger(u[f]) && u[f]! >= 0);
}

function junk(rng: () => number, depth = 0): unknown {
  const r = rng();
  if (depth > 3 || r < 0.15) return [null, undefined, -1, 1.5, "x", T, `${T}/${T}`, true, 3, 1e300][Math.floor(rng() * 10)];
  if (r < 0.4) return Array.from({ length: Math.floor(rng() * 4) }, () => junk(rng, depth + 1));
  const keys = ["group", "queueId", "mediaType", "data", "interval", "metrics", "metric", "qualifier", "stats", "count"];
  const metricNames = ["oMemberUsers", "oOnQueueUsers", "oUserRoutingStatuses", "IDLE", "OFF_QUEUE"];
  const o: Record<string, unknown> = {};
  for (let i = 0; i < 3; i++) {
    const k = keys[Math.floor(rng() * keys.length)];
    o[k] = rng() < 0.3 ? metricNames[Math.floor(rng() * metricNames.length)] : junk(rng, depth + 1);
  }
  return o;
}

test("total on 20,000 random bodies: never throws, only well-formed updates", () => {
  const rng = mulberry32(11);
  const began = Date.now();
  let updates = 0;
  for (let i = 0; i < 20_000 && Date.now() - began < 10_000; i++) {
    const pick = <X>(xs: X[]) => xs[Math.floor(rng() * xs.length)];
    const row = () => (rng() < 0.3 ? junk(rng) : { metric: pick(["oMemberUsers", "oOnQueueUsers", "oUserRoutingStatuses", "oWaiting"]), qualifier: pick([undefined, "IDLE", "OFF_QUEUE", junk(rng)]), stats: { count: pick([0, 3, -1, 1.5, "2", junk(rng)]) } });
    const metrics = rng() < 0.3 ? junk(rng) : Array.from({ length: 4 }, row);
    const body = rng() < 0.3 ? junk(rng) : { group: rng() < 0.5 ? { queueId: Q } : junk(rng), data: [{ interval: rng() < 0.8 ? `${T}/${T}` : junk(rng), metrics }] };
    const r = parseStaffing(rng() < 0.5 ? Q : junk(rng), body);
    assert.ok(Array.isArray(r.updates) && Number.isSafeInteger(r.dropped) && r.dropped >= 0);
    for (const u of r.updates) assert.ok(wellFormed(u), JSON.stringify(u));
    updates += r.updates.length;
  }
  assert.ok(updates > 0, "the generator reaches readable rows too");
});
