/**
 * Routing a waiting call to an agent: the offer (alerting, sometimes not answered), the answer
 * (the agent's connect and the acd leg's end up to ±100 ms apart, either way round), the
 * handling, and what comes after it: a transfer to another queue, or the end of the call.
 * One agent participant per user per conversation: a user alerted again (after a no-answer, or
 * on another queue after a transfer) gets another session on the same participant.
 */
import { exponential, lognormal } from "../../util/random.js";
import { announceAgent, isAvailable } from "./agents.js";
import type { CallFlow, SimCore } from "./core.js";
import type { QueueLeg } from "./queue-leg.js";
import type { Agent, QueueRuntime, SimSession, WaitingCall } from "./types.js";

/** Largest gap between an agent's connect and the acd leg's end (either way round). */
export const MAX_ANSWER_SKEW_MS = 100;
/** tAnswered is emitted within this of the acd leg's end. */
export const MAX_ANSWERED_EMIT_SKEW_MS = 20;
const BUCKET_MS = 1_800_000;

export class Offers {
  constructor(
    private readonly core: SimCore,
    private readonly leg: QueueLeg,
    private readonly flow: CallFlow,
  ) {}

  /** Offers the oldest waiting call not already ringing to a free agent, while both exist. */
  dispatch(rt: QueueRuntime): void {
    const { records, clock, traffic, detail } = this.core;
    for (;;) {
      const agent = rt.agents.find(isAvailable);
      if (!agent) return;
      const call = rt.waiting.find((w) => !w.alerting);
      if (!call) return;
      agent.busy = true;
      announceAgent(records, agent);
      const spec = rt.q.spec;
      if (spec.alertSeconds === 0 && spec.noAnswerProbability === 0) {
        this.answer(call, agent, undefined);
        continue;
      }
      const t = clock.now;
      const session = this.ringAgent(call, agent);
      call.alerting = { agent, session };
      const noAnswer = traffic() < spec.noAnswerProbability;
      const ring = Math.round(traffic() * 2 * spec.alertSeconds * 1000);
      records.changed(call.conv);
      clock.at(t + (noAnswer ? Math.max(ring, 8000) : ring), () => {
        if (call.done || call.alerting?.session !== session) return;
        if (noAnswer) {
          // The alert times out (system) or the agent declines (client); which one a real
          // no-answer shows is not documented, so both occur.
          session.noAnswer = true;
          const timedOut = detail() < 0.5;
          records.endSession(session, timedOut ? "system" : "client");
          this.flow.release(agent, timedOut);
          call.alerting = undefined;
          records.changed(call.conv);
          this.dispatchFor(agent);
        } else {
          this.answer(call, agent, session);
        }
      });
    }
  }

  /** After an agent frees up: every queue it serves, own queue first. */
  dispatchFor(agent: Agent): void {
    for (const rt of agent.serves) this.dispatch(rt);
  }

  /** An alerting session for `agent` on the call's queue: on the user's participant if it has one. */
  private ringAgent(call: WaitingCall, agent: Agent): SimSession {
    const { records, clock } = this.core;
    const conv = call.conv;
    let p = conv.participants.find((x) => x.purpose === "agent" && x.userId === agent.userId);
    if (!p) {
      p = records.participant(conv, "agent", agent.name);
      p.userId = agent.userId;
    }
    p.queueId = call.queue.q.id;
    const s = records.session(p, clock.now);
    s.queueId = call.queue.q.id;
    s.segments.push({ type: "alert", start: clock.now, queueId: call.queue.q.id });
    return s;
  }

  /**
   * The agent answers at `now`. The acd leg's end and the agent's connect are up to 100 ms apart,
   * either way round; the earlier happens now, the later after the skew. Some calls publish the
   * in-between state (agent connected while the acd leg is still open, or the acd leg ended while
   * the agent still alerts), others only the final one.
   */
  private answer(call: WaitingCall, agent: Agent, ringing: SimSession | undefined): void {
    const { records, clock, detail } = this.core;
    const rt = call.queue;
    const t = clock.now;
    const session = ringing ?? this.ringAgent(call, agent);
    const skew = Math.round((detail() * 2 - 1) * MAX_ANSWER_SKEW_MS);
    const showBetween = skew !== 0 && detail() < 0.35;
    const acdEnd = skew >= 0 ? t : t - skew;
    const agentConnect = skew >= 0 ? t + skew : t;
    // The call is no longer abandonable or routable from here on.
    call.done = true;
    call.alerting = undefined;
    rt.waiting.splice(rt.waiting.indexOf(call), 1);
    const media = call.conv.mediaType;
    rt.interacting.set(media, (rt.interacting.get(media) ?? 0) + 1);
    const handling = { conv: call.conv, session, agent };
    rt.handling.add(handling);
    const endAcd = () => this.leg.leaveQueue(call, "answered", "transfer");
    const connect = () => {
      session.state = "connected";
      session.connectedTime = clock.now;
      const alert = session.segments[session.segments.length - 1];
      alert.end = clock.now;
      session.segments.push({ type: "interact", start: clock.now, queueId: rt.q.id });
    };
    const first = skew >= 0 ? endAcd : connect;
    const second = skew >= 0 ? connect : endAcd;
    first();
    if (showBetween) records.changed(call.conv);
    const finish = () => {
      second();
      const waitMs = call.acd.sessions[0].waitMs!;
      session.answered = { value: waitMs, emitAt: answeredEmit(acdEnd, agentConnect), acdParticipantId: call.acd.id };
      records.changed(call.conv);
      this.scheduleHandling(call, agent, session, agentConnect, () => rt.handling.delete(handling));
    };
    if (skew === 0) finish();
    else clock.at(t + Math.abs(skew), finish);
  }

  /** Handling ends: the call moves on to `transferTo` (share `transferProbability`), or either side hangs up. */
  private scheduleHandling(call: WaitingCall, agent: Agent, session: SimSession, connectedAt: number, done: () => void): void {
    const { records, clock, traffic, detail, queues } = this.core;
    const rt = call.queue;
    const spec = rt.q.spec;
    const mean = spec.handleSeconds * 1000;
    const handle = spec.handleCv > 0 ? lognormal(traffic, mean, spec.handleCv) : exponential(traffic, mean);
    const media = call.conv.mediaType;
    clock.at(Math.max(clock.now + 1, connectedAt + Math.max(1, Math.round(handle))), () => {
      rt.interacting.set(media, rt.interacting.get(media)! - 1);
      done();
      this.flow.release(agent);
      const target = spec.transferTo ? queues.named(spec.transferTo) : undefined;
      if (target && !target.removed && traffic() < spec.transferProbability) {
        records.endSession(session, "transfer");
        this.leg.enterQueue(call.conv, target, "agent");
      } else {
        // Either side may hang up: the one who does shows `client` (agent) or `endpoint`
        // (customer), the other side `peer`.
        const agentHangsUp = detail() < 0.5;
        records.endSession(session, agentHangsUp ? "client" : "peer");
        records.endCustomer(call.conv, agentHangsUp ? "peer" : "endpoint");
        records.changed(call.conv);
        records.forget(call.conv);
      }
      this.dispatchFor(agent);
    });
  }
}

/**
 * tAnswered's emit time: the agent's connect when within 20 ms of the acd end (as captured),
 * else 20 ms from it; never across a 30-minute boundary from the acd end, so the metric falls in
 * the same aggregate interval as the ground-truth answered event.
 */
function answeredEmit(acdEnd: number, agentConnect: number): number {
  const d = Math.max(-MAX_ANSWERED_EMIT_SKEW_MS, Math.min(MAX_ANSWERED_EMIT_SKEW_MS, agentConnect - acdEnd));
  const bucket = Math.floor(acdEnd / BUCKET_MS) * BUCKET_MS;
  return Math.max(bucket, Math.min(bucket + BUCKET_MS - 1, acdEnd + d));
}
