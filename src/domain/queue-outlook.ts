/**
 * What the monitor says about a queue beyond its counts: who is there to answer, the wait the next
 * caller is told, and where the interval is heading. Part of every snapshot; the engine leaves
 * them unknown and src/predict/outlook.ts fills them in.
 */

/** Who is there to answer: the queue's members by routing status (queue-level, the same for each media type); null where unknown. */
export interface AgentsNow {
  members: number | null;
  onQueue: number | null;
  idle: number | null;
  interacting: number | null;
  notResponding: number | null;
  offQueue: number | null;
}

export interface PredictedWait {
  waitSeconds: number | null;
  predictor: string | null;
  /** Relative RMSE of the served predictor over the last hour; null until it has samples. */
  rrmse: number | null;
  samples: number;
}

export interface ForecastFigures {
  /** The current interval's service level at its end (0..1). */
  intervalServiceLevel: number | null;
  /** The 15-minute answered-wait p90 fifteen minutes from now (s). */
  answeredWaitP90In15m: number | null;
}

export const UNKNOWN_AGENTS: Readonly<AgentsNow> = Object.freeze({ members: null, onQueue: null, idle: null, interacting: null, notResponding: null, offQueue: null });
export const NO_PREDICTION: Readonly<PredictedWait> = Object.freeze({ waitSeconds: null, predictor: null, rrmse: null, samples: 0 });
export const NO_FORECAST: Readonly<ForecastFigures> = Object.freeze({ intervalServiceLevel: null, answeredWaitP90In15m: null });
