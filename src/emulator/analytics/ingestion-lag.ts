/**
 * The analytics store's ingestion lag: each version of a conversation becomes visible after its
 * own lag (mostly around the typical delay, occasionally a long tail), so a query can see a newer
 * state before an older one, or an old state for minutes.
 */
import { mulberry32 } from "../../util/random.js";
import type { SimConversation } from "../simulator/simulator.js";

/** How long each version of a conversation takes to reach the details store (virtual ms). */
export interface IngestionLag {
  /** Typical delay; each version draws 0.5x..1.5x of it. */
  typicalMs: () => number;
  /** A long lag some versions get instead (0 = none). */
  tailMs: () => number;
  /** Share of versions with the long lag, 0..1. */
  tailShare: number;
}

/** A conversation as the store holds it: its newest ingested version, ended or not. */
export interface Visible {
  participants: SimConversation["participants"];
  end?: number;
}

/** A stable uniform draw per (conversation, version), so repeated queries agree. */
function draw(convId: string, version: number): [number, number] {
  let h = 0x811c9dc5 ^ version;
  for (let i = 0; i < convId.length; i++) h = Math.imul(h ^ convId.charCodeAt(i), 0x01000193);
  const rng = mulberry32(h);
  return [rng(), rng()];
}

export class IngestionModel {
  /** draw(conv.id, i) for i = 0.. as [u0, v0, u1, v1, ...]. */
  private readonly draws = new WeakMap<SimConversation, number[]>();
  /** Finished conversations whose final version is visible: its time and the version count then. */
  private readonly finalSeen = new WeakMap<SimConversation, { versions: number; end: number }>();

  constructor(private readonly lag: IngestionLag) {}

  /** Virtual ms version `i` of `conv` takes to become visible to the details query. */
  lagMs(conv: SimConversation, i: number): number {
    // The draws are kept per conversation: every query of a busy day asks again for each one.
    let draws = this.draws.get(conv);
    if (!draws) this.draws.set(conv, (draws = []));
    for (let k = draws.length / 2; k <= i; k++) draws.push(...draw(conv.id, k));
    const u = draws[2 * i];
    const v = draws[2 * i + 1];
    const tail = this.lag.tailMs();
    const base = v < this.lag.tailShare && tail > 0 ? tail : this.lag.typicalMs();
    return Math.round(base * (0.5 + u));
  }

  /** The conversation as the analytics store knows it at `now`: its newest ingested version, if any. */
  visible(conv: SimConversation, now: number): Visible | undefined {
    let v: SimConversation["versions"][number] | undefined;
    for (let i = conv.versions.length - 1; i >= 0; i--) {
      if (conv.versions[i].time + this.lagMs(conv, i) <= now) {
        v = conv.versions[i];
        break;
      }
    }
    if (!v) return undefined;
    const ended = v.participants.every((p) => p.sessions.every((s) => s.endTime !== undefined));
    if (ended && v === conv.versions[conv.versions.length - 1]) this.finalSeen.set(conv, { versions: conv.versions.length, end: v.time });
    return { participants: v.participants, end: ended ? v.time : undefined };
  }

  /** True if the final version is known visible and ended before `from` (no activity from then on). */
  endedBefore(conv: SimConversation, from: number): boolean {
    const final = this.finalSeen.get(conv);
    return final !== undefined && final.versions === conv.versions.length && final.end < from;
  }
}
