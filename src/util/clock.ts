/**
 * Time sources. Everything that asks "what time is it?" takes a Clock, so the monitor and a
 * sped-up emulator agree on "now", and tests control time.
 */
export interface Clock {
  /** Epoch milliseconds on this clock. */
  now(): number;
  /** How many clock milliseconds pass per real millisecond (1 for the system clock). */
  readonly speed: number;
}

export const systemClock: Clock = { now: () => Date.now(), speed: 1 };

/** A clock that started at `start` (epoch ms) when real time was `realStart` and runs `speed` x faster. */
export class VirtualClock implements Clock {
  constructor(
    readonly start: number,
    readonly speed: number,
    private readonly realStart: number = Date.now(),
  ) {
    if (!(speed > 0)) throw new RangeError(`clock speed must be > 0, got ${speed}`);
  }

  now(): number {
    return Math.floor(this.start + (Date.now() - this.realStart) * this.speed);
  }

  /** Real milliseconds until this clock reaches `t`. */
  realDelayUntil(t: number): number {
    return Math.max(0, (t - this.now()) / this.speed);
  }
}

/** A clock moved by hand, for unit tests. */
export class ManualClock implements Clock {
  readonly speed = 1;
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
