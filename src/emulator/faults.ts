/**
 * POST /emulator/faults: failures injected exactly as the real service would show them (dropped
 * or closing sockets, stalled heartbeats, 429s and 503s on the next API calls, revoked tokens,
 * expired channels, missing notifications, malformed frames; with EventBridge on, notifications
 * held and then delivered late, as Genesys retries while AWS is unreachable), and the log of what
 * was injected.
 */
import type { VirtualClock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import type { Auth } from "./auth.js";
import { HttpError, json, type Reply } from "./http.js";
import type { Notifications } from "./notifications.js";

const FAULTS = ["drop-sockets", "socket-closing", "stall-heartbeats", "rate-limit", "server-errors", "revoke-tokens", "expire-channels", "drop-events", "garbage-frames", "eventbridge-hold"];

export class Faults {
  readonly log: { at: string; type: string; detail: unknown }[] = [];
  /** Statuses the next API calls get, in order (faults queue up rather than replace each other). */
  private readonly failNext: number[] = [];

  constructor(
    private readonly clock: VirtualClock,
    private readonly notifications: Notifications,
    private readonly auth: Auth,
    private readonly logger: Logger,
    /** The EventBridge integration, when the emulator publishes to SQS. */
    private readonly bridge?: { hold(ms: number): number },
  ) {}

  /** The status the next Genesys API call gets instead of its answer, if a fault queued one. */
  nextFailure(): number | undefined {
    return this.failNext.shift();
  }

  /** Applies a fault exactly as the real service would show it. */
  apply(body: unknown): Reply {
    const f = (body ?? {}) as { type?: string; seconds?: number; count?: number };
    if (!f.type || !FAULTS.includes(f.type)) {
      throw new HttpError(400, "bad.request", `fault type must be one of ${FAULTS.join(", ")}; got ${JSON.stringify(f.type)}`);
    }
    let affected: number;
    switch (f.type) {
      case "drop-sockets":
        affected = this.notifications.dropSockets();
        break;
      case "socket-closing":
        affected = this.notifications.socketClosing();
        break;
      case "stall-heartbeats":
        affected = this.notifications.stall(positive(f.seconds, "seconds", 60));
        break;
      case "rate-limit":
      case "server-errors":
        affected = positive(f.count, "count", 5);
        for (let i = 0; i < affected; i++) this.failNext.push(f.type === "rate-limit" ? 429 : 503);
        break;
      case "drop-events":
        affected = positive(f.count, "count", 5);
        this.notifications.omitNext += affected;
        break;
      case "garbage-frames":
        affected = this.notifications.garbage(Math.ceil(positive(f.count, "count", 10)));
        break;
      case "eventbridge-hold":
        if (!this.bridge) throw new HttpError(400, "bad.request", "eventbridge-hold needs the emulator started with --eventbridge-sqs");
        affected = this.bridge.hold(positive(f.seconds, "seconds", 30) * 1000);
        break;
      case "revoke-tokens":
        this.auth.revokeAll();
        affected = 1;
        break;
      default:
        affected = this.notifications.expireAll();
    }
    this.log.push({ at: new Date(this.clock.now()).toISOString(), type: f.type, detail: f });
    this.logger.info({ fault: f.type, affected }, "fault injected");
    return json(200, { type: f.type, affected });
  }
}

function positive(v: unknown, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !(v > 0)) throw new HttpError(400, "bad.request", `${name} must be a positive number, got ${JSON.stringify(v)}`);
  return v;
}
