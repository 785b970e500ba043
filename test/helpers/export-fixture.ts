/** A hand-made flush with awkward labels (quotes, backslash, newline, comma, =, space, slash). */
import type { SeriesSnapshot } from "../../src/aggregate/series.js";
import { NO_FORECAST, NO_PREDICTION, UNKNOWN_AGENTS } from "../../src/domain/queue-outlook.js";
import type { Figures } from "../../src/aggregate/figures.js";
import { buildSamples, type Flush, WAIT_BUCKETS } from "../../src/sinks/samples.js";

export function fig(over: Partial<Figures>): Figures {
  const none = { p50: null, p90: null, p95: null, p99: null, max: null };
  return {
    offered: 0,
    answered: 0,
    abandoned: 0,
    shortAbandoned: 0,
    flowout: 0,
    overSla: 0,
    serviceLevel: null,
    asaSeconds: null,
    abandonRate: null,
    answeredWaitSeconds: none,
    abandonedWaitSeconds: none,
    ...over,
  };
}

export function snap(
  queueId: string,
  queueName: string,
  mediaType: string,
  windows: Record<string, Figures>,
  now: Omit<SeriesSnapshot["now"], "agents"> & { agents?: SeriesSnapshot["now"]["agents"] },
  totals: SeriesSnapshot["totals"],
  outlook: Partial<Pick<SeriesSnapshot, "predicted" | "forecast">> = {},
): SeriesSnapshot {
  const iv = { ...fig({}), start: "2026-01-01T00:00:00.000Z", end: "2026-01-01T00:30:00.000Z" };
  return {
    queueId,
    queueName,
    mediaType,
    totals,
    now: { agents: UNKNOWN_AGENTS, ...now },
    windows,
    intervals: { current: iv, previous: null, today: iv },
    serviceLevelTarget: { percentage: 0.8, thresholdSeconds: 20 },
    smoothed: { arrivalsPerMinute: null, answeredWaitP90Seconds: null, halfLifeSeconds: 300 },
    dropped: { window: 0, interval: 0, today: 0 },
    predicted: NO_PREDICTION,
    forecast: NO_FORECAST,
    ...outlook,
  };
}

export const FIXTURE_AT = Date.UTC(2026, 0, 15, 9, 30, 0, 123);

/** `withOutlook` false: without staffing, prediction and forecast (as snapshots were before they existed). */
export function fixtureSnapshots(withOutlook = true): SeriesSnapshot[] {
  const snapshots = [
    snap(
      "q-1",
      'Sales, EMEA "VIP" a/b\\c=d\nline2',
      "Voice",
      {
        "5m": fig({ offered: 10, answered: 8, abandoned: 2, serviceLevel: 0.75, asaSeconds: 12.5, abandonRate: 0.2, answeredWaitSeconds: { p50: 9.1, p90: 31.25, p95: 40, p99: 58.004, max: 60 } }),
        "15m": fig({ offered: 30, answered: 25, abandoned: 3, serviceLevel: 0.8, asaSeconds: 11, abandonRate: 0.1, answeredWaitSeconds: { p50: 8, p90: 30, p95: 41.5, p99: 70, max: 80 } }),
      },
      { waiting: 3, interacting: 7, longestWaitingSeconds: 42.5, agents: { members: 12, onQueue: 9, idle: 1, interacting: 7, notResponding: 1, offQueue: 3 } },
      { offered: 120, answered: 100, abandoned: 15, flowout: 5 },
      { predicted: { waitSeconds: 37.5, predictor: "QLm", rrmse: 0.41, samples: 64 }, forecast: { intervalServiceLevel: 0.72, answeredWaitP90In15m: 48 } },
    ),
    snap("q-2", "Support", "chat", { "5m": fig({}), "15m": fig({ offered: 1, abandoned: 1, abandonRate: 1 }) }, { waiting: 0, interacting: null, longestWaitingSeconds: null }, { offered: 1, answered: 0, abandoned: 1, flowout: 0 }),
  ];
  return withOutlook ? snapshots : snapshots.map((s) => ({ ...s, now: { ...s.now, agents: UNKNOWN_AGENTS }, predicted: NO_PREDICTION, forecast: NO_FORECAST }));
}

export function fixtureFlush(withOutlook = true): Flush {
  const counts = WAIT_BUCKETS.map((_, i) => Math.min(100, 10 * (i + 1)));
  counts.push(100);
  return {
    at: FIXTURE_AT,
    samples: buildSamples({
      snapshots: fixtureSnapshots(withOutlook),
      histogram: (q) => (q === "q-1" ? { counts, sumSeconds: 1234.5 } : undefined),
      health: { connected: true, ready: false, queues: 2, channels: [{ state: "live" }, { state: "connecting" }], lastEventAgeSeconds: 1.5, counters: { reconnects: 2, streamEvents: 40, backfilledEvents: 3, duplicatesDropped: 1, badPayloads: 0, malformedFrames: 4, lateDropped: 2 }, http: { byStatus: { "200": 9, "429": 2, network: 1 } } },
      sinks: [{ name: "victoriametrics", pending: 2, sent: 5, failures: 1, deadLetters: 0, dropped: 0 }],
    }),
  };
}
