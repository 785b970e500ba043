/**
 * Staffing that changes over the run: shift agents log on and off (one busy at its shift's end
 * finishes the call first), take staggered breaks, stop responding for a while after letting an
 * alert time out (NOT_RESPONDING), and take direct non-ACD calls (COMMUNICATING). All of it runs
 * on the scenario's timeline (minutes from the start, repeated every `cycleMinutes`), with its
 * own random stream, so scenarios without staffing run exactly as before.
 */
import { exponential } from "../../util/random.js";
import { announceAgent, isAvailable } from "./agents.js";
import type { CallFlow, SimCore } from "./core.js";
import type { ShiftSpec } from "./scenario.js";
import type { Agent, QueueRuntime } from "./types.js";

const MINUTE = 60_000;

export class Staffing {
  private readonly cycleMs: number;

  constructor(
    private readonly core: SimCore,
    private readonly flow: CallFlow,
  ) {
    const cycle = core.scenario.cycleMinutes;
    this.cycleMs = cycle === undefined ? Infinity : cycle * MINUTE;
    if (Number.isFinite(this.cycleMs)) this.at(core.options.start + this.cycleMs, () => this.nextCycle(1));
  }

  /**
   * A queue's agents as of now: shift agents logged on if their shift is on, the rest of this
   * cycle's shift events scheduled, direct calls started.
   */
  setup(rt: QueueRuntime): void {
    const now = this.core.clock.now;
    // Without a cycle there is only the first (0 x Infinity would be NaN).
    const k = Number.isFinite(this.cycleMs) ? Math.floor((now - this.core.options.start) / this.cycleMs) : 0;
    const base = this.core.options.start + (k === 0 ? 0 : k * this.cycleMs);
    for (const a of rt.agents) {
      if (a.serves[0] !== rt) continue;
      if (a.shift) {
        const minute = (now - base) / MINUTE;
        a.presence = minute >= a.shift.spec.startMinute && minute < this.endMinute(a.shift.spec) ? "ON_QUEUE" : "OFFLINE";
        this.scheduleShift(a, base, now);
      }
      if (rt.q.spec.directCallsPerAgentHour > 0) this.nextDirectCall(a);
    }
  }

  /**
   * An agent is done with a call or an alert (`timedOut`: the alert timed out on them): off to a
   * break or logged off if that was due, else not responding for a while after a timed-out alert.
   */
  release(agent: Agent, timedOut = false): void {
    agent.busy = false;
    const after = agent.after;
    agent.after = undefined;
    if (after === "offline") this.logOff(agent, false);
    else if (after) this.startBreak(agent, after.breakMs, false);
    else if (timedOut && agent.serves[0].q.spec.notRespondingSeconds > 0) this.stopResponding(agent);
    announceAgent(this.core.records, agent);
  }

  private at(time: number, run: () => void): void {
    this.core.clock.at(time, run, "staffing");
  }

  /** Without a cycle, a shift with no end lasts the whole run; with one, the whole cycle. */
  private endMinute(s: ShiftSpec): number {
    return s.endMinute ?? this.cycleMs / MINUTE;
  }

  private nextCycle(k: number): void {
    const base = this.core.options.start + k * this.cycleMs;
    for (const rt of this.core.queues.runtimes.values()) {
      for (const a of rt.agents) if (a.serves[0] === rt && a.shift) this.scheduleShift(a, base, base - 1);
    }
    this.at(base + this.cycleMs, () => this.nextCycle(k + 1));
  }

  /** The agent's log-on, break and log-off in the cycle starting at `base`, those after `after`. */
  private scheduleShift(a: Agent, base: number, after: number): void {
    const s = a.shift!.spec;
    const end = this.endMinute(s);
    // On the whole cycle: never logs off, so nothing to schedule.
    if (s.startMinute === 0 && end * MINUTE >= this.cycleMs) return;
    const on = base + s.startMinute * MINUTE;
    if (on > after) this.at(on, () => this.logOn(a));
    if (s.breakAfterMinutes !== undefined) {
      const at = on + (s.breakAfterMinutes + a.shift!.index * s.breakStaggerMinutes) * MINUTE;
      if (at > after && at < base + end * MINUTE) this.at(at, () => this.startBreak(a, s.breakMinutes * MINUTE, true));
    }
    if (Number.isFinite(end) && base + end * MINUTE > after) this.at(base + end * MINUTE, () => this.logOff(a, true));
  }

  private logOn(a: Agent): void {
    if (a.after === "offline") a.after = undefined;
    if (a.presence !== "OFFLINE") return;
    a.presence = "ON_QUEUE";
    a.notResponding = false;
    announceAgent(this.core.records, a);
    this.flow.dispatchFor(a);
  }

  /** `announce` false: the caller announces (the agent changed in more than one way). */
  private logOff(a: Agent, announce: boolean): void {
    if (a.busy || a.communicating) {
      a.after = "offline";
      return;
    }
    if (a.presence === "OFFLINE") return;
    a.presence = "OFFLINE";
    a.notResponding = false;
    if (announce) announceAgent(this.core.records, a);
  }

  private startBreak(a: Agent, ms: number, announce: boolean): void {
    if (a.presence !== "ON_QUEUE") return;
    if (a.busy || a.communicating) {
      a.after ??= { breakMs: ms };
      return;
    }
    a.presence = "BREAK";
    a.notResponding = false;
    const spell = ++a.spell;
    if (announce) announceAgent(this.core.records, a);
    this.at(this.core.clock.now + ms, () => {
      if (a.spell !== spell || a.presence !== "BREAK") return;
      a.presence = "ON_QUEUE";
      announceAgent(this.core.records, a);
      this.flow.dispatchFor(a);
    });
  }

  private stopResponding(a: Agent): void {
    a.notResponding = true;
    const spell = ++a.spell;
    const ms = Math.round(a.serves[0].q.spec.notRespondingSeconds * 1000 * (0.5 + this.core.staffRng()));
    this.at(this.core.clock.now + ms, () => {
      if (a.spell !== spell || !a.notResponding) return;
      a.notResponding = false;
      announceAgent(this.core.records, a);
      this.flow.dispatchFor(a);
    });
  }

  /** Direct calls come at the agent's rate and are taken only when the agent is free for them. */
  private nextDirectCall(a: Agent): void {
    const spec = a.serves[0].q.spec;
    this.at(this.core.clock.now + Math.max(1, Math.round(exponential(this.core.staffRng, 3_600_000 / spec.directCallsPerAgentHour))), () => {
      if (isAvailable(a)) {
        a.communicating = true;
        announceAgent(this.core.records, a);
        this.at(this.core.clock.now + Math.max(1, Math.round(exponential(this.core.staffRng, spec.directCallSeconds * 1000))), () => {
          a.communicating = false;
          this.release(a);
          this.flow.dispatchFor(a);
        });
      }
      this.nextDirectCall(a);
    });
  }
}
