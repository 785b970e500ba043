/**
 * Deterministic heavy-tailed wait-time generator used by the benches and property tests:
 * lognormal (median 20 s), a 5 % Pareto tail, 2 % zeros and 0.05 % huge outliers (1e4..1e6 s),
 * as in shared/reference/quantile-sketches.md.
 */
import { mulberry32 } from "../src/util/random.js";

export { mulberry32 };

export function heavyTailedWaits(n: number, seed = 42): Float64Array {
  const rnd = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rnd();
    if (u < 0.02) out[i] = 0;
    else if (u < 0.0205) out[i] = 1e4 + rnd() * (1e6 - 1e4);
    else if (u < 0.0705) out[i] = 60 / Math.pow(1 - rnd(), 1 / 1.5); // Pareto, alpha 1.5, from 60 s
    else {
      const z = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
      out[i] = 20 * Math.exp(0.8 * z);
    }
  }
  return out;
}
