/**
 * Forecasts per series, kept while their inputs stand still: a forecast costs about a millisecond
 * (bench/predict.bench.ts), a wallboard or exporter may read thousands of series every few
 * seconds, and the inputs of most series change less often than that.
 */
import { forecast, type Forecast, type ForecastInputs, type ForecastOptions } from "./forecast.js";

export interface ForecastCacheOptions {
  /** A forecast older than this is recomputed (default 30 s). */
  ttlMs?: number;
  /** Changed inputs recompute at most this often (default 2 s). */
  minRecomputeMs?: number;
  forecast?: ForecastOptions;
}

/**
 * Forecasts per series, recomputed when their inputs change (rounded: rates to 3 significant
 * digits) but not more often than `minRecomputeMs`, and at least every `ttlMs`.
 */
export class ForecastCache {
  private readonly entries = new Map<string, { at: number; sig: string; value: Forecast }>();
  computed = 0;
  reused = 0;

  constructor(private readonly opts: ForecastCacheOptions = {}) {}

  get(series: string, x: ForecastInputs): Forecast {
    const sig = signature(x);
    const e = this.entries.get(series);
    const age = e ? x.now - e.at : Infinity;
    if (e && age >= 0 && age < (this.opts.ttlMs ?? 30_000) && (e.sig === sig || age < (this.opts.minRecomputeMs ?? 2000))) {
      this.reused++;
      return e.value;
    }
    const value = forecast(x, this.opts.forecast);
    this.entries.set(series, { at: x.now, sig, value });
    this.computed++;
    return value;
  }

  forget(series: string): void {
    this.entries.delete(series);
  }

  get size(): number {
    return this.entries.size;
  }
}

function signature(x: ForecastInputs): string {
  const r = (v: number | null | undefined) => (typeof v === "number" && Number.isFinite(v) ? v.toPrecision(3) : "-");
  const s = x.interval?.soFar;
  return [x.waiting, x.busy, r(x.agents), r(x.mu), r(x.theta), r(x.phi), r(x.lambda), r(x.lambdaTrend), r(x.holSeconds), x.interval?.end ?? "-", s ? `${s.answered},${s.overSla},${s.abandoned},${s.shortAbandoned},${s.flowout}` : "-"].join("|");
}
