/**
 * The simulated queues: created from the scenario or at run time, renamed, moved between
 * divisions, removed (a removed queue's calls in progress still finish), and what is in them now.
 */
import { uuid, type Rng } from "../../util/random.js";
import { createAgents } from "./agents.js";
import { shiftProblems, type QueueSpec, type Scenario } from "./scenario.js";
import type { HandlingCall, QueueRuntime, SimQueue, WaitingCall } from "./types.js";

/** Live figures of one queue x media for observations. */
export interface MediaObservation {
  waiting: WaitingCall[];
  interacting: number;
  alerting: number;
  /** Answered calls being handled (oInteracting detail observations). */
  handling: HandlingCall[];
}

export class QueueRegistry {
  private readonly divisions = new Map<string, string>();
  readonly runtimes = new Map<string, QueueRuntime>();
  private readonly byName = new Map<string, QueueRuntime>();

  constructor(
    private readonly ids: Rng,
    private readonly scenario: Scenario,
  ) {}

  /** The queues that exist now. */
  get live(): SimQueue[] {
    return [...this.runtimes.values()].filter((rt) => !rt.removed).map((rt) => rt.q);
  }

  /** The queue last given `name` (removed or not): transfer and flow-out targets are named. */
  named(name: string): QueueRuntime | undefined {
    return this.byName.get(name);
  }

  liveByName(name: string): QueueRuntime | undefined {
    const rt = this.byName.get(name);
    return rt && !rt.removed ? rt : undefined;
  }

  /** Checks a queue added at run time: a unique name, and only known queues named. */
  checkNew(spec: QueueSpec): void {
    if (this.liveByName(spec.name)) throw new RangeError(`a queue named ${spec.name} exists`);
    const problems = shiftProblems(spec, this.scenario.cycleMinutes);
    if (problems.length > 0) throw new RangeError(problems[0]);
    for (const target of [spec.transferTo, spec.flowOutTo, ...(spec.alsoServes ?? [])]) {
      if (target && !this.byName.has(target)) throw new RangeError(`queue ${spec.name} names unknown queue ${target}`);
    }
  }

  create(spec: QueueSpec): QueueRuntime {
    if (!this.divisions.has(spec.division)) this.divisions.set(spec.division, uuid(this.ids));
    const q: SimQueue = {
      id: uuid(this.ids),
      name: spec.name,
      divisionId: this.divisions.get(spec.division)!,
      divisionName: spec.division,
      spec,
    };
    const surges = this.scenario.surges.filter((x) => x.queue === spec.name);
    // Surges can overlap: the rate can reach the product of their factors.
    const surgeMax = surges.reduce((m, x) => m * Math.max(1, x.factor), 1);
    const profileMax = spec.hourlyProfile ? Math.max(...spec.hourlyProfile) : 1;
    const rt: QueueRuntime = {
      q,
      agents: [],
      waiting: [],
      interacting: new Map(),
      handling: new Set(),
      maxRate: (spec.arrivalsPerHour / 3_600_000) * surgeMax * profileMax,
      surges,
      removed: false,
    };
    rt.agents = createAgents(rt, this.ids);
    this.runtimes.set(q.id, rt);
    this.byName.set(q.name, rt);
    return rt;
  }

  /**
   * Renames a queue and/or moves it to another division (by id, or by name: a new name makes a
   * new division). Its id, calls, history and ground truth stay as they are.
   */
  update(id: string, change: { name?: string; division?: string }): SimQueue | undefined {
    const rt = this.runtimes.get(id);
    if (!rt || rt.removed) return undefined;
    if (change.name !== undefined && change.name !== rt.q.name) {
      if (this.liveByName(change.name)) throw new RangeError(`a queue named ${change.name} exists`);
      if (this.byName.get(rt.q.name) === rt) this.byName.delete(rt.q.name);
      rt.q.name = change.name;
      this.byName.set(change.name, rt);
    }
    if (change.division !== undefined) {
      const byId = [...this.divisions].find(([, did]) => did === change.division);
      const name = byId ? byId[0] : change.division;
      if (!this.divisions.has(name)) this.divisions.set(name, uuid(this.ids));
      rt.q.divisionName = name;
      rt.q.divisionId = this.divisions.get(name)!;
    }
    return rt.q;
  }

  /** Deletes a queue: no new callers, it leaves the routing API; calls in progress finish. */
  remove(id: string): boolean {
    const rt = this.runtimes.get(id);
    if (!rt || rt.removed) return false;
    rt.removed = true;
    return true;
  }

  /** A queue by id, removed ones included unless asked (their calls in progress still need it). */
  byId(id: string, includeRemoved = true): SimQueue | undefined {
    const rt = this.runtimes.get(id);
    return rt && (includeRemoved || !rt.removed) ? rt.q : undefined;
  }

  /** Calls waiting in every queue. */
  get waiting(): number {
    let waiting = 0;
    for (const rt of this.runtimes.values()) waiting += rt.waiting.length;
    return waiting;
  }

  /** Live figures for observations: waiting / interacting / alerting per media, and the waiting legs. */
  observe(queueId: string): Map<string, MediaObservation> {
    const rt = this.runtimes.get(queueId);
    const out = new Map<string, MediaObservation>();
    if (!rt) return out;
    // Transfers can bring media the queue's own callers never use, so entries are made on demand.
    const entry = (media: string) => {
      let o = out.get(media);
      if (!o) out.set(media, (o = { waiting: [], interacting: 0, alerting: 0, handling: [] }));
      return o;
    };
    for (const media of Object.keys(rt.q.spec.media)) entry(media);
    for (const w of rt.waiting) {
      const o = entry(w.conv.mediaType);
      o.waiting.push(w);
      if (w.alerting) o.alerting++;
    }
    for (const [media, n] of rt.interacting) entry(media).interacting = n;
    for (const h of rt.handling) entry(h.conv.mediaType).handling.push(h);
    return out;
  }
}
