/**
 * Arrivals: each queue's callers as a non-homogeneous Poisson process (the base rate, times the
 * hour-of-day profile, times any surge running, which can ramp in and out smoothly so arrivals
 * change within the hour), media drawn by the queue's shares, and the new conversation with its
 * customer handed to the call flow.
 */
import { exponential, uuid } from "../../util/random.js";
import type { CallFlow, SimCore } from "./core.js";
import type { QueueSpec, SimMediaType, SurgeSpec } from "./scenario.js";
import type { QueueRuntime, SimConversation } from "./types.js";

export class Traffic {
  constructor(
    private readonly core: SimCore,
    private readonly flow: CallFlow,
  ) {}

  /** Arrivals per ms at `t`. */
  rate(rt: QueueRuntime, t: number): number {
    const spec = rt.q.spec;
    let r = spec.arrivalsPerHour / 3_600_000;
    if (spec.hourlyProfile) r *= spec.hourlyProfile[new Date(t).getUTCHours()];
    let minute = (t - this.core.options.start) / 60_000;
    const cycle = this.core.scenario.cycleMinutes;
    if (cycle !== undefined) minute %= cycle;
    for (const s of rt.surges) r *= surgeFactor(s, minute);
    return r;
  }

  /** Non-homogeneous Poisson arrivals by thinning against the queue's maximum rate. */
  scheduleArrival(rt: QueueRuntime, from: number): void {
    if (rt.maxRate <= 0 || rt.removed) return;
    const rng = this.core.traffic;
    let t = from;
    for (;;) {
      t += exponential(rng, 1 / rt.maxRate);
      if (t >= this.core.arrivalsEnd) return;
      if (rng() * rt.maxRate <= this.rate(rt, t)) break;
    }
    this.core.clock.at(Math.round(t), () => {
      if (rt.removed) return;
      this.arrive(rt);
      this.scheduleArrival(rt, this.core.clock.now);
    });
  }

  private pickMedia(spec: QueueSpec): SimMediaType {
    const entries = Object.entries(spec.media) as [SimMediaType, number][];
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let u = this.core.traffic() * total;
    for (const [m, w] of entries) {
      u -= w;
      if (u <= 0) return m;
    }
    return entries[entries.length - 1][0];
  }

  private arrive(rt: QueueRuntime): void {
    const { ids, records } = this.core;
    const t = this.core.clock.now;
    const mediaType = this.pickMedia(rt.q.spec);
    const conv: SimConversation = {
      id: uuid(ids),
      mediaType,
      start: t,
      ani: `tel:+1555${String(Math.floor(ids() * 1e7)).padStart(7, "0")}`,
      participants: [],
      versions: [],
    };
    const customer = records.participant(conv, "customer", `Caller ${conv.ani.slice(-4)}`);
    const cs = records.session(customer, t);
    cs.connectedTime = t;
    cs.state = "connected";
    records.conversations.set(conv.id, conv);
    this.flow.begin(conv, rt);
  }
}

/** A surge's factor at `minute` (of the cycle): 1 outside it, `factor` inside, linear along its ramps. */
export function surgeFactor(s: SurgeSpec, minute: number): number {
  const end = s.startMinute + s.durationMinutes;
  if (minute < s.startMinute || minute >= end) return 1;
  const ramp = Math.min(s.rampMinutes, s.durationMinutes / 2);
  if (ramp > 0) {
    const edge = Math.min(minute - s.startMinute, end - minute);
    if (edge < ramp) return 1 + ((s.factor - 1) * edge) / ramp;
  }
  return s.factor;
}
