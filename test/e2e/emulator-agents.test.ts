/**
 * Agent figures over loopback HTTP and WebSocket: the ground truth (`?visits=1` agents), the
 * observations topic's queue-level messages and the observations query report the same figures
 * for the same instant, and a shift change, a break and a not-responding agent show in all three.
 * The instant of each answer: the ground truth says it (`now`), a topic message carries it (its
 * interval), and a query answers for some instant between the simulator's time before and after it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { scenarioSchema } from "../../src/emulator/simulator/scenario.js";
import type { AgentFigures } from "../../src/emulator/simulator/simulator.js";
import type { Emulator } from "../../src/emulator/server.js";
import { api, bearer, RecordingSocket, startTestEmulator } from "../helpers/emulator.js";

const START = Date.parse("2026-03-02T10:00:00Z");
const MIN = 60_000;

/** Short shifts so a run of 15 simulated minutes at x60 shows every change at the topic's 1 message/s. */
const scenario = scenarioSchema.parse({
  name: "agents-e2e",
  queues: [
    {
      name: "Desk",
      arrivalsPerHour: 120,
      agents: 2,
      shifts: [
        { name: "Day", agents: 3, startMinute: 0, endMinute: 5 },
        { name: "Eve", agents: 3, startMinute: 8, breakAfterMinutes: 1, breakMinutes: 3, breakStaggerMinutes: 1 },
      ],
      handleSeconds: 50,
      handleCv: 0.5,
      patienceSeconds: 300,
      alertSeconds: 3,
      noAnswerProbability: 0.3,
      notRespondingSeconds: 180,
    },
    { name: "Help", arrivalsPerHour: 30, agents: 2, alsoServes: ["Desk"], handleSeconds: 60, alertSeconds: 2, directCallsPerAgentHour: 6, directCallSeconds: 90 },
  ],
});

/** Each queue's figures at every change, from the simulator itself (the ground truth). */
function recordFigures(emu: Emulator): (queueId: string, t: number, until?: number) => AgentFigures[] {
  const history = new Map<string, { time: number; f: AgentFigures }[]>();
  const add = (id: string) => {
    let h = history.get(id);
    if (!h) history.set(id, (h = []));
    h.push({ time: emu.sim.now, f: emu.sim.agentFigures(id) });
  };
  for (const q of emu.sim.queues) add(q.id);
  emu.sim.listen({ agentsChanged: (ids) => ids.forEach(add) });
  /** The figures the queue went through from `t` to `until` (at `t`: the last change at or before it). */
  return (queueId, t, until = t) => {
    const h = history.get(queueId)!;
    let i = h.length - 1;
    while (i > 0 && h[i].time > t) i--;
    const out = [h[i].f];
    for (let j = i + 1; j < h.length && h[j].time <= until; j++) out.push(h[j].f);
    return out;
  };
}

interface Read {
  members?: number;
  active?: number;
  onQueue?: number;
  offQueue?: number;
  idle?: number;
  interacting?: number;
  communicating?: number;
  notResponding?: number;
  offQueueStatus?: number;
}

/** What a list of queue-level metrics says, reading-agnostic: a qualified metric's missing qualifiers are zero. */
function readAgentMetrics(metrics: any[]): Read {
  const r: Read = {};
  const by = (name: string) => metrics.filter((m) => m.metric === name);
  const one = (name: string) => by(name)[0]?.stats.count;
  const qualified = (name: string, q: string) => by(name).find((m) => m.qualifier === q)?.stats.count ?? 0;
  if (by("oMemberUsers").length) r.members = one("oMemberUsers");
  if (by("oActiveUsers").length) r.active = one("oActiveUsers");
  if (by("oOffQueueUsers").length) r.offQueue = one("oOffQueueUsers");
  const onQueue = by("oOnQueueUsers");
  if (onQueue.length === 1 && onQueue[0].qualifier === undefined) r.onQueue = onQueue[0].stats.count;
  else if (onQueue.length > 0) {
    const [idle, interacting, communicating, notResponding] = ["IDLE", "INTERACTING", "COMMUNICATING", "NOT_RESPONDING"].map((q) => qualified("oOnQueueUsers", q));
    Object.assign(r, { idle, interacting, communicating, notResponding, onQueue: idle + interacting + communicating + notResponding });
  }
  if (by("oUserRoutingStatuses").length) {
    for (const [k, q] of [["idle", "IDLE"], ["interacting", "INTERACTING"], ["communicating", "COMMUNICATING"], ["notResponding", "NOT_RESPONDING"]] as const) {
      const v = qualified("oUserRoutingStatuses", q);
      if (r[k] !== undefined) assert.equal(v, r[k], `oUserRoutingStatuses ${q} agrees with oOnQueueUsers ${q}`);
      r[k] = v;
    }
    r.offQueueStatus = qualified("oUserRoutingStatuses", "OFF_QUEUE");
  }
  return r;
}

/** True if everything `read` says matches `f` (OFF_QUEUE as the queue's reading counts it). */
function agrees(read: Read, f: AgentFigures, offlineAsOffQueue: boolean): boolean {
  const want: Record<string, number> = { ...f, offQueueStatus: f.offQueue + (offlineAsOffQueue ? f.members - f.active : 0) };
  return Object.entries(read).every(([k, v]) => want[k] === v);
}

test("agents: ground truth, observations topic and query agree at each instant; a shift change, breaks and not-responding agents show in all three", async (t) => {
  const emu = await startTestEmulator({ scenario, seed: 4, speed: 60, start: START, durationMinutes: 15 });
  t.after(() => emu.stop());
  const figuresAt = recordFigures(emu);
  const desk = emu.sim.queues.find((q) => q.name === "Desk")!.id;
  const queueIds = emu.sim.queues.map((q) => q.id);
  const tok = await bearer(emu);
  const ch = (await api(emu, tok, "POST", "/api/v2/notifications/channels")).body;
  await api(emu, tok, "PUT", `/api/v2/notifications/channels/${ch.id}/subscriptions`, queueIds.map((id) => ({ id: `v2.analytics.queues.${id}.observations` })));
  const sock = new RecordingSocket(ch.connectUri);
  await sock.opened;
  t.after(() => sock.ws.terminate());

  const seen = { truth: [] as AgentFigures[], query: [] as Read[], topic: [] as Read[] };
  let exactQueries = 0;
  const deadline = Date.now() + 40_000;
  for (let i = 0; i < 600 && emu.sim.now < START + 15 * MIN && Date.now() < deadline; i++) {
    const truth = (await (await fetch(`${emu.url}/emulator/ground-truth?visits=1`)).json()) as any;
    const at = Date.parse(truth.now);
    for (const a of truth.agents) {
      const { queueId, ...f } = a;
      assert.deepEqual(f, figuresAt(queueId, at)[0], `ground truth agents of ${queueId} at ${truth.now}`);
      if (queueId === desk) seen.truth.push(f);
    }
    const before = emu.sim.now;
    const q = await api(emu, tok, "POST", "/api/v2/analytics/queues/observations/query", {
      filter: { type: "or", predicates: queueIds.map((value) => ({ dimension: "queueId", value })) },
      metrics: ["oMemberUsers", "oActiveUsers", "oOnQueueUsers", "oOffQueueUsers", "oUserRoutingStatuses", "oWaiting", "oInteracting", "oAlerting"],
      detailMetrics: ["oWaiting", "oInteracting", "oAlerting"],
    });
    const after = emu.sim.now;
    assert.equal(q.status, 200);
    for (const res of q.body.results) {
      if (res.group.mediaType !== undefined) {
        // Per media: counts, with observations oldest first, none from the future.
        for (const d of res.data) {
          assert.equal(d.observations.length, d.stats.count, `${d.metric} observations`);
          const dates = d.observations.map((o: any) => Date.parse(o.observationDate));
          assert.deepEqual(dates, [...dates].sort((a, b) => a - b));
          assert.ok(dates.every((x: number) => x <= after));
        }
        continue;
      }
      const read = readAgentMetrics(res.data);
      const candidates = figuresAt(res.group.queueId, before, after);
      const reading = emu.agentReading(res.group.queueId);
      assert.ok(candidates.some((f) => agrees(read, f, reading.offlineAsOffQueue)), `query for ${res.group.queueId} between ${before} and ${after}: ${JSON.stringify(read)} vs ${JSON.stringify(candidates)}`);
      if (candidates.length === 1) exactQueries++;
      if (res.group.queueId === desk) seen.query.push(read);
    }
    await new Promise((r) => setTimeout(r, 80));
  }
  assert.ok(emu.sim.now >= START + 15 * MIN, "the run reached 15 simulated minutes");
  assert.ok(exactQueries > 50, `${exactQueries} query answers with one possible state`);

  let messages = 0;
  for (const f of sock.frames) {
    if (!String(f.topicName).endsWith(".observations") || f.eventBody.group.mediaType !== undefined) continue;
    const { queueId } = f.eventBody.group;
    const [from, to] = f.eventBody.data[0].interval.split("/").map(Date.parse);
    assert.equal(from, to, "an instant");
    const read = readAgentMetrics(f.eventBody.data[0].metrics);
    const want = figuresAt(queueId, from)[0];
    assert.ok(agrees(read, want, emu.agentReading(queueId).offlineAsOffQueue), `topic ${queueId} at ${new Date(from).toISOString()}: ${JSON.stringify(read)} vs ${JSON.stringify(want)}`);
    messages++;
    if (queueId === desk) seen.topic.push(read);
  }
  assert.ok(messages > 20, `${messages} queue-level messages`);

  // Desk: 2 own + 3 Day + 2 of Help's at first; Day leaves at minute 5 (after its calls), Eve comes at 8, and goes on breaks from 9.
  for (const [where, reads] of [["truth", seen.truth], ["query", seen.query], ["topic", seen.topic]] as const) {
    const actives = reads.map((r) => r.active).filter((x): x is number => x !== undefined);
    const first7 = actives.indexOf(7);
    const then4 = actives.indexOf(4, first7);
    assert.ok(first7 >= 0 && then4 > first7 && actives.indexOf(7, then4) > then4, `${where}: Desk active 7, then 4 (Day left), then 7 (Eve came): ${actives.join(",")}`);
    assert.ok(reads.some((r) => (r.offQueue ?? 0) >= 1), `${where}: an Eve agent on a break`);
    assert.ok(reads.some((r) => (r.notResponding ?? 0) >= 1), `${where}: a not-responding agent`);
  }
});
