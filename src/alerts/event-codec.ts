/**
 * How a PagerDuty event is stored in the alert outbox (`alert_flushes.samples`).
 *   version 1: the event rode in a metric flush (one sample whose `event` label held its JSON),
 *              gzip'd like the export outbox's version 1 rows; still read, never written;
 *   version 2: `{"v":2,"event":{...}}` as UTF-8 JSON (an event is a few hundred bytes: gzip would
 *              not pay for itself).
 * The routing key is never part of it: it is added at send time.
 * Whatever the version, what comes out is checked to be an event we could have written, so a
 * damaged row is dead-lettered as undecodable instead of being sent as garbage.
 */
import type { Codec } from "../delivery/outbox.js";
import { flushCodec } from "../sinks/flush-codec.js";
import type { PagerDutyEvent, StoredEvent } from "./pagerduty.js";


/** A stored event: what to send, and the monitor-clock time it was queued. */

const GZIP = [0x1f, 0x8b];

function checked(e: unknown): PagerDutyEvent {
  const o = e as Partial<PagerDutyEvent> | null;
  if (!o || typeof o !== "object") throw new Error("not an object");
  if (o.event_action !== "trigger" && o.event_action !== "resolve") throw new Error(`event_action ${JSON.stringify(o.event_action)} is neither trigger nor resolve`);
  if (typeof o.dedup_key !== "string" || o.dedup_key === "") throw new Error("no dedup_key");
  if (o.event_action === "trigger" && (typeof o.payload !== "object" || o.payload === null || typeof o.payload.summary !== "string")) throw new Error("trigger without payload.summary");
  return o as PagerDutyEvent;
}

function decode(b: Buffer): StoredEvent {
  if (b[0] === GZIP[0] && b[1] === GZIP[1]) {
    const f = flushCodec.decode(b);
    const label = f.samples[0]?.labels.event;
    if (f.samples.length !== 1 || typeof label !== "string") throw new Error("version 1 row without exactly one event sample");
    return { at: f.at, event: checked(JSON.parse(label)) };
  }
  const p = JSON.parse(b.toString("utf8")) as { v?: unknown; at?: unknown; event?: unknown } | null;
  if (!p || p.v !== 2) throw new Error(`unknown stored event version ${JSON.stringify(p?.v)}`);
  if (typeof p.at !== "number") throw new Error("no time");
  return { at: p.at, event: checked(p.event) };
}

export const eventCodec: Codec<StoredEvent> = {
  name: "pagerduty-event",
  version: 2,
  encode: (s) => Buffer.from(JSON.stringify({ v: 2, at: s.at, event: s.event }), "utf8"),
  decode,
  at: (s) => s.at,
};
