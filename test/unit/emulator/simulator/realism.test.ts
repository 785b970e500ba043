/**
 * The emulator shows what the real Genesys Cloud shows (genesys-api.md §3a, §4a, §10): skewed
 * agent connect vs acd end, documented disconnect types, providers per media, callbacks, IVR /
 * workflow / delay segments, one agent participant with several sessions, in-queue flow
 * transfers; and the ground truth stays exact underneath. Pure: simulator + renderers, no sockets.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { conversationDetails, conversationSnapshot } from "../../../../src/emulator/render.js";
import { loadScenario } from "../../../../src/emulator/simulator/load-scenario.js";
import { MAX_ANSWER_SKEW_MS, MAX_ANSWERED_EMIT_SKEW_MS, Simulator, type SimConversation, type SimParticipant, type SimSession } from "../../../../src/emulator/simulator/simulator.js";

const start = Date.parse("2026-02-02T09:00:00Z");

/** Four simulated hours of the steady scenario, every version kept, every snapshot rendered. */
function run(seed = 21) {
  const sim = new Simulator(loadScenario("steady"), { seed, start, durationMinutes: 240 });
  const snapshots: { conv: SimConversation; body: any }[] = [];
  sim.listen({
    conversationChanged: (conv) => {
      const v = conv.versions[conv.versions.length - 1];
      snapshots.push({ conv, body: JSON.parse(JSON.stringify(conversationSnapshot(conv, v.participants))) });
    },
  });
  sim.advanceTo(start + 6 * 3_600_000);
  assert.ok(sim.settled);
  const details = [...sim.conversations.values()].map((c) => ({
    conv: c,
    body: JSON.parse(JSON.stringify(conversationDetails(c, c.versions[c.versions.length - 1].participants, c.end))) as any,
  }));
  return { sim, snapshots, details };
}

const { sim, snapshots, details } = run();
const finalParticipants = (c: SimConversation) => c.versions[c.versions.length - 1].participants;
const all = [...sim.conversations.values()];
const sessionsOf = (purpose: string) => all.flatMap((c) => finalParticipants(c).filter((p) => p.purpose === purpose).flatMap((p) => p.sessions.map((s) => ({ c, p, s }))));

/** For every answered acd leg: the answering agent session (linked by the simulator). */
function answeredPairs(): { c: SimConversation; acd: SimParticipant; acdS: SimSession; agentS: SimSession }[] {
  const out = [];
  for (const { c, p, s } of sessionsOf("acd")) {
    if (s.outcome !== "answered") continue;
    const agentS = finalParticipants(c).flatMap((x) => x.sessions).find((x) => x.answered?.acdParticipantId === p.id);
    assert.ok(agentS, `answered leg ${p.id} has its agent session`);
    out.push({ c, acd: p, acdS: s, agentS });
  }
  return out;
}

test("agent connect and acd end are apart by up to 100 ms, either way; tAnswered == tAcd == the acd leg's span", () => {
  const pairs = answeredPairs();
  assert.ok(pairs.length > 500, `${pairs.length} answered legs`);
  const skews = pairs.map(({ acdS, agentS }) => agentS.connectedTime! - acdS.endTime!);
  assert.ok(skews.every((d) => Math.abs(d) <= MAX_ANSWER_SKEW_MS), `max |skew| ${Math.max(...skews.map(Math.abs))}`);
  assert.ok(skews.filter((d) => d > 0).length > pairs.length / 4, "agent connects after the acd end often");
  assert.ok(skews.filter((d) => d < 0).length > pairs.length / 4, "agent connects before the acd end often");
  assert.ok(skews.some((d) => Math.abs(d) > 50), "skews reach well beyond a few ms");
  for (const { acdS, agentS } of pairs) {
    // The leg spans from its interact start (a leading delay is outside tAcd) to its last segment's end.
    const span = acdS.segments[acdS.segments.length - 1].end! - acdS.segments.find((g) => g.type === "interact")!.start;
    assert.equal(acdS.waitMs, span);
    assert.equal(agentS.answered!.value, span);
    assert.ok(Math.abs(agentS.answered!.emitAt - acdS.endTime!) <= MAX_ANSWERED_EMIT_SKEW_MS);
    assert.ok(Number.isInteger(agentS.answered!.emitAt) && Number.isInteger(acdS.endTime!));
  }
  // Ground truth: answered at the acd end, wait = acd end - acd start, exactly.
  const truth = new Map(sim.events.filter((e) => e.kind === "answered").map((e) => [e.participantId, e]));
  assert.equal(truth.size, pairs.length);
  for (const { acd, acdS } of pairs) {
    assert.equal(truth.get(acd.id)!.time, acdS.endTime);
    assert.equal(truth.get(acd.id)!.waitMs, acdS.endTime! - acdS.segments.find((g) => g.type === "interact")!.start);
  }
});

test("details render the same facts: agent interact start = its connect, tAnswered = tAcd = acd segment span", () => {
  let checked = 0;
  for (const { body } of details) {
    const acds = new Map<string, any>(body.participants.filter((p: any) => p.purpose === "acd").map((p: any) => [p.sessions[0].segments[0].queueId + "|" + p.sessions[0].metrics.find((m: any) => m.name === "tAcd")?.value, p]));
    for (const p of body.participants.filter((x: any) => x.purpose === "agent")) {
      for (const s of p.sessions) {
        const answered = s.metrics.find((m: any) => m.name === "tAnswered");
        if (!answered) continue;
        const interact = s.segments.find((g: any) => g.segmentType === "interact");
        const acd = acds.get(interact.queueId + "|" + answered.value);
        assert.ok(acd, "an acd leg on the same queue with tAcd == tAnswered");
        const segs = acd.sessions[0].segments;
        const span = Date.parse(segs[segs.length - 1].segmentEnd) - Date.parse(segs.find((g: any) => g.segmentType === "interact").segmentStart);
        assert.equal(answered.value, span);
        const skew = Date.parse(interact.segmentStart) - Date.parse(segs[segs.length - 1].segmentEnd);
        assert.ok(Math.abs(skew) <= MAX_ANSWER_SKEW_MS);
        assert.ok(Math.abs(Date.parse(answered.emitDate) - Date.parse(segs[segs.length - 1].segmentEnd)) <= MAX_ANSWERED_EMIT_SKEW_MS);
        checked++;
      }
    }
  }
  assert.ok(checked > 500, `${checked} answered sessions`);
});

test("some snapshots show the agent connected before the acd leg ends, others the acd leg ended while the agent still alerts", () => {
  let agentFirst = 0;
  let acdFirst = 0;
  for (const { body } of snapshots) {
    const parts = body.participants as any[];
    const openAcd = parts.some((p) => p.purpose === "acd" && !p.endTime);
    const connectedAgent = parts.some((p) => p.purpose === "agent" && p.calls?.concat(p.chats ?? [], p.messages ?? [], p.callbacks ?? [], p.emails ?? []).some((c: any) => c.state === "connected"));
    const alertingAgent = parts.some((p) => p.purpose === "agent" && [...(p.calls ?? []), ...(p.chats ?? []), ...(p.messages ?? []), ...(p.callbacks ?? [])].some((c: any) => c.state === "alerting"));
    const answeredAcdEnded = parts.filter((p) => p.purpose === "acd").at(-1)?.endTime && parts.filter((p) => p.purpose === "acd").at(-1)?.calls?.[0]?.disconnectType === "transfer";
    const customerOn = parts[0].endTime === undefined;
    if (openAcd && connectedAgent && customerOn) agentFirst++;
    if (answeredAcdEnded && alertingAgent && customerOn && !openAcd) acdFirst++;
  }
  assert.ok(agentFirst > 5, `agent connected while the acd leg is open: ${agentFirst}`);
  assert.ok(acdFirst > 5, `acd leg ended while the agent alerts: ${acdFirst}`);
});

test("disconnect types are the documented ones, each side as the real service shows it", () => {
  const acd = sessionsOf("acd");
  for (const { s } of acd) {
    if (s.outcome === "abandoned") assert.equal(s.disconnectType, "peer");
    else assert.equal(s.disconnectType, "transfer");
  }
  const abandonedConvs = new Set(sim.events.filter((e) => e.kind === "abandoned").map((e) => e.conversationId));
  for (const id of abandonedConvs) assert.equal(finalParticipants(sim.conversations.get(id)!)[0].sessions[0].disconnectType, "endpoint");
  const agent = sessionsOf("agent");
  const kinds = new Set(agent.map(({ s }) => `${s.noAnswer ? "noanswer" : s.answered ? "answered" : "dropped"}:${s.disconnectType}`));
  for (const k of ["noanswer:system", "noanswer:client", "answered:client", "answered:peer", "answered:transfer", "dropped:peer", "dropped:system"]) assert.ok(kinds.has(k), `agent session ${k} occurs (${[...kinds].join(", ")})`);
  assert.ok(![...kinds].some((k) => k.includes("transfer.noanswer")), "no undocumented no-answer variant");
  // The side that hangs up shows client (agent) or endpoint (customer); the other side peer.
  for (const c of all) {
    const parts = finalParticipants(c);
    const customer = parts[0].sessions[0].disconnectType;
    const last = parts.filter((p) => p.purpose === "agent").flatMap((p) => p.sessions).filter((s) => s.answered).at(-1);
    if (!last || parts.some((p) => p.purpose === "voicemail") || last.disconnectType === "transfer") continue;
    assert.ok((last.disconnectType === "client" && customer === "peer") || (last.disconnectType === "peer" && customer === "endpoint"), `${last.disconnectType} / ${customer}`);
  }
});

test("providers per media (Edge is voice only); callbacks are scheduled callback communications", () => {
  const byMedia = new Map<string, Set<string>>();
  for (const { conv, body } of snapshots) {
    for (const p of body.participants) {
      for (const key of ["calls", "callbacks", "chats", "emails", "messages"]) {
        for (const comm of p[key] ?? []) {
          const set = byMedia.get(conv.mediaType) ?? new Set();
          set.add(comm.provider);
          byMedia.set(conv.mediaType, set);
        }
      }
    }
  }
  assert.deepEqual([...byMedia.get("voice")!], ["Edge"]);
  for (const [media, set] of byMedia) if (media !== "voice") assert.ok(!set.has("Edge"), `${media}: ${[...set]}`);
  assert.deepEqual([...byMedia.get("message")!], ["PureCloud Messaging"]);
  assert.deepEqual([...byMedia.get("callback")!], ["PureCloud Callback"]);
  assert.deepEqual([...byMedia.get("chat")!].sort(), ["PureCloud Webchat v2", "Webchat Provider"]);
  const cb = snapshots.find(({ conv }) => conv.mediaType === "callback")!;
  const customerCb = cb.body.participants[0].callbacks[0];
  assert.equal(customerCb.initialState, "scheduled");
  assert.ok(Array.isArray(customerCb.callbackNumbers) && customerCb.callbackNumbers.length === 1);
  const cbDetails = details.find(({ conv }) => conv.mediaType === "callback")!.body;
  const cs = cbDetails.participants[0].sessions[0];
  assert.equal(cs.mediaType, "callback");
  assert.ok(cs.callbackNumbers.length === 1 && cs.callbackScheduledTime && cs.callbackUserName);
});

test("voice passes an IVR before the queue; digital media sometimes a workflow; acd legs sometimes carry delay segments", () => {
  const voice = details.filter(({ conv }) => conv.mediaType === "voice");
  let ivrs = 0;
  for (const { body } of voice) {
    const ivr = body.participants.find((p: any) => p.purpose === "ivr");
    if (!ivr) continue;
    ivrs++;
    const s = ivr.sessions[0];
    assert.deepEqual(s.segments.map((g: any) => g.segmentType), ["system", "ivr"]);
    assert.equal(s.flow.flowType, "INBOUNDCALL");
    const firstAcd = body.participants.find((p: any) => p.purpose === "acd");
    assert.ok(Date.parse(firstAcd.sessions[0].segments[0].segmentStart) >= Date.parse(s.segments[1].segmentEnd));
    assert.equal(firstAcd.sessions[0].flowInType, "ivr");
    assert.equal(s.flow.transferTargetAddress, firstAcd.sessions[0].segments[0].queueId);
  }
  assert.ok(ivrs > voice.length * 0.9, `${ivrs} of ${voice.length} voice calls have an IVR`);
  const workflows = details.filter(({ body }) => body.participants.some((p: any) => p.purpose === "workflow"));
  assert.ok(workflows.length > 10 && workflows.every(({ conv }) => conv.mediaType !== "voice"));
  // Delay segments: a short one (tens of ms) before the interact segment, outside tAcd and after
  // nOffered, as in published voice details; or one between two interact segments, inside the leg.
  let leading = 0;
  let middle = 0;
  for (const { body } of details) {
    for (const p of body.participants.filter((x: any) => x.purpose === "acd")) {
      const s = p.sessions[0];
      const types = s.segments.map((g: any) => g.segmentType);
      if (types[0] === "delay") leading++;
      else if (types.includes("delay")) middle++;
      const tAcd = s.metrics.find((m: any) => m.name === "tAcd");
      const interact = s.segments.find((g: any) => g.segmentType === "interact");
      if (types[0] === "delay") assert.ok(Date.parse(s.segments[0].segmentEnd) - Date.parse(s.segments[0].segmentStart) <= 50, "a leading delay lasts tens of ms");
      if (tAcd) assert.equal(tAcd.value, Date.parse(s.segments.at(-1).segmentEnd) - Date.parse(interact.segmentStart));
      const nOffered = s.metrics.find((m: any) => m.name === "nOffered");
      assert.equal(nOffered.emitDate, interact.segmentStart);
    }
  }
  assert.ok(leading > 10 && middle > 10, `leading ${leading}, middle ${middle}`);
});

test("one agent participant carries several sessions (on different queues, or alerted twice); the snapshot shows several communications", () => {
  let multiQueue = 0;
  let multiSession = 0;
  for (const { body } of details) {
    for (const p of body.participants.filter((x: any) => x.purpose === "agent")) {
      if (p.sessions.length > 1) multiSession++;
      const queues = new Set(p.sessions.flatMap((s: any) => s.segments.map((g: any) => g.queueId)));
      if (queues.size > 1) multiQueue++;
    }
    const userIds = body.participants.filter((x: any) => x.purpose === "agent").map((p: any) => p.userId);
    assert.equal(new Set(userIds).size, userIds.length, "one agent participant per user per conversation");
  }
  assert.ok(multiSession > 5, `${multiSession} agent participants with several sessions`);
  assert.ok(multiQueue > 0, `${multiQueue} agent participants with sessions on two queues`);
  const snap = snapshots.find(({ body }) => body.participants.some((p: any) => p.purpose === "agent" && (p.calls ?? p.chats ?? p.messages ?? p.callbacks ?? []).length > 1));
  assert.ok(snap, "a snapshot with an agent holding two communications");
});

test("in-queue flow to another queue: the acd leg ends transfer (a flow-out) and a new acd participant appears on the other queue", () => {
  const billing = sim.queues.find((q) => q.name === "Billing")!.id;
  const support = sim.queues.find((q) => q.name === "Support")!.id;
  let moved = 0;
  for (const c of all) {
    const acds = finalParticipants(c).filter((p) => p.purpose === "acd");
    for (let i = 0; i + 1 < acds.length; i++) {
      const s = acds[i].sessions[0];
      if (acds[i].queueId === support && s.outcome === "flowout" && acds[i + 1].queueId === billing) {
        assert.equal(s.disconnectType, "transfer");
        assert.equal(acds[i + 1].sessions[0].startTime, s.endTime);
        assert.equal(acds[i + 1].sessions[0].flowInType, "acd");
        moved++;
      }
    }
  }
  assert.ok(moved > 0, "some Support flow-outs go on to Billing");
  const voicemails = all.filter((c) => finalParticipants(c).some((p) => p.purpose === "voicemail"));
  assert.ok(voicemails.length > 0, "others go to voicemail");
});

test("the ground truth is exact and complete whatever the presentation", () => {
  const offered = sim.events.filter((e) => e.kind === "offered");
  const ended = sim.events.filter((e) => e.kind !== "offered");
  assert.equal(ended.length, offered.length);
  const starts = new Map(offered.map((e) => [e.participantId, e.time]));
  for (const e of ended) {
    assert.ok(Number.isInteger(e.time) && Number.isInteger(e.waitMs));
    assert.equal(e.waitMs, e.time - starts.get(e.participantId)!);
  }
  const again = run(21);
  assert.deepEqual(again.sim.events, sim.events, "deterministic for a seed");
});
