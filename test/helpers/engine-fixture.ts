/** An engine on a manual clock with one queue (Sales: voice 80 % in 20 s, chat 90 % in 60 s), and events for it. */
import { defaultEngineSettings, type EngineSettings } from "../../src/aggregate/config.js";
import { Engine } from "../../src/aggregate/engine.js";
import type { QueueEvent, QueueEventKind } from "../../src/domain/queue-event.js";
import { ManualClock } from "../../src/util/clock.js";

export const Q = "11111111-1111-4111-8111-111111111111";
export const T = (iso: string) => Date.parse(iso);
let seq = 0;
export function ev(kind: QueueEventKind, time: number | string, waitMs?: number, conv = `c${++seq}`, mediaType = "voice"): QueueEvent {
  return { kind, queueId: Q, mediaType, conversationId: conv, participantId: `p-${conv}`, time: typeof time === "string" ? T(time) : time, ...(waitMs === undefined ? {} : { waitMs }) };
}

export function engineAt(now: string, over: Partial<EngineSettings> = {}) {
  const clock = new ManualClock(T(now));
  const engine = new Engine({ ...defaultEngineSettings, ...over }, clock);
  engine.setQueue(Q, { name: "Sales", serviceLevels: { voice: { percentage: 0.8, durationMs: 20_000 }, chat: { percentage: 0.9, durationMs: 60_000 } } });
  return { clock, engine, snap: () => engine.snapshot()[0] };
}

/** offered 4; answered 5 s, 15 s, 30 s (one over the 20 s goal); abandoned 3 s (short) and 40 s; one flow-out. */
export function standardMix(engine: Engine, at: string): void {
  for (let i = 0; i < 4; i++) engine.apply(ev("offered", at));
  engine.apply(ev("answered", at, 5000));
  engine.apply(ev("answered", at, 15000));
  engine.apply(ev("answered", at, 30000));
  engine.apply(ev("abandoned", at, 3000));
  engine.apply(ev("abandoned", at, 40000));
  engine.apply(ev("flowout", at, 90000));
}


