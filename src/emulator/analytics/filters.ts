/**
 * The analytics query language as the emulator understands it: intervals, filters of predicates
 * and clauses (and / or), and the segment dimensions a predicate can name.
 */
import { HttpError } from "../http.js";
import type { SimConversation } from "../simulator/simulator.js";

export interface Predicate {
  type?: string;
  dimension?: string;
  operator?: string;
  value?: string;
}

export interface Filter {
  type?: string;
  predicates?: Predicate[];
  clauses?: Filter[];
}

export function parseInterval(interval: unknown): [number, number] {
  if (typeof interval !== "string") throw new HttpError(400, "bad.request", "interval is required (ISO-8601 start/end)");
  const [a, b] = interval.split("/");
  const from = Date.parse(a);
  const to = Date.parse(b ?? "");
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) {
    throw new HttpError(400, "bad.request", `interval "${interval}" is not a valid ISO-8601 start/end`);
  }
  return [from, to];
}

export function filterMatches(filter: Filter | undefined, test: (p: Predicate) => boolean): boolean {
  if (!filter) return true;
  const results = [
    ...(filter.predicates ?? []).map(test),
    ...(filter.clauses ?? []).map((c) => filterMatches(c, test)),
  ];
  if (results.length === 0) return true;
  return filter.type === "or" ? results.some(Boolean) : results.every(Boolean);
}

export function predicateOn(values: (string | undefined)[], p: Predicate): boolean {
  const op = p.operator ?? "matches";
  if (op === "exists") return values.some((v) => v !== undefined);
  if (op === "notExists") return values.every((v) => v === undefined);
  return values.some((v) => v !== undefined && v === p.value);
}

/** A segment dimension's values over every segment of every session of the participants. */
export function segmentValues(conv: SimConversation, participants: SimConversation["participants"], dimension: string | undefined): (string | undefined)[] {
  return participants.flatMap((part) =>
    part.sessions.flatMap((s) =>
      s.segments.map((g) => {
        switch (dimension) {
          case "queueId":
            return g.queueId ?? (part.purpose === "customer" ? part.queueId : undefined);
          case "mediaType":
            return conv.mediaType;
          case "purpose":
            return part.purpose;
          case "userId":
            return part.userId;
          case "disconnectType":
            return g.disconnectType;
          case "segmentType":
            return g.type;
          default:
            return undefined;
        }
      }),
    ),
  );
}
