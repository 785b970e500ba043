/**
 * The outlook: staffing merged figure by figure, predictions made at live offers from what the
 * engine counts (callers ahead, the head of the line, the last answered wait), scored when the
 * visit ends, filled into snapshots, and carried through its JSON state.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { predictionSchema } from "../../../src/predict/config.js";
import { Outlook } from "../../../src/predict/outlook.js";
import type { QueueEvent } from "../../../src/domain/queue-event.js";
import type { Predictions } from "../../../src/predict/predictors.js";
import { engineAt, ev, Q, T } from "../../helpers/engine-fixture.js";

const AT = "2026-03-02T10:00:00Z";

function setup(prediction: Record<string, unknown> = {}) {
  const { clock, engine } = engineAt(AT);
  const outlook = new Outlook(engine, predictionSchema.parse(prediction), () => clock.now());
  const made: { e: QueueEvent; p: Predictions }[] = [];
  outlook.onPredicted = (e, p) => made.push({ e, p });
  /** What the pipeline does with a counted event: the engine files it, then the observers see it. */
  const count = (e: QueueEvent) => {
    engine.apply(e);
    outlook.counted(e);
  };
  return { clock, engine, outlook, made, count };
}

/** Three agents, all busy; `visits` callers one every `everyMs`, each answered after 30 s, ending before now. */
function busyHistory(visits: number, everyMs: number) {
  const set = setup();
  const t0 = T(AT);
  set.outlook.staffing({ queueId: Q, at: t0 - 1000, members: 3, onQueue: 3, idle: 0, interacting: 3, communicating: 0, notResponding: 0, offQueue: 0 });
  for (let i = 0; i < visits; i++) {
    const at = t0 - (visits + 0.5) * everyMs + i * everyMs;
    set.clock.set(at);
    set.count(ev("offered", at, undefined, `v${i}`));
    set.clock.set(at + 30_000);
    set.count(ev("answered", at + 30_000, 30_000, `v${i}`));
  }
  set.clock.set(t0);
  return set;
}

test("staffing: merged figure by figure, busy = interacting + communicating, unknown as null, stale updates refused", () => {
  const { outlook } = setup();
  assert.deepEqual(outlook.agents(Q), { members: null, onQueue: null, idle: null, interacting: null, notResponding: null, offQueue: null });
  outlook.staffing({ queueId: Q, at: T(AT), members: 10, onQueue: 6, offQueue: 1, idle: 2, interacting: 3, communicating: 1, notResponding: 0 });
  assert.deepEqual(outlook.agents(Q), { members: 10, onQueue: 6, idle: 2, interacting: 4, notResponding: 0, offQueue: 1 });
  // A message with only the statuses that changed leaves the totals as they were.
  outlook.staffing({ queueId: Q, at: T(AT) + 1000, idle: 0, interacting: 5 });
  assert.deepEqual(outlook.agents(Q), { members: 10, onQueue: 6, idle: 0, interacting: 6, notResponding: 0, offQueue: 1 });
  outlook.staffing({ queueId: Q, at: T(AT) - 1000, idle: 6 });
  assert.equal(outlook.agents(Q).idle, 0, "an older reading does not overwrite a newer one");
  assert.equal(outlook.counters.staleStaffing, 1);
  outlook.forget(Q);
  assert.equal(outlook.agents(Q).members, null);
});

test("a live offer is predicted from the callers ahead, the head of the line and the last answered wait; scored when it ends", () => {
  const { clock, outlook, made, count } = setup();
  const t0 = T(AT);
  outlook.staffing({ queueId: Q, at: t0 - 600_000, members: 4, onQueue: 2, idle: 0, interacting: 2, communicating: 0, notResponding: 0, offQueue: 0 });
  outlook.observed(Q, "voice", t0 - 600_000, 2);
  // History: callers answered after 45 s (the last one reached an agent at t0 - 90 s).
  for (let i = 0; i < 6; i++) {
    const at = t0 - 540_000 + i * 60_000;
    count(ev("offered", at - 45_000, undefined, `h${i}`));
    count(ev("answered", at, 45_000, `h${i}`));
  }
  // Two callers wait now: since t0 - 60 s and t0 - 30 s.
  count(ev("offered", t0 - 60_000, undefined, "w1"));
  count(ev("offered", t0 - 30_000, undefined, "w2"));
  made.length = 0;
  count(ev("offered", t0, undefined, "new1"));
  count(ev("offered", t0, undefined, "new2"));
  const [a, b] = made.map((m) => m.p);
  assert.equal(a.HOL, 60, "HOL: the longest current wait");
  assert.equal(a.LES, 45, "LES: the wait of the last caller who reached an agent");
  assert.ok(a.QL! > 0 && a.QLm! > 0, JSON.stringify(a));
  // Same agents, same rates, one more caller ahead: QL = (n + 1) / (s mu) grows as 4 / 3.
  assert.ok(Math.abs(b.QL! / a.QL! - 4 / 3) < 1e-9, `QL ${a.QL} then ${b.QL}`);
  assert.ok(a.QLm! <= a.QL! + 1e-9, "QLm never exceeds QL");

  // new1 is answered after 50 s: LES predicted 45, an error of -5 s.
  clock.set(t0 + 50_000);
  count(ev("answered", t0 + 50_000, 50_000, "new1"));
  const scores = outlook.predictors(Q, "voice")!.callersAhead;
  assert.equal(scores.LES.samples, 1);
  assert.equal(scores.LES.bias, -5);
  // new2 abandons after 20 s: a lower bound; LES (45) was above it, so no error.
  clock.set(t0 + 20_000 + 1);
  count(ev("abandoned", t0 + 20_000, 20_000, "new2"));
  const after = outlook.predictors(Q, "voice")!.callersAhead.LES;
  assert.deepEqual([after.samples, after.censored, after.bias], [2, 1, -2.5]);
});

test("everyone is answered at once while more agents are idle than callers wait; backfilled offers are not predicted", () => {
  const { outlook, made, count } = setup();
  const t0 = T(AT);
  outlook.staffing({ queueId: Q, at: t0 - 1000, members: 5, onQueue: 5, idle: 3, interacting: 2, communicating: 0, notResponding: 0, offQueue: 0 });
  count(ev("offered", t0, undefined, "x"));
  assert.deepEqual(made[0].p, { QL: 0, QLm: 0, HOL: 0, HOLr: 0, LES: 0 });
  count(ev("offered", t0 - 10 * 60_000, undefined, "late"));
  assert.equal(made.length, 1);
  assert.equal(outlook.counters.notLive, 1);
});

test("snapshots get agents, the served prediction and forecasts; the state round-trips through JSON; garbage is counted, not thrown", () => {
  const { clock, engine, outlook } = busyHistory(30, 40_000);
  const [s] = outlook.enrich(engine.snapshot());
  assert.equal(s.now.agents.onQueue, 3);
  assert.ok(s.predicted.predictor !== null && s.predicted.samples >= 20, JSON.stringify(s.predicted));
  assert.ok(s.predicted.rrmse !== null, "scored over the last hour");
  assert.deepEqual(Object.keys(s.forecast).sort(), ["answeredWaitP90In15m", "intervalServiceLevel"]);

  const restored = new Outlook(engine, predictionSchema.parse({}), () => clock.now());
  restored.restore(JSON.parse(JSON.stringify(outlook.toState())));
  const [r] = restored.enrich(engine.snapshot());
  assert.deepEqual(r.now.agents, s.now.agents);
  assert.deepEqual(r.predicted, s.predicted);
  assert.equal(restored.counters.unreadableState, 0);

  const broken = new Outlook(engine, predictionSchema.parse({}), () => clock.now());
  broken.restore({ version: 1, series: [["q", "voice", { nope: 1 }, {}], 7], busy: [[1, 2]], staffing: [null, { queueId: Q, at: "x" }] });
  assert.equal(broken.counters.unreadableState, 5);
  broken.restore("not state");
  assert.equal(broken.counters.unreadableState, 6);
  assert.equal(broken.enrich(engine.snapshot())[0].now.agents.members, null);
});

test("the line is the queue: a caller waits behind the queue's callers of every media type; line: mediaType keeps them apart", () => {
  const ql: Record<string, number> = {};
  for (const line of ["queue", "mediaType"] as const) {
    const { clock, outlook, made, count } = setup({ line });
    const t0 = T(AT);
    outlook.staffing({ queueId: Q, at: t0 - 600_000, members: 4, onQueue: 2, idle: 0, interacting: 2, communicating: 0, notResponding: 0, offQueue: 0 });
    outlook.observed(Q, "voice", t0 - 600_000, 1);
    outlook.observed(Q, "chat", t0 - 600_000, 1);
    // History in both media: 60 s waits; chat's last answer is the latest.
    for (let i = 0; i < 4; i++) {
      const at = t0 - 480_000 + i * 60_000;
      count(ev("offered", at - 60_000, undefined, `v${i}`, "voice"));
      count(ev("answered", at, 60_000, `v${i}`, "voice"));
      count(ev("offered", at - 50_000, undefined, `c${i}`, "chat"));
      count(ev("answered", at + 10_000, 60_000, `c${i}`, "chat"));
    }
    // A chat caller has waited 90 s, a voice caller 20 s.
    count(ev("offered", t0 - 90_000, undefined, "chat-waiting", "chat"));
    count(ev("offered", t0 - 20_000, undefined, "voice-waiting", "voice"));
    clock.set(t0);
    made.length = 0;
    count(ev("offered", t0, undefined, "new", "voice"));
    const p = made[0].p;
    ql[line] = p.QL!;
    assert.equal(p.HOL, line === "queue" ? 90 : 20, line === "queue" ? "the head of the line is the chat caller" : "voice's own line");
    // Scored on the line's board: the new caller is answered after 40 s.
    clock.set(t0 + 40_000);
    count(ev("answered", t0 + 40_000, 40_000, "new", "voice"));
    const voice = outlook.predictors(Q, "voice")!.callersAhead.HOL;
    const chat = outlook.predictors(Q, "chat")!.callersAhead.HOL;
    assert.equal(voice.samples, 1);
    assert.equal(chat.samples, line === "queue" ? 1 : 0, `${line}: one pair of scoreboards per line`);
  }
  // Per media type: 1 ahead, 2 agents x a share of 1/2, voice's answers: QL = 2 / (1 x mu). For the
  // queue: 2 ahead, both agents, both media's answers at the same rate each: 3 / (2 x mu) = 3/4 of it
  // (within 3 %: the two media's windows began 10 s apart).
  assert.ok(Math.abs(ql.queue / ql.mediaType - 0.75) < 0.03, JSON.stringify(ql));
});

test("state of version 1 (scoreboards per queue x media) is read: each line takes its first series' scoreboards", () => {
  const { clock, engine, outlook } = busyHistory(12, 60_000);
  const now = outlook.toState();
  const v1 = { version: 1, staffing: now.staffing, busy: now.busy, series: now.series.map(([q, m, est]) => [q, m, est, now.lines[0][1]]) };
  const restored = new Outlook(engine, predictionSchema.parse({}), () => clock.now());
  restored.restore(JSON.parse(JSON.stringify(v1)));
  assert.equal(restored.counters.unreadableState, 0);
  assert.deepEqual(restored.predictors(Q, "voice"), outlook.predictors(Q, "voice"));
  assert.deepEqual(restored.toState(), now);
});
