/**
 * The payloads modelled on published Genesys samples (test/fixtures/README.md names each source)
 * through both normalizers.
 *  - Details: the oracle is Genesys' own metrics in the same payload, not our reading of the
 *    segments: a visit is offered at its nOffered emit time, waits its tAcd value, and was answered
 *    when an agent session carries a tAnswered of that value.
 *  - Snapshots (REST and notification bodies): expectations from the fixtures' own timestamps.
 *  - Agreement: each details conversation rewritten as the live snapshot of the same call (a
 *    built transform: acd connected/end = its interact segment, agent connected = its interact
 *    start) reads the same visits.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { QueueEvent } from "../../../src/domain/queue-event.js";
import { eventsFromSnapshot } from "../../../src/normalize/conversation.js";
import { eventsFromDetails } from "../../../src/normalize/details.js";
import { ms } from "../../../src/normalize/time.js";

const dir = join(fileURLToPath(import.meta.url), "../../../../../test/fixtures");
const load = (f: string): any => JSON.parse(readFileSync(join(dir, f), "utf8"));
const detailsFiles = readdirSync(dir).filter((f) => f.startsWith("built-details-"));
const conversationsOf = (body: any): any[] => body.conversations ?? [body];

const line = (e: QueueEvent) => `${e.kind} ${e.participantId} ${e.queueId} ${e.mediaType} ${new Date(e.time).toISOString()} ${e.waitMs ?? "-"}`;

test("details fixtures: every visit matches Genesys' own nOffered / tAcd / tAnswered", () => {
  let checked = 0;
  for (const f of detailsFiles) {
    for (const conv of conversationsOf(load(f))) {
      const events = eventsFromDetails(conv);
      const answeredValues = conv.participants
        .filter((p: any) => p.purpose === "agent")
        .flatMap((p: any) => p.sessions.flatMap((s: any) => (s.metrics ?? []).filter((m: any) => m.name === "tAnswered").map((m: any) => m.value)));
      for (const p of conv.participants.filter((x: any) => x.purpose === "acd")) {
        for (const s of p.sessions) {
          const metric = (name: string) => (s.metrics ?? []).find((m: any) => m.name === name);
          const offered = metric("nOffered");
          const tAcd = metric("tAcd");
          if (!offered) continue; // 2016 data carries no metrics
          const mine = events.filter((e) => e.participantId === p.participantId);
          assert.equal(mine[0]?.kind, "offered", `${f} ${p.participantId}`);
          assert.equal(mine[0].time, ms(offered.emitDate), `${f} ${p.participantId}: offered at nOffered's emitDate`);
          if (!tAcd) continue;
          const end = mine[1];
          assert.ok(end, `${f} ${p.participantId}: ended`);
          assert.equal(end.waitMs, tAcd.value, `${f} ${p.participantId}: wait = tAcd`);
          assert.equal(end.time, ms(tAcd.emitDate), `${f} ${p.participantId}: ends at tAcd's emitDate`);
          const expected = metric("tAbandon") ? "abandoned" : metric("tFlowOut") ? "flowout" : answeredValues.includes(tAcd.value) ? "answered" : "flowout";
          assert.equal(end.kind, expected, `${f} ${p.participantId}`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked >= 10, `${checked} visits checked against metrics`);
});

test("details fixtures without metrics and with unpadded dates still give their visits", () => {
  const old = conversationsOf(load("built-details-2016-callback-and-voice.json")).flatMap((c) => eventsFromDetails(c));
  assert.deepEqual(
    old.map((e) => `${e.kind} ${e.mediaType}`),
    ["offered callback", "answered callback", "offered voice", "answered voice"],
    "the callback's no-answer alert (system) and the internal caller (purpose user) answer nothing",
  );
  const unpadded = load("built-details-chat-unpadded-dates.json");
  const events = conversationsOf(unpadded).flatMap((c) => eventsFromDetails(c));
  assert.deepEqual(events.map((e) => e.kind), ["offered", "answered"]);
});

test("snapshot fixtures (GET conversations REST bodies): acd connectedTime to endTime, agents on either side of the end", () => {
  const noAnswer = load("built-conversation-call-noanswer-then-answered.json");
  const acd = noAnswer.participants.find((p: any) => p.purpose === "acd");
  assert.deepEqual(eventsFromSnapshot(noAnswer).map(line), [
    `offered ${acd.id} ${acd.queue.id} voice 2022-12-13T13:14:10.469Z -`,
    // Two agent legs without connectedTime (no answer, `client`); the third connects 51 ms before the acd end.
    `answered ${acd.id} ${acd.queue.id} voice 2022-12-13T13:14:23.251Z ${Date.parse("2022-12-13T13:14:23.251Z") - Date.parse("2022-12-13T13:14:10.469Z")}`,
  ]);
  const active = load("built-conversations-calls-active.json").entities[0];
  const acd2 = active.participants.find((p: any) => p.purpose === "acd");
  assert.deepEqual(eventsFromSnapshot(active).map(line), [`offered ${acd2.id} ${acd2.queue.id} voice 2022-04-22T08:29:58.411Z -`, `answered ${acd2.id} ${acd2.queue.id} voice 2022-04-22T08:30:01.479Z 3068`]);
  const callback = load("built-conversation-callback-scheduled.json");
  const acd3 = callback.participants.find((p: any) => p.purpose === "acd");
  assert.deepEqual(eventsFromSnapshot(callback).map(line), [`offered ${acd3.id} ${acd3.queueId} callback 2022-07-04T11:00:01.092Z -`], "five alerts timed out: still waiting");
});

/** Built: the live snapshot of a details conversation (what the notification would have shown). */
function snapshotOf(conv: any): any {
  const key: Record<string, string> = { voice: "calls", callback: "callbacks", chat: "chats", email: "emails", message: "messages" };
  return {
    id: conv.conversationId,
    participants: conv.participants.flatMap((p: any) =>
      p.sessions.map((s: any) => {
        const segs = s.segments ?? [];
        const interact = segs.filter((g: any) => g.segmentType === "interact");
        const first = interact[0] ?? segs[0];
        const last = segs.at(-1);
        const queueId = segs.find((g: any) => g.queueId)?.queueId;
        const connected = p.purpose === "agent" ? interact[0]?.segmentStart : first?.segmentStart;
        const ended = segs.every((g: any) => g.segmentEnd) ? segs.map((g: any) => g.segmentEnd).sort().at(-1) : undefined;
        return {
          id: p.participantId,
          purpose: p.purpose,
          ...(queueId ? { queueId } : {}),
          ...(connected ? { connectedTime: connected } : {}),
          ...(ended ? { endTime: ended } : {}),
          [key[s.mediaType] ?? "calls"]: [{ state: ended ? "disconnected" : "connected", ...(last?.disconnectType ? { disconnectType: last.disconnectType } : {}) }],
        };
      }),
    ),
  };
}

test("stream and details agree on every visit of every details fixture", () => {
  let visits = 0;
  for (const f of detailsFiles) {
    for (const conv of conversationsOf(load(f))) {
      const fromDetails = eventsFromDetails(conv).map(line);
      assert.deepEqual(eventsFromSnapshot(snapshotOf(conv)).map(line), fromDetails, f);
      visits += fromDetails.length;
    }
  }
  assert.ok(visits >= 20, `${visits} events compared`);
});
