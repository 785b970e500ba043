/** What the full alert outbox drops: safe events first, a firing alert's page last. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { OutboxRow } from "../../../src/delivery/outbox.js";
import type { StoredEvent } from "../../../src/alerts/pagerduty.js";
import { shedAlertEvents } from "../../../src/alerts/shed.js";
import { mulberry32 } from "../../../src/util/random.js";

/** "aT" = a trigger of alert a, "aR" its resolve; "?" an unreadable row. Seqs are 1, 2, ... */
function rows(spec: string): OutboxRow<StoredEvent>[] {
  return spec.split(" ").map((s, i): OutboxRow<StoredEvent> => {
    if (s === "?") return { seq: i + 1, at: i, error: "unreadable" };
    const event_action = s[1] === "T" ? "trigger" : "resolve";
    return { seq: i + 1, at: i, item: { at: i, event: { event_action, dedup_key: s[0], ...(event_action === "trigger" ? { payload: { summary: s } as never } : {}) } } };
  });
}
const shed = (spec: string, excess: number) => shedAlertEvents(rows(spec), excess).map((d) => `${spec.split(" ")[d.seq - 1]} ${d.reason}`);

test("a trigger and its resolve go together first, even when one row would do", () => {
  assert.deepEqual(shed("aT bT aR", 1), ["aT superseded", "aR superseded"]);
  assert.deepEqual(shed("aT bT aR bR", 3), ["aT superseded", "aR superseded", "bT superseded", "bR superseded"]);
});

test("a resolve followed by the trigger of the alert firing again is superseded (the incident stays open)", () => {
  assert.deepEqual(shed("aR bT aT", 1), ["aR resolve-superseded"]);
  assert.deepEqual(shed("aR aT aR bT", 1), ["aT superseded", "aR superseded"], "not when a resolve follows: the pair goes, the first resolve stays");
});

test("repeats of one action: the later one goes", () => {
  assert.deepEqual(shedAlertEvents(rows("aT aT"), 1), [{ seq: 2, reason: "superseded" }]);
});

test("then a resolved alert's resolve, and only then the trigger of a firing alert, oldest first", () => {
  assert.deepEqual(shed("bT aR cT", 1), ["aR resolve-dropped"]);
  assert.deepEqual(shed("bT cT dT", 2), ["bT firing-trigger", "cT firing-trigger"]);
  assert.deepEqual(shed("bT aR cT dR aT", 2), ["aR resolve-superseded", "dR resolve-dropped"]);
});

test("unreadable rows are left to the runner (dead-lettered there); fewer than asked when nothing else is left", () => {
  assert.deepEqual(shed("? aT", 1), ["aT firing-trigger"]);
  assert.deepEqual(shed("? ?", 1), []);
  assert.deepEqual(shed("aT", 0), []);
});

test("whatever the sequences: PagerDuty ends as without the drop unless a page or a resolve had to go, and those only last", () => {
  const rnd = mulberry32(7);
  for (let round = 0; round < 500; round++) {
    // Per alert, alternating events as the alerter queues them (starting with either).
    const keys = "abcdefgh".slice(0, 1 + Math.floor(rnd() * 8));
    const next = new Map([...keys].map((k) => [k, rnd() < 0.5 ? "T" : "R"]));
    const spec: string[] = [];
    for (let i = 0, n = 1 + Math.floor(rnd() * 30); i < n; i++) {
      const k = keys[Math.floor(rnd() * keys.length)];
      spec.push(`${k}${next.get(k)}`);
      next.set(k, next.get(k) === "T" ? "R" : "T");
    }
    const excess = Math.floor(rnd() * (spec.length + 2));
    const dropped = shedAlertEvents(rows(spec.join(" ")), excess);
    const gone = new Set(dropped.map((d) => d.seq));
    assert.ok(dropped.length >= Math.min(excess, spec.length) && dropped.length <= Math.min(excess + 1, spec.length), `${spec.join(" ")} excess ${excess}: ${dropped.length}`);
    const rank = { superseded: 0, "resolve-superseded": 1, "resolve-dropped": 2, "firing-trigger": 3 };
    dropped.forEach((d, i) => i > 0 && assert.ok(rank[d.reason] >= rank[dropped[i - 1].reason], "classes in order"));
    for (const k of keys) {
      const mine = spec.map((s, i) => ({ s, seq: i + 1 })).filter((x) => x.s[0] === k);
      if (mine.length === 0) continue;
      const kept = mine.filter((x) => !gone.has(x.seq)).map((x) => x.s[1]);
      const all = mine.map((x) => x.s[1]);
      // PagerDuty before these events: an incident is open if the first is a resolve (its trigger went earlier).
      const before = all[0] === "R" ? "open" : "closed";
      const end = (acts: string[]) => (acts.length === 0 ? before : acts[acts.length - 1] === "T" ? "open" : "closed");
      const lossy = dropped.some((d) => (d.reason === "resolve-dropped" || d.reason === "firing-trigger") && mine.some((x) => x.seq === d.seq));
      if (!lossy) assert.equal(end(kept), end(all), `${spec.join(" ")}: ${k} ends at PagerDuty as it would have`);
      if (kept[0] === "R") assert.equal(before, "open", `${spec.join(" ")}: ${k} never gets a resolve for a trigger that was dropped`);
      for (let i = 1; i < kept.length; i++) assert.notEqual(kept[i], kept[i - 1], `${k}: what is left still alternates`);
    }
  }
});
