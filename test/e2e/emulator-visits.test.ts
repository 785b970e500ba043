/**
 * `GET /emulator/ground-truth?visits=1` over loopback HTTP, on the staffing scenario: the visits
 * equal the ground truth's counts per queue x media x kind (and its waits), mid-run and settled;
 * the answer without the parameter is unchanged; a seed gives the same visits every run; the
 * window bounds the list and counts what it dropped.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestEmulator, waitUntil } from "../helpers/emulator.js";

const START = Date.parse("2026-03-02T10:00:00Z");
const MIN = 60_000;

const truth = async (url: string, query = "?visits=1"): Promise<any> => (await fetch(`${url}/emulator/ground-truth${query}`)).json();

/** Visits per queue x media: how many, how many of each kind, how many open, and the waits of each kind. */
function tally(visits: any[]) {
  const out = new Map<string, { offered: number; answered: number; abandoned: number; flowout: number; open: number; waits: Record<string, number[]> }>();
  for (const v of visits) {
    const key = `${v.queueId}/${v.mediaType}`;
    let g = out.get(key);
    if (!g) out.set(key, (g = { offered: 0, answered: 0, abandoned: 0, flowout: 0, open: 0, waits: { answered: [], abandoned: [] } }));
    g.offered++;
    if (v.kind === undefined) {
      assert.equal(v.endedAt, undefined);
      assert.equal(v.waitMs, undefined);
      g.open++;
      continue;
    }
    g[v.kind as "answered" | "abandoned" | "flowout"]++;
    assert.equal(Date.parse(v.endedAt) - Date.parse(v.offeredAt), v.waitMs, "a visit's wait is its time in the queue");
    g.waits[v.kind]?.push(v.waitMs);
  }
  return out;
}

function assertVisitsMatchTotals(t: any): number {
  const got = tally(t.visits);
  let open = 0;
  for (const g of t.queues) {
    const v = got.get(`${g.queueId}/${g.mediaType}`);
    assert.ok(v, `visits of ${g.queueId}/${g.mediaType}`);
    for (const kind of ["offered", "answered", "abandoned", "flowout"] as const) assert.equal(v[kind], g.counts[kind], `${g.queueId}/${g.mediaType} ${kind}`);
    assert.equal(v.open, g.counts.offered - g.counts.answered - g.counts.abandoned - g.counts.flowout);
    for (const kind of ["answered", "abandoned"]) assert.deepEqual([...v.waits[kind]].sort((a, b) => a - b), [...g.waitsMs[kind]].sort((a: number, b: number) => a - b), `${kind} waits`);
    open += v.open;
  }
  assert.equal(got.size, t.queues.length, "no visits of a queue x media the totals do not have");
  const now = Date.parse(t.now);
  assert.ok(t.visits.every((v: any) => Date.parse(v.offeredAt) <= now && (v.endedAt === undefined || Date.parse(v.endedAt) <= now)));
  return open;
}

test("visits equal the ground truth totals per queue x media x kind, mid-run and settled; without ?visits=1 the answer is as before", async (t) => {
  const emu = await startTestEmulator({ scenarioName: "staffing", seed: 8, speed: 1500, start: START, durationMinutes: 70 });
  t.after(() => emu.stop());
  await waitUntil(() => emu.sim.now > START + 30 * MIN, 20_000, "30 simulated minutes");
  const mid = await truth(emu.url);
  const open = assertVisitsMatchTotals(mid);
  assert.ok(open > 0, "some visits still open mid-run");
  assert.equal(mid.agents.length, 3);
  assert.deepEqual(Object.keys(mid.agents[0]).sort(), ["active", "communicating", "idle", "interacting", "members", "notResponding", "offQueue", "onQueue", "queueId"]);

  await waitUntil(() => emu.sim.settled, 30_000, "settle");
  const done = await truth(emu.url);
  assert.equal(done.settled, true);
  assert.equal(assertVisitsMatchTotals(done), 0, "settled: every visit has ended");
  assert.ok(done.visits.length > 200, `${done.visits.length} visits`);
  assert.deepEqual(new Set(done.visits.map((v: any) => v.kind)), new Set(["answered", "abandoned"]), "no flow-outs configured in this scenario");
  assert.equal(done.visitsDropped, 0);
  assert.equal(done.visitWindowHours, 24);

  const plain = await truth(emu.url, "");
  assert.deepEqual(Object.keys(plain), ["now", "settled", "open", "queues"]);
  assert.deepEqual(plain.queues, done.queues);
  assert.deepEqual(Object.keys(await truth(emu.url, "?visits=0")), ["now", "settled", "open", "queues"]);
  const bad = await fetch(`${emu.url}/emulator/ground-truth?visits=yes`);
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as any).message, /visits must be 1, true, 0 or false, got "yes"/);
});

test("visits: same seed, same visits; another seed, others", async () => {
  const settled = async (seed: number) => {
    const emu = await startTestEmulator({ scenarioName: "staffing", seed, speed: 3000, start: START, durationMinutes: 40 });
    try {
      await waitUntil(() => emu.sim.settled, 30_000, "settle");
      return (await truth(emu.url)).visits;
    } finally {
      await emu.stop();
    }
  };
  const a = await settled(5);
  assert.ok(a.length > 150);
  assert.deepEqual(await settled(5), a);
  assert.notDeepEqual(await settled(6), a);
});

test("the visit window bounds the list: finished visits older than it are dropped and counted; open ones stay", async (t) => {
  const emu = await startTestEmulator({ scenarioName: "staffing", seed: 3, speed: 3000, start: START, durationMinutes: 90, visitWindowHours: 0.25 });
  t.after(() => emu.stop());
  // Minute 33: Support is between shifts, so calls are waiting.
  await waitUntil(() => emu.sim.now > START + 33 * MIN, 20_000, "33 simulated minutes");
  const t1 = await truth(emu.url);
  const now = Date.parse(t1.now);
  const offered = t1.queues.reduce((n: number, g: any) => n + g.counts.offered, 0);
  assert.equal(t1.visitWindowHours, 0.25);
  assert.ok(t1.visitsDropped > 30, `${t1.visitsDropped} dropped`);
  assert.equal(t1.visits.length + t1.visitsDropped, offered, "every visit is either listed or counted as dropped");
  for (const v of t1.visits) assert.ok(v.endedAt === undefined || Date.parse(v.endedAt) >= now - 15 * MIN, `visit ended ${v.endedAt}, window from ${new Date(now - 15 * MIN).toISOString()}`);
  assert.ok(t1.visits.some((v: any) => v.endedAt === undefined), "open visits are kept");
});
