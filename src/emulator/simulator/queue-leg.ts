/**
 * A call's stay in one queue (its acd leg): it enters (offered), its segments, and how it leaves
 * when no agent took it: the caller hangs up (abandoned) or the in-queue flow moves it on
 * (flow-out, to another queue or to voicemail). Ground truth: offered = acd leg start; answered /
 * abandoned / flowout = acd leg end; wait = acd end - acd start.
 */
import { exponential } from "../../util/random.js";
import type { CallFlow, SimCore } from "./core.js";
import type { Agent, QueueRuntime, SimConversation, SimSegment, SimSession, WaitingCall } from "./types.js";

export class QueueLeg {
  constructor(
    private readonly core: SimCore,
    private readonly flow: CallFlow,
  ) {}

  enterQueue(conv: SimConversation, rt: QueueRuntime, flowInType: string, leadDelayMs = 0): void {
    const { records, clock, traffic } = this.core;
    const t = clock.now;
    const acd = records.participant(conv, "acd", rt.q.name);
    acd.queueId = rt.q.id;
    const s = records.session(acd, t);
    s.queueId = rt.q.id;
    s.connectedTime = t;
    s.state = "connected";
    s.flowInType = flowInType;
    conv.participants[0].queueId = rt.q.id;
    const call: WaitingCall = { conv, acd, queue: rt, done: false };
    rt.waiting.push(call);
    records.record("offered", conv, acd, t);
    this.planQueueSegments(conv, s, rt.q.id, leadDelayMs);
    const spec = rt.q.spec;
    if (spec.patienceSeconds !== undefined) {
      clock.at(Math.round(t + exponential(traffic, spec.patienceSeconds * 1000)), () => this.abandon(call));
    }
    if (spec.flowOutAfterSeconds !== undefined) {
      clock.at(t + Math.round(spec.flowOutAfterSeconds * 1000), () => this.flowOut(call));
    }
    records.changed(conv);
    this.flow.dispatch(rt);
  }

  /**
   * The acd leg's segments: mostly one `interact`. A voice leg may open with a short `delay`
   * *before* the interact segment (`leadDelayMs`, after the IVR's transfer): as in published
   * details it is not in tAcd, nOffered is emitted at the interact start, and the acd
   * participant's connectedTime is that start. Sometimes in-queue flow audio shows as a `delay`
   * between two `interact` segments (unconfirmed): that one is inside the leg.
   */
  private planQueueSegments(conv: SimConversation, s: SimSession, queueId: string, leadDelayMs: number): void {
    const { clock, detail } = this.core;
    const t = clock.now;
    const u = detail();
    const delayMs = 2000 + Math.round(detail() * 20_000);
    if (leadDelayMs > 0) s.segments.push({ type: "delay", start: t - leadDelayMs, end: t, queueId });
    s.segments.push({ type: "interact", start: t, queueId });
    if (u < 0.15) {
      const after = 1000 + Math.round(detail() * 30_000);
      clock.at(t + after, () => {
        if (this.switchSegment(conv, s, "delay", queueId)) clock.at(clock.now + delayMs, () => this.switchSegment(conv, s, "interact", queueId));
      });
    }
  }

  /** Ends the open segment of a live session and opens one of `type`; false if the session ended. */
  private switchSegment(conv: SimConversation, s: SimSession, type: SimSegment["type"], queueId: string): boolean {
    if (s.endTime !== undefined) return false;
    const now = this.core.clock.now;
    const open = s.segments[s.segments.length - 1];
    open.end = now;
    s.segments.push({ type, start: now, queueId });
    // Analytics sees the new segment; no notification (the snapshot shows no segments).
    this.core.records.changed(conv, false);
    return true;
  }

  private abandon(call: WaitingCall): void {
    if (call.done) return;
    const { records } = this.core;
    const freed = this.dropRinging(call);
    this.leaveQueue(call, "abandoned", "peer");
    records.endCustomer(call.conv, "endpoint");
    records.changed(call.conv);
    records.forget(call.conv);
    this.flow.dispatch(call.queue);
    if (freed) this.flow.dispatchFor(freed);
  }

  /** Flow-out: to the queue named by `flowOutTo` (share `flowOutToShare`), else to voicemail. */
  private flowOut(call: WaitingCall): void {
    if (call.done) return;
    const { records, clock, traffic, queues } = this.core;
    const t = clock.now;
    const freed = this.dropRinging(call);
    this.leaveQueue(call, "flowout", "transfer");
    const spec = call.queue.q.spec;
    const target = spec.flowOutTo ? queues.named(spec.flowOutTo) : undefined;
    if (target && !target.removed && traffic() < spec.flowOutToShare) {
      // In-queue flow transfer: a new acd participant on the other queue.
      this.enterQueue(call.conv, target, "acd");
    } else {
      const vm = records.participant(call.conv, "voicemail", "Voicemail");
      const s = records.session(vm, t);
      s.connectedTime = t;
      s.state = "connected";
      s.segments.push({ type: "interact", start: t });
      records.changed(call.conv);
      clock.at(t + 30_000 + Math.round(traffic() * 60_000), () => {
        records.endSession(s, "peer");
        records.endCustomer(call.conv, "endpoint");
        records.changed(call.conv);
        records.forget(call.conv);
      });
    }
    this.flow.dispatch(call.queue);
    if (freed) this.flow.dispatchFor(freed);
  }

  /** A caller who leaves while an agent's phone rings: the alert ends (peer or system), the agent is free. */
  private dropRinging(call: WaitingCall): Agent | undefined {
    if (!call.alerting) return undefined;
    const { agent, session } = call.alerting;
    this.core.records.endSession(session, this.core.detail() < 0.5 ? "peer" : "system");
    this.flow.release(agent);
    call.alerting = undefined;
    return agent;
  }

  leaveQueue(call: WaitingCall, outcome: "answered" | "abandoned" | "flowout", disconnectType: string): void {
    const t = this.core.clock.now;
    call.done = true;
    const rt = call.queue;
    const i = rt.waiting.indexOf(call);
    if (i >= 0) rt.waiting.splice(i, 1);
    const s = call.acd.sessions[0];
    s.outcome = outcome;
    // From the first interact segment: a leading delay is not queue time (tAcd leaves it out).
    s.waitMs = t - (s.segments.find((g) => g.type === "interact") ?? s.segments[0]).start;
    this.core.records.endSession(s, disconnectType);
    this.core.records.record(outcome, call.conv, call.acd, t, s.waitMs);
  }
}
