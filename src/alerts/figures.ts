/**
 * Reads a rule's figure from one queue x media snapshot (the shape of /api/queues), with the
 * number of calls behind it (for minSamples), and decides which series a rule watches.
 */
import type { SeriesSnapshot } from "../aggregate/series.js";
import type { Figures } from "../aggregate/figures.js";
import type { QueueRef } from "../select/queue-selector.js";
import type { Rule } from "./config.js";

export interface Reading {
  /** null: no data (nothing answered in the window, no observation yet). */
  value: number | null;
  /** Calls behind a windowed figure; Infinity for "now" figures (they need no sample). */
  samples: number;
}

function windowFigures(s: SeriesSnapshot, window: string): Figures | undefined {
  return window === "interval" ? s.intervals.current : s.windows[window];
}

export function readFigure(rule: Rule, s: SeriesSnapshot): Reading {
  switch (rule.figure) {
    case "waiting":
      return { value: s.now.waiting, samples: Infinity };
    case "longestWaiting":
      return { value: s.now.longestWaitingSeconds, samples: Infinity };
    case "waitingNobodyInteracting":
      // Callers waiting while no agent is on an interaction: the waiting count, else 0.
      return { value: s.now.interacting === null ? null : s.now.interacting === 0 ? s.now.waiting : 0, samples: Infinity };
    case "agentsOnQueue":
      return { value: s.now.agents.onQueue, samples: Infinity };
    case "agentsIdle":
      return { value: s.now.agents.idle, samples: Infinity };
    case "waitingNoIdleAgent":
      // Callers waiting while no agent is idle: the waiting count, else 0.
      return { value: s.now.agents.idle === null ? null : s.now.agents.idle === 0 ? s.now.waiting : 0, samples: Infinity };
    case "predictedWait":
      // A prediction counts once its predictor has been scored against that many callers.
      return { value: s.predicted.waitSeconds, samples: s.predicted.samples };
    case "forecastIntervalServiceLevel":
      return { value: s.forecast.intervalServiceLevel, samples: Infinity };
    case "forecastAnsweredWaitP90":
      return { value: s.forecast.answeredWaitP90In15m, samples: Infinity };
    default:
      break;
  }
  const f = windowFigures(s, rule.window ?? "15m");
  if (!f) return { value: null, samples: 0 };
  switch (rule.figure) {
    case "answeredWaitP50":
      return { value: f.answeredWaitSeconds.p50, samples: f.answered };
    case "answeredWaitP90":
      return { value: f.answeredWaitSeconds.p90, samples: f.answered };
    case "answeredWaitP95":
      return { value: f.answeredWaitSeconds.p95, samples: f.answered };
    case "answeredWaitP99":
      return { value: f.answeredWaitSeconds.p99, samples: f.answered };
    case "asa":
      return { value: f.asaSeconds, samples: f.answered };
    case "serviceLevel":
      return { value: f.serviceLevel, samples: f.answered + f.abandoned + f.flowout };
    case "abandonRate":
      return { value: f.abandonRate, samples: f.offered };
  }
}

/**
 * Whether a rule watches this queue x media (empty selectors: everything). `queue` carries the
 * division when discovery knows it; without it the snapshot's id and name are matched.
 */
export function selects(rule: Rule, s: Pick<SeriesSnapshot, "queueId" | "queueName" | "mediaType">, queue: QueueRef = { id: s.queueId, name: s.queueName }): boolean {
  return rule.queues.matches(queue) && (rule.media.length === 0 || rule.media.includes(s.mediaType.toLowerCase()));
}

/** The stable PagerDuty dedup key of a rule on a queue and media (<= 255 characters; never the queue's name, which can change). */
export function dedupKey(rule: string, queueId: string, mediaType: string): string {
  return `queue-monitor/${rule}/${queueId}/${mediaType.toLowerCase()}`.slice(0, 255);
}

/** Human words for a figure, for summaries. */
export function describe(rule: Rule): string {
  const w = rule.window === "interval" ? "current interval" : rule.window;
  const words: Record<Rule["figure"], string> = {
    answeredWaitP50: "p50 answered wait",
    answeredWaitP90: "p90 answered wait",
    answeredWaitP95: "p95 answered wait",
    answeredWaitP99: "p99 answered wait",
    asa: "average speed of answer",
    serviceLevel: "service level",
    abandonRate: "abandon rate",
    waiting: "waiting now",
    longestWaiting: "longest waiting now",
    waitingNobodyInteracting: "waiting while nobody is interacting",
    agentsOnQueue: "agents on queue",
    agentsIdle: "agents idle",
    waitingNoIdleAgent: "waiting while no agent is idle",
    predictedWait: "predicted wait for a caller arriving now",
    forecastIntervalServiceLevel: "forecast service level at the interval's end",
    forecastAnsweredWaitP90: "forecast p90 answered wait in 15 minutes",
  };
  return w ? `${words[rule.figure]} (${w})` : words[rule.figure];
}

const COUNTS: ReadonlySet<Rule["figure"]> = new Set(["waiting", "waitingNobodyInteracting", "agentsOnQueue", "agentsIdle", "waitingNoIdleAgent"]);

/** Seconds for wait figures, percent for ratios, plain counts otherwise. */
export function formatValue(rule: Rule, v: number | null): string {
  if (v === null) return "n/a";
  if (rule.figure === "serviceLevel" || rule.figure === "abandonRate" || rule.figure === "forecastIntervalServiceLevel") return `${(v * 100).toFixed(1)}%`;
  if (COUNTS.has(rule.figure)) return String(v);
  return `${Math.round(v)} s`;
}
