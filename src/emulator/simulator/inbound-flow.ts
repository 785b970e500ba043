/**
 * Before the first queue: voice runs an IVR (purpose ivr, segmentType ivr); digital media
 * sometimes pass a short workflow first (captured messaging sample); callbacks are created
 * straight onto the queue.
 */
import { exponential, uuid } from "../../util/random.js";
import type { CallFlow, SimCore } from "./core.js";
import type { SimMediaType } from "./scenario.js";
import type { QueueRuntime, SimConversation } from "./types.js";

const flowTypes: Record<SimMediaType, string> = { voice: "INBOUNDCALL", chat: "INBOUNDCHAT", message: "INBOUNDSHORTMESSAGE", email: "INBOUNDEMAIL", callback: "INBOUNDCALL" };

export class InboundFlow {
  /** Calls in an inbound flow (IVR / workflow), not yet in their first queue. */
  inFlow = 0;

  constructor(
    private readonly core: SimCore,
    private readonly flow: CallFlow,
  ) {}

  begin(conv: SimConversation, rt: QueueRuntime): void {
    const spec = rt.q.spec;
    const { traffic, detail } = this.core;
    if (conv.mediaType === "voice" && spec.ivrSeconds > 0) {
      this.run(conv, rt, "ivr", Math.max(200, Math.round(exponential(traffic, spec.ivrSeconds * 1000))));
    } else if (conv.mediaType !== "voice" && conv.mediaType !== "callback" && detail() < 0.5) {
      this.run(conv, rt, "workflow", 200 + Math.round(detail() * 1500));
    } else {
      this.flow.enterQueue(conv, rt, "direct");
    }
  }

  private run(conv: SimConversation, rt: QueueRuntime, purpose: "ivr" | "workflow", durationMs: number): void {
    const { records, clock, detail, ids } = this.core;
    const t = clock.now;
    const name = `${rt.q.name} inbound flow`;
    const p = records.participant(conv, purpose, name);
    const s = records.session(p, t);
    s.connectedTime = t;
    s.state = "connected";
    s.flow = { flowId: uuid(ids), flowName: name, flowType: flowTypes[conv.mediaType], transferTargetAddress: rt.q.id, transferTargetName: rt.q.name };
    if (purpose === "ivr") {
      // Captured voice sample: a few ms of `system`, then `ivr` until the transfer to ACD.
      const sys = Math.min(50, Math.floor(durationMs / 4));
      s.segments.push({ type: "system", start: t, end: t + sys }, { type: "ivr", start: t + sys });
    } else {
      s.segments.push({ type: "interact", start: t });
    }
    records.changed(conv);
    // Published voice legs often open with a `delay` of a few to tens of ms between the IVR's
    // transfer and the acd interact segment (the wait starts after it).
    const lead = purpose === "ivr" && detail() < 0.3 ? 4 + Math.round(detail() * 46) : 0;
    clock.at(t + durationMs - lead, () => records.endSession(s, "transfer"));
    this.inFlow++;
    clock.at(t + durationMs, () => {
      this.inFlow--;
      this.flow.enterQueue(conv, rt, purpose, lead);
    });
  }
}
