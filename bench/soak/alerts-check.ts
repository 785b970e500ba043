/**
 * Alert transitions against what the emulator's PagerDuty receiver accepted: every trigger and
 * resolve the monitor decided (its "alert transition" log lines) reached PagerDuty once, in order,
 * and no incident got a second trigger. Pure: the caller reads the log and the receiver.
 *
 * A kill -9 between the log line and the transaction that saves the transition loses the
 * decision, and the restarted monitor makes it again: the log then shows the same event twice in
 * a row for one alert. Those repeats are folded (and counted); PagerDuty must see it once.
 * An evaluation whose transaction fails (a full disk) logs its transitions and then "alert task
 * failed" in the same tick: nothing of it was saved or sent, so those lines do not count.
 */
import type { Difference } from "./figures-check.js";

export interface Transition {
  key: string;
  event: "trigger" | "resolve";
  queue?: string;
  mediaType?: string;
  rule?: string;
}

export interface ReceivedEvent {
  event_action: string;
  dedup_key: string;
  receivedAt?: string;
}

export interface Incident {
  dedup_key: string;
  status: string;
  triggers: number;
  createdAt?: string;
}

export interface FinalAlert {
  dedupKey: string;
  state: string;
}

/** An evaluation logs its transitions and its failure within this many ms (one synchronous tick). */
const SAME_TICK_MS = 50;

/** The transitions the monitor saved, and how many it logged but could not save. */
export function loggedTransitions(logText: string): Transition[] & { unsaved?: number } {
  const out: (Transition & { time: number })[] = [];
  let unsaved = 0;
  for (const line of logText.split("\n")) {
    const failed = line.includes('"alert task failed"');
    if (!line.includes('"alert transition"') && !failed) continue;
    try {
      const o = JSON.parse(line) as { msg?: string; time?: number; alert?: string; event?: string; queue?: string; mediaType?: string; rule?: string };
      const time = o.time ?? 0;
      if (o.msg === "alert task failed") {
        while (out.length > 0 && time - out[out.length - 1].time <= SAME_TICK_MS && time >= out[out.length - 1].time) {
          out.pop();
          unsaved++;
        }
        continue;
      }
      if (o.msg !== "alert transition" || !o.alert || (o.event !== "trigger" && o.event !== "resolve")) continue;
      out.push({ key: o.alert, event: o.event, queue: o.queue, mediaType: o.mediaType, rule: o.rule, time });
    } catch {
      // a line cut by a kill -9 mid-write
    }
  }
  return Object.assign(
    out.map(({ time: _t, ...t }) => t),
    { unsaved },
  );
}

/** The transitions with a decision made again after a restart folded into the first. */
export function foldRepeats(ts: Transition[]): { events: Transition[]; folded: number } {
  const last = new Map<string, string>();
  const events: Transition[] = [];
  let folded = 0;
  for (const t of ts) {
    if (last.get(t.key) === t.event) {
      folded++;
      continue;
    }
    last.set(t.key, t.event);
    events.push(t);
  }
  return { events, folded };
}

export interface AlertsCheckResult {
  differences: Difference[];
  transitions: number;
  /** Logged, then not saved (the evaluation's transaction failed): never sent, rightly. */
  unsaved: number;
  folded: number;
  received: number;
  triggers: number;
  resolves: number;
  incidents: number;
}

export function checkAlerts(logged: Transition[] & { unsaved?: number }, received: ReceivedEvent[], incidents: Incident[], final: FinalAlert[]): AlertsCheckResult {
  const differences: Difference[] = [];
  const { events, folded } = foldRepeats(logged);
  const describe = (key: string) => {
    const t = logged.find((x) => x.key === key);
    return t ? { queue: t.queue, media: t.mediaType, field: t.rule } : {};
  };
  const keys = new Set([...events.map((e) => e.key), ...received.map((e) => e.dedup_key)]);
  let perKeyOk = true;
  for (const key of [...keys].sort()) {
    const want = events.filter((e) => e.key === key).map((e) => e.event);
    const got = received.filter((e) => e.dedup_key === key).map((e) => e.event_action);
    if (want.join(",") === got.join(",")) continue;
    perKeyOk = false;
    let i = 0;
    while (i < want.length && want[i] === got[i]) i++;
    const resent = got.filter((e, j) => j > 0 && e === got[j - 1]).length;
    differences.push({ check: "pagerduty-delivery", slice: key, ...describe(key), expected: want, got, detail: `first difference at event ${i + 1}: decided ${want[i] ?? "(nothing)"}, PagerDuty got ${got[i] ?? "(nothing)"}${resent ? `; ${resent} events came again right after themselves (resent)` : ""}` });
  }
  if (perKeyOk) {
    const want = events.map((e) => `${e.key} ${e.event}`);
    const got = received.map((e) => `${e.dedup_key} ${e.event_action}`);
    const i = want.findIndex((w, j) => w !== got[j]);
    if (i >= 0) differences.push({ check: "pagerduty-order", expected: want[i], got: got[i], detail: `events reached PagerDuty in another order than decided, from event ${i + 1}` });
  }
  for (const inc of incidents) {
    if (inc.triggers > 1) differences.push({ check: "pagerduty-incidents", slice: inc.dedup_key, ...describe(inc.dedup_key), field: "triggers", expected: 1, got: inc.triggers, detail: `incident opened ${inc.createdAt ?? "?"} got a second trigger` });
  }
  for (const key of keys) {
    const firing = final.some((a) => a.dedupKey === key && a.state === "firing");
    const open = incidents.some((i) => i.dedup_key === key && i.status === "triggered");
    if (firing !== open) differences.push({ check: "pagerduty-final-state", slice: key, ...describe(key), expected: firing ? "incident open (alert firing)" : "no open incident (alert not firing)", got: open ? "incident open" : "no open incident" });
  }
  const triggers = received.filter((e) => e.event_action === "trigger").length;
  const resolves = received.filter((e) => e.event_action === "resolve").length;
  if (triggers === 0 || resolves === 0) differences.push({ check: "alerts-exercised", expected: "at least one trigger and one resolve", got: { triggers, resolves }, detail: "the alert rules did not fire and clear during the run: PagerDuty delivery went untested" });
  return { differences, transitions: logged.length, unsaved: logged.unsaved ?? 0, folded, received: received.length, triggers, resolves, incidents: incidents.length };
}
