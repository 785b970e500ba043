import { InvalidArgumentError } from "commander";

/** A commander argument parser for numbers that names the flag in its error. */
export function number(name: string, opts: { min?: number; integer?: boolean } = {}) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
      throw new InvalidArgumentError(`${name} must be ${opts.integer ? "an integer" : "a number"}${opts.min !== undefined ? ` >= ${opts.min}` : ""}, got "${v}"`);
    }
    return n;
  };
}
