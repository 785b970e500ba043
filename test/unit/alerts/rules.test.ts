/** Pure rule evaluation, figure reading and the `alerts:` config (errors name the rule and field). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultRule, effectiveRules, patternReadingChanges, ruleSchema, type Rule } from "../../../src/alerts/config.js";
import { compileSelector, type QueueRef, type SelectorSpec } from "../../../src/select/queue-selector.js";
import { initialState, step, type AlertState } from "../../../src/alerts/evaluate.js";
import { dedupKey, formatValue, readFigure, selects } from "../../../src/alerts/figures.js";
import type { SeriesSnapshot } from "../../../src/aggregate/series.js";
import { UNKNOWN_AGENTS } from "../../../src/domain/queue-outlook.js";
import { loadConfig } from "../../../src/config/load.js";

const rule = (over: Partial<Rule> = {}): Rule => ({ ...defaultRule, ...over });
const MIN = 60_000;

/** Runs a rule over readings one tick (10 s) apart; returns the states and the events. */
function run(r: Rule, readings: [number | null, number][]) {
  let s: AlertState = initialState(r.name, "q1", "Support", "voice", dedupKey(r.name, "q1", "voice"), 0);
  const states: string[] = [];
  const events: [number, string][] = [];
  readings.forEach(([value, samples], i) => {
    const { next, event } = step(s, r, { value, samples }, i * 10_000, 3_600_000);
    s = next;
    states.push(s.state);
    if (event) events.push([i, event]);
  });
  return { states, events, last: s };
}

test("a breach fires only after the hold-down, once, and resolves only after the clear hold-down", () => {
  const r = rule({ forSeconds: 30, clearForSeconds: 40 });
  const readings: [number, number][] = [
    [30, 20],
    ...Array.from({ length: 6 }, (): [number, number] => [90, 20]), // ticks 1..6 breach
    ...Array.from({ length: 6 }, (): [number, number] => [20, 20]), // ticks 7..12 clear
  ];
  const { states, events } = run(r, readings);
  assert.deepEqual(events, [
    [4, "trigger"], // pending at tick 1, 30 s later
    [11, "resolve"], // clear from tick 7, 40 s later
  ]);
  assert.deepEqual(states.slice(0, 5), ["inactive", "pending", "pending", "pending", "firing"]);
  assert.equal(states[12], "resolved");
});

test("a breach shorter than the hold-down goes back to inactive without an event", () => {
  const { states, events } = run(rule({ forSeconds: 60 }), [[90, 20], [90, 20], [10, 20], [90, 20]]);
  assert.deepEqual(events, []);
  assert.deepEqual(states, ["pending", "pending", "inactive", "pending"]);
});

test("hysteresis: between the clear threshold and the threshold a firing alert stays firing", () => {
  const r = rule({ threshold: 60, clearThreshold: 45, forSeconds: 0, clearForSeconds: 0 });
  const { events, states } = run(r, [[70, 20], [50, 20], [55, 20], [44, 20], [50, 20], [61, 20]]);
  assert.deepEqual(events, [[0, "trigger"], [3, "resolve"], [5, "trigger"]]);
  assert.deepEqual(states, ["firing", "firing", "firing", "resolved", "resolved", "firing"]);
});

test("too few samples never breach; a firing alert whose data vanished clears", () => {
  assert.deepEqual(run(rule({ forSeconds: 0, minSamples: 10 }), [[500, 1], [500, 9]]).events, []);
  const { events } = run(rule({ forSeconds: 0, clearForSeconds: 10, minSamples: 10 }), [[500, 10], [null, 0], [null, 0]]);
  assert.deepEqual(events, [[0, "trigger"], [2, "resolve"]]);
});

test("a clear that does not last the hold-down does not resolve", () => {
  const { events } = run(rule({ forSeconds: 0, clearForSeconds: 30 }), [[90, 20], [10, 20], [10, 20], [90, 20], [10, 20], [10, 20], [10, 20], [10, 20]]);
  assert.deepEqual(events, [[0, "trigger"], [7, "resolve"]]);
});

test("'below' rules (service level) compare the other way", () => {
  const r = rule({ figure: "serviceLevel", window: "interval", comparison: "<", threshold: 0.8, clearThreshold: 0.85, forSeconds: 0, clearForSeconds: 0, minSamples: 5 });
  assert.deepEqual(run(r, [[0.9, 10], [0.7, 10], [0.82, 10], [0.86, 10]]).events, [[1, "trigger"], [3, "resolve"]]);
});

function snapshot(over: Partial<SeriesSnapshot> = {}): SeriesSnapshot {
  const fig = (p90: number | null, answered: number) => ({
    offered: answered + 2,
    answered,
    abandoned: 2,
    shortAbandoned: 0,
    flowout: 0,
    overSla: 1,
    serviceLevel: 0.75,
    asaSeconds: 12,
    abandonRate: 0.2,
    answeredWaitSeconds: { p50: 5, p90, p95: null, p99: null, max: null },
    abandonedWaitSeconds: { p50: null, p90: null, p95: null, p99: null, max: null },
  });
  const iv = { ...fig(33, 4), start: "2026-01-05T09:00:00.000Z", end: "2026-01-05T09:30:00.000Z" };
  return {
    queueId: "q1",
    queueName: "Support",
    mediaType: "voice",
    totals: { offered: 0, answered: 0, abandoned: 0, flowout: 0 },
    now: { waiting: 3, interacting: 0, longestWaitingSeconds: 95, agents: { members: 10, onQueue: 6, idle: 0, interacting: 6, notResponding: 0, offQueue: 4 } },
    windows: { "5m": fig(10, 3), "15m": fig(80, 12) },
    intervals: { current: iv, previous: null, today: iv },
    serviceLevelTarget: { percentage: 0.8, thresholdSeconds: 20 },
    smoothed: { arrivalsPerMinute: null, answeredWaitP90Seconds: null, halfLifeSeconds: 300 },
    dropped: { window: 0, interval: 0, today: 0 },
    predicted: { waitSeconds: 140, predictor: "QLm", rrmse: 0.3, samples: 25 },
    forecast: { intervalServiceLevel: 0.62, answeredWaitP90In15m: 75 },
    ...over,
  } as SeriesSnapshot;
}

test("figures are read from the snapshot with the calls behind them", () => {
  const s = snapshot();
  assert.deepEqual(readFigure(rule(), s), { value: 80, samples: 12 });
  assert.deepEqual(readFigure(rule({ window: "5m" }), s), { value: 10, samples: 3 });
  assert.deepEqual(readFigure(rule({ window: "interval" }), s), { value: 33, samples: 4 });
  assert.deepEqual(readFigure(rule({ window: "60m" }), s), { value: null, samples: 0 });
  assert.deepEqual(readFigure(rule({ figure: "abandonRate" }), s), { value: 0.2, samples: 14 });
  assert.deepEqual(readFigure(rule({ figure: "serviceLevel" }), s), { value: 0.75, samples: 14 });
  assert.equal(readFigure(rule({ figure: "longestWaiting", window: undefined }), s).value, 95);
  assert.equal(readFigure(rule({ figure: "waitingNobodyInteracting", window: undefined }), s).value, 3);
  assert.equal(readFigure(rule({ figure: "waitingNobodyInteracting", window: undefined }), snapshot({ now: { waiting: 3, interacting: 2, longestWaitingSeconds: 1, agents: UNKNOWN_AGENTS } })).value, 0);
  assert.equal(readFigure(rule({ figure: "waitingNobodyInteracting", window: undefined }), snapshot({ now: { waiting: 3, interacting: null, longestWaitingSeconds: 1, agents: UNKNOWN_AGENTS } })).value, null);
});

test("staffing, prediction and forecast figures are read as the snapshot says, unknown as null", () => {
  const s = snapshot();
  const now = (figure: Rule["figure"], over: Partial<SeriesSnapshot> = {}) => readFigure(rule({ figure, window: undefined }), snapshot(over));
  assert.deepEqual(now("agentsOnQueue"), { value: 6, samples: Infinity });
  assert.deepEqual(now("agentsIdle"), { value: 0, samples: Infinity });
  assert.deepEqual(now("waitingNoIdleAgent"), { value: 3, samples: Infinity });
  assert.equal(now("waitingNoIdleAgent", { now: { ...s.now, agents: { ...s.now.agents, idle: 2 } } }).value, 0);
  assert.equal(now("waitingNoIdleAgent", { now: { ...s.now, agents: UNKNOWN_AGENTS } }).value, null);
  assert.equal(now("agentsOnQueue", { now: { ...s.now, agents: UNKNOWN_AGENTS } }).value, null);
  // A predicted wait carries the scored visits behind its predictor, so minSamples guards it like a windowed figure.
  assert.deepEqual(now("predictedWait"), { value: 140, samples: 25 });
  assert.deepEqual(now("forecastIntervalServiceLevel"), { value: 0.62, samples: Infinity });
  assert.deepEqual(now("forecastAnsweredWaitP90"), { value: 75, samples: Infinity });
  assert.equal(formatValue(rule({ figure: "forecastIntervalServiceLevel", window: undefined }), 0.62), "62.0%");
  assert.equal(formatValue(rule({ figure: "agentsIdle", window: undefined }), 2), "2");
  assert.equal(formatValue(rule({ figure: "predictedWait", window: undefined }), 139.6), "140 s");
});

test("selectors: ids, names, patterns (globs), regex, divisions and media, as discovery reads them", () => {
  const s = snapshot();
  const none: SelectorSpec = { ids: [], names: [], patterns: [], regex: [], divisions: [] };
  const sel = (queues: Partial<SelectorSpec>, media: string[] = [], ref?: QueueRef) => selects(rule({ queues: compileSelector({ ...none, ...queues }), media }), s, ref);
  assert.equal(sel({}), true);
  assert.equal(sel({ ids: ["q1"] }), true);
  assert.equal(sel({ ids: ["q2"] }), false);
  assert.equal(sel({ names: ["Support"] }), true);
  assert.equal(sel({ names: ["support"] }), true, "names are case-insensitive, as in queues:");
  assert.equal(sel({ patterns: ["Sup*"] }), true);
  assert.equal(sel({ patterns: ["^Sup"] }), false, "patterns are globs now, not regular expressions");
  assert.equal(sel({ regex: ["^Sup"] }), true);
  assert.equal(sel({ patterns: ["Sales*"] }), false);
  assert.equal(sel({ divisions: ["Finance"] }, [], { id: "q1", name: "Support", divisionId: "d1", divisionName: "finance" }), true);
  assert.equal(sel({ divisions: ["Finance"] }), false, "no division known: not selected by division");
  assert.equal(sel({}, ["voice"]), true);
  assert.equal(sel({}, ["chat"]), false);
});

test("one selector everywhere: an alert rule selects exactly what discovery would (Sales, Presales Support, Billing)", () => {
  const queues = [
    { id: "a", name: "Sales" },
    { id: "b", name: "Presales Support" },
    { id: "c", name: "Billing" },
  ];
  const config = (queuesBlock: string) => load(`queues: ${queuesBlock}\nalerts:\n  rules:\n    - {name: r, figure: waiting, threshold: 1, queues: ${queuesBlock}}\n`);
  for (const block of ["{patterns: ['sales*']}", "{names: ['presales support']}", "{patterns: ['*support']}", "{regex: ['Sales']}"]) {
    const c = config(block);
    const byDiscovery = queues.filter((q) => c.queues.selector.matches(q)).map((q) => q.name);
    const byRule = queues.filter((q) => selects(c.alerts.rules![0], { queueId: q.id, queueName: q.name, mediaType: "voice" })).map((q) => q.name);
    assert.deepEqual(byRule, byDiscovery, block);
  }
  assert.deepEqual(
    queues.filter((q) => config("{patterns: ['sales*']}").queues.selector.matches(q)).map((q) => q.name),
    ["Sales"],
    "an anchored, case-insensitive glob: Sales, not Presales Support",
  );
  assert.deepEqual(queues.filter((q) => config("{names: ['presales support']}").queues.selector.matches(q)).map((q) => q.name), ["Presales Support"]);
});

test("a rule whose patterns would now select other queues is reported with its name and what it selects", () => {
  const queues = [
    { id: "a", name: "Sales" },
    { id: "b", name: "Presales Support" },
  ];
  const r = (patterns: string[]) => rule({ name: "legacy", queues: compileSelector({ ids: [], names: [], patterns, regex: [], divisions: [] }) });
  const lines = patternReadingChanges([r(["Support"])], queues);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /rule "legacy"/);
  assert.match(lines[0], /now select no queue \(read as regular expressions they selected Presales Support/);
  assert.deepEqual(patternReadingChanges([r(["Sales*"])], [{ id: "x", name: "Sales EN" }]), [], "the same either way: nothing to say");
});

test("dedup keys are stable per rule, queue and media and never longer than 255", () => {
  assert.equal(dedupKey("p90", "q1", "Voice"), "queue-monitor/p90/q1/voice");
  assert.ok(dedupKey("r".repeat(100), "q".repeat(300), "voice").length <= 255);
});

const env = { GENESYS_CLIENT_ID: "id", GENESYS_CLIENT_SECRET: "secret", GENESYS_BASE_URL: "http://127.0.0.1:1" };
function load(yaml: string, extraEnv: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "qm-alerts-cfg-"));
  try {
    const file = join(dir, "c.yaml");
    writeFileSync(file, yaml);
    return loadConfig(file, { ...env, ...extraEnv });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("PAGERDUTY_ROUTING_KEY enables the default rule; PAGERDUTY_EVENTS_URL points it elsewhere", () => {
  assert.deepEqual(effectiveRules(load("{}\n").alerts), []);
  const c = load("{}\n", { PAGERDUTY_ROUTING_KEY: "k".repeat(32), PAGERDUTY_EVENTS_URL: "http://127.0.0.1:9/v2/enqueue" });
  assert.equal(c.alerts.pagerduty.eventsUrl, "http://127.0.0.1:9/v2/enqueue");
  assert.deepEqual(effectiveRules(c.alerts), [defaultRule]);
  assert.equal(load("{}\n", { PAGERDUTY_ROUTING_KEY: "k".repeat(32) }).alerts.pagerduty.eventsUrl, "https://events.pagerduty.com/v2/enqueue");
  const plain = (r: Rule) => ({ ...r, queues: r.queues.spec });
  assert.deepEqual(plain(defaultRule), plain(ruleSchema.parse({ ...defaultRule, queues: defaultRule.queues.spec })));
  assert.equal(defaultRule.figure, "answeredWaitP90");
  assert.equal(defaultRule.window, "15m");
  assert.equal(defaultRule.threshold, 60);
});

test("rule errors are rejected at start naming the rule and the field", () => {
  const bad = (rules: string, want: RegExp) => assert.throws(() => load(`alerts:\n  rules:\n${rules}`), want);
  bad("    - {name: slow, figure: answeredWaitP90, window: 15m, threshold: fast}\n", /alerts\.rules\.0\.threshold: rule "slow": threshold: /);
  bad("    - {name: slow, figure: p91, window: 15m, threshold: 1}\n", /rule "slow": figure: /);
  bad("    - {name: slow, figure: answeredWaitP90, threshold: 1}\n", /rule "slow": window: answeredWaitP90 needs a window/);
  bad("    - {name: now, figure: waiting, window: 5m, threshold: 1}\n", /rule "now": window: waiting is a "now" figure/);
  bad("    - {name: hy, figure: answeredWaitP90, window: 15m, threshold: 60, clearThreshold: 70}\n", /rule "hy": clearThreshold: must be on the clear side/);
  bad("    - {name: pat, figure: waiting, threshold: 1, queues: {regex: ['(']}}\n", /rule "pat": queues\.regex\.0: not a valid regular expression/);
  bad("    - {name: a, figure: waiting, threshold: 1}\n    - {name: a, figure: waiting, threshold: 2}\n", /rule "a": name: used by another rule/);
  bad("    - {name: w, figure: asa, window: 7m, threshold: 1}\n", /rule "w": window: 7m is not one of stats.windowsMinutes/);
  bad("    - {name: x, figure: waiting, threshold: 1, colour: red}\n", /rule "x": .*colour/);
  assert.throws(() => load("alerts:\n  pagerduty: {routingKey: short}\n"), /alerts\.pagerduty\.routingKey: a PagerDuty routing \(integration\) key has 32 characters/);
  const ok = load("alerts:\n  rules:\n    - {name: waiting-high, figure: waiting, threshold: 5, forSeconds: 0, queues: {names: [Support]}, media: [voice]}\n");
  assert.equal(ok.alerts.rules?.[0].name, "waiting-high");
  assert.equal(ok.alerts.rules?.[0].minSamples, 10);
  void MIN;
});
