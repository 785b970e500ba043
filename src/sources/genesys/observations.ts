/**
 * The observations query (POST /api/v2/analytics/queues/observations/query, genesys-api.md §4b):
 * every queue's staffing and "now" figures in one read. The topic sends only changes, so without
 * this a queue whose frames never carry a figure (the real captured frame has no oInteracting)
 * would never show it, and staffing would stay unknown until an agent changes status. Run at
 * start, after every reconnect and periodically; one read at a time (a request that comes while
 * one runs is folded into one more read after it). Requests go through the shared rate limit as
 * analytics calls. Failures are counted and logged (rate-limited); the last readings stay.
 */
import { OBSERVATION_QUERY_PATH, parseSnapshot, snapshotQueries, type SnapshotUpdate } from "../../normalize/observation-query.js";
import type { StaffingUpdate } from "../../normalize/staffing.js";
import type { Clock } from "../../util/clock.js";
import type { Logger } from "../../util/log.js";
import { ThrottledLog } from "../../util/throttled-log.js";
import type { DetailsApi } from "./backfill/query.js";

export interface SnapshotTargets {
  queueIds(): string[];
  media(u: SnapshotUpdate): void;
  staffing(u: StaffingUpdate): void;
}

export class ObservationSnapshots {
  queries = 0;
  failures = 0;
  dropped = 0;
  private running: Promise<void> | null = null;
  private again = false;
  private readonly failLog: ThrottledLog;

  constructor(
    private readonly client: DetailsApi,
    private readonly targets: SnapshotTargets,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.failLog = new ThrottledLog(log, { intervalMs: 60_000 });
  }

  /** Reads every queue now (or once more after the read under way). Never rejects. */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.readAll();
      } while (this.again);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async readAll(): Promise<void> {
    for (const body of snapshotQueries(this.targets.queueIds())) {
      try {
        this.queries++;
        // The answer is for some instant after the request was sent: stamped with the send time, a
        // topic message that changed a figure while the answer was on its way is newer and wins;
        // stamped with the receive time, the snapshot would refuse that message as stale.
        const sent = this.clock.now();
        const res = await this.client.call<unknown>("POST", OBSERVATION_QUERY_PATH, body);
        const parsed = parseSnapshot(res.body, sent);
        this.dropped += parsed.dropped;
        if (parsed.dropped > 0) this.failLog.warn("dropped", { dropped: parsed.dropped, total: this.dropped }, "observations query: unreadable parts of the answer skipped");
        for (const u of parsed.media) this.targets.media(u);
        for (const u of parsed.staffing) this.targets.staffing(u);
        if (this.failLog.clear("failed")) this.log.info({ failures: this.failures }, "observations query works again");
      } catch (e) {
        this.failures++;
        this.failLog.warn("failed", { err: (e as Error).message, failures: this.failures }, "observations query failed; staffing and now figures keep their last readings");
      }
    }
  }
}
