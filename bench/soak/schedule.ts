/**
 * The soak's seeded schedule of hostile acts: every emulator fault kind, kill -9 of the monitor,
 * an outage of VictoriaMetrics, refusals from PagerDuty and a full disk. The first round has every
 * kind once, spaced to fit the run (so a three-minute run meets them all); later rounds draw kinds
 * at random (kills twice as often). Pure: same seed and options, same schedule.
 */
import { mulberry32, type Rng } from "../../src/util/random.js";

export const EMULATOR_FAULTS = ["drop-sockets", "socket-closing", "stall-heartbeats", "rate-limit", "server-errors", "revoke-tokens", "expire-channels", "drop-events", "garbage-frames"] as const;
export type EmulatorFault = (typeof EMULATOR_FAULTS)[number];
export type ActKind = EmulatorFault | "kill" | "vm-outage" | "pagerduty-outage" | "disk-full";

export type Step =
  | { at: number; act: "fault"; kind: EmulatorFault; body: { type: EmulatorFault; seconds?: number; count?: number }; thenDropSockets: boolean }
  | { at: number; act: "kill"; kind: "kill"; pauseMs: number }
  | { at: number; act: "vm-stop"; kind: "vm-outage"; durationMs: number }
  | { at: number; act: "vm-start"; kind: "vm-outage" }
  | { at: number; act: "pagerduty-refuse"; kind: "pagerduty-outage"; body: { status: number; count: number; retryAfterSeconds?: number } }
  | { at: number; act: "disk-fill"; kind: "disk-full"; durationMs: number }
  | { at: number; act: "disk-free"; kind: "disk-full" };

export interface ScheduleOptions {
  seed: number;
  /** Real ms from the schedule's start to the end of the run's traffic. */
  durationMs: number;
  /** Nothing happens before this (ms). */
  startMs: number;
  /** Outages end, and nothing starts, this long before durationMs. */
  endMarginMs: number;
  /** Mean real ms between acts once every kind has had its turn. */
  everyMs: number;
  vm: boolean;
  disk: boolean;
}

const between = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

export function availableKinds(o: Pick<ScheduleOptions, "vm" | "disk">): ActKind[] {
  return [...EMULATOR_FAULTS, "kill", "pagerduty-outage", ...(o.vm ? (["vm-outage"] as const) : []), ...(o.disk ? (["disk-full"] as const) : [])];
}

function shuffle<T>(rng: Rng, a: T[]): T[] {
  const out = [...a];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The steps in time order (outages as a start step and an end step). */
export function buildSchedule(o: ScheduleOptions): Step[] {
  const rng = mulberry32(o.seed ^ 0x50a4ed);
  const kinds = availableKinds(o);
  const end = o.durationMs - o.endMarginMs;
  const span = end - o.startMs;
  const steps: Step[] = [];
  if (span <= 0) return steps;
  const busyUntil = new Map<ActKind, number>();
  const add = (kind: ActKind, at: number): boolean => {
    if ((busyUntil.get(kind) ?? -Infinity) > at) return false;
    switch (kind) {
      case "kill":
        steps.push({ at, act: "kill", kind, pauseMs: between(rng, 0, 3000) });
        return true;
      case "vm-outage":
      case "disk-full": {
        // The disk stays full long enough for SQLite to need new pages: its WAL reuses what it has for a while.
        const durationMs = Math.min(kind === "vm-outage" ? between(rng, 8000, 25_000) : between(rng, 25_000, 50_000), end - at);
        if (durationMs < 3000) return false;
        busyUntil.set(kind, at + durationMs + 2000);
        if (kind === "vm-outage") steps.push({ at, act: "vm-stop", kind, durationMs }, { at: at + durationMs, act: "vm-start", kind });
        else steps.push({ at, act: "disk-fill", kind, durationMs }, { at: at + durationMs, act: "disk-free", kind });
        return true;
      }
      case "pagerduty-outage": {
        const body = rng() < 0.7 ? { status: 503, count: between(rng, 3, 8) } : { status: 429, count: between(rng, 2, 4), retryAfterSeconds: between(rng, 1, 3) };
        steps.push({ at, act: "pagerduty-refuse", kind, body });
        return true;
      }
      default: {
        const body: { type: EmulatorFault; seconds?: number; count?: number } = { type: kind };
        if (kind === "stall-heartbeats") body.seconds = between(rng, 2, 6);
        if (kind === "rate-limit" || kind === "server-errors") body.count = between(rng, 2, 6);
        if (kind === "drop-events") body.count = between(rng, 1, 6);
        if (kind === "garbage-frames") body.count = between(rng, 10, 60);
        steps.push({ at, act: "fault", kind, body, thenDropSockets: (kind === "rate-limit" || kind === "server-errors") && rng() < 0.5 });
        return true;
      }
    }
  };
  // First round: every kind once (kill twice), evenly spread with some jitter.
  const weighted: ActKind[] = [...kinds, "kill"];
  const g1 = Math.min(o.everyMs, span / (weighted.length + 1));
  shuffle(rng, weighted).forEach((kind, i) => add(kind, Math.round(o.startMs + (i + 0.75 + 0.5 * rng()) * g1)));
  // Later rounds: random kinds, kills twice as likely.
  let t = o.startMs + weighted.length * g1 + g1;
  for (let n = 0; n < 100_000 && t < end; n++) {
    for (let tries = 0; tries < 5; tries++) if (add(weighted[Math.floor(rng() * weighted.length)], Math.round(t))) break;
    t += o.everyMs * (0.5 + rng());
  }
  // A kill while the disk is full would restart the monitor on a full disk: it waits for the free.
  const disk = steps.filter((s): s is Extract<Step, { act: "disk-fill" }> => s.act === "disk-fill");
  for (const s of steps) {
    if (s.act !== "kill") continue;
    const d = disk.find((w) => s.at >= w.at - 1000 && s.at < w.at + w.durationMs + 1000);
    if (d) s.at = d.at + d.durationMs + 1500;
  }
  return steps.filter((s) => s.at < o.durationMs).sort((a, b) => a.at - b.at);
}
