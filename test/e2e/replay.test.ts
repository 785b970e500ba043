/**
 * `replay` and `run --record`: hand-checked inputs give the events their visits imply, malformed
 * input is reported with file:line and skipped, the recorder survives write errors and cut lines,
 * and a recorded monitor run replays to the totals the live monitor served.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { Replay, type ReplaySink } from "../../src/commands/replay.js";
import { Recorder } from "../../src/record/recording.js";
import { ManualClock } from "../../src/util/clock.js";
import { silentLogger } from "../../src/util/log.js";
import { startTestEmulator, waitUntil } from "../helpers/emulator.js";
import { CLI, freePort, MonitorProcess } from "../helpers/monitor-process.js";

// ---- a hand-made world ----------------------------------------------------------------------

const T0 = Date.parse("2026-03-02T09:00:00.000Z");
const iso = (t: number) => new Date(t).toISOString();
const QA = "11111111-1111-4111-8111-111111111111";
const QB = "22222222-2222-4222-8222-222222222222";

/** One queue visit as it stands at some moment: the facts every reading of it must give. */
interface Leg {
  acd: string;
  queueId: string;
  start: number;
  end?: number;
  outcome?: "answered" | "abandoned" | "flowout";
}
interface ConvState {
  id: string;
  media: "voice" | "chat";
  legs: Leg[];
  /** The customer hung up at this time. */
  customerEnd?: number;
}

/**
 * The conversations, each at successive moments. Times and outcomes are the ground truth:
 *  c-ans  QA voice: waits 0..45 s, answered (agent connects as the acd leg ends).
 *  c-ab   QA voice: waits 10..70 s, the caller hangs up: abandoned after 60 s.
 *  c-flow QA chat : waits 20..50 s, transferred to QB (flow-out after 30 s), still waiting there.
 *  c-wait QB voice: waiting since 30 s.
 */
const history: ConvState[] = [
  { id: "c-ans", media: "voice", legs: [{ acd: "c-ans-acd", queueId: QA, start: T0 }] },
  { id: "c-ab", media: "voice", legs: [{ acd: "c-ab-acd", queueId: QA, start: T0 + 10_000 }] },
  { id: "c-flow", media: "chat", legs: [{ acd: "c-flow-acd1", queueId: QA, start: T0 + 20_000 }] },
  { id: "c-wait", media: "voice", legs: [{ acd: "c-wait-acd", queueId: QB, start: T0 + 30_000 }] },
  { id: "c-ans", media: "voice", legs: [{ acd: "c-ans-acd", queueId: QA, start: T0, end: T0 + 45_000, outcome: "answered" }] },
  {
    id: "c-flow",
    media: "chat",
    legs: [
      { acd: "c-flow-acd1", queueId: QA, start: T0 + 20_000, end: T0 + 50_000, outcome: "flowout" },
      { acd: "c-flow-acd2", queueId: QB, start: T0 + 50_000 },
    ],
  },
  { id: "c-ab", media: "voice", legs: [{ acd: "c-ab-acd", queueId: QA, start: T0 + 10_000, end: T0 + 70_000, outcome: "abandoned" }], customerEnd: T0 + 70_000 },
];
/** The last state of each conversation (what a details query returns). */
const finalStates = [...new Map(history.map((c) => [c.id, c])).values()];

interface Ev {
  kind: string;
  queueId: string;
  mediaType: string;
  conversationId: string;
  participantId: string;
  time: number;
  waitMs: number | null;
}

/** The facts a state shows, straight from the decisions: offered at acd start, the outcome at acd end. */
function expectedEvents(c: ConvState): Ev[] {
  return c.legs.flatMap((l) => {
    const base = { queueId: l.queueId, mediaType: c.media, conversationId: c.id, participantId: l.acd };
    const out: Ev[] = [{ kind: "offered", ...base, time: l.start, waitMs: null }];
    if (l.outcome) out.push({ kind: l.outcome, ...base, time: l.end!, waitMs: l.end! - l.start });
    return out;
  });
}

const mediaKey = { voice: "calls", chat: "chats" } as const;

/** The conversation notification body, in the shape Genesys sends (genesys-api.md §3a). */
function snapshot(c: ConvState): Record<string, unknown> {
  const k = mediaKey[c.media];
  const start = c.legs[0].start - 2000;
  const participants: Record<string, unknown>[] = [
    { id: `${c.id}-cust`, purpose: "customer", connectedTime: iso(start), ...(c.customerEnd ? { endTime: iso(c.customerEnd) } : {}), [k]: [{ state: c.customerEnd ? "disconnected" : "connected", connectedTime: iso(start), ...(c.customerEnd ? { disconnectedTime: iso(c.customerEnd), disconnectType: "peer" } : {}) }] },
  ];
  for (const l of c.legs) {
    const disconnectType = l.outcome === "abandoned" ? "peer" : l.outcome === "flowout" ? "transfer" : l.outcome === "answered" ? "transfer" : undefined;
    participants.push({
      id: l.acd,
      purpose: "acd",
      queueId: l.queueId,
      connectedTime: iso(l.start),
      ...(l.end ? { endTime: iso(l.end) } : {}),
      [k]: [{ state: l.end ? "disconnected" : "connected", connectedTime: iso(l.start), ...(l.end ? { disconnectedTime: iso(l.end), disconnectType } : {}) }],
    });
    if (l.outcome === "answered") participants.push({ id: `${l.acd}-agent`, purpose: "agent", queueId: l.queueId, userId: "u1", connectedTime: iso(l.end!), [k]: [{ state: "connected", connectedTime: iso(l.end!) }] });
  }
  return { id: c.id, participants };
}

function frame(c: ConvState, i: number): Record<string, unknown> {
  return { topicName: `v2.routing.queues.${c.legs[c.legs.length - 1].queueId}.conversations`, version: "2", eventBody: snapshot(c), metadata: { CorrelationId: `corr-${i}` } };
}

/** The analytics details of a conversation, in the shape of the details query (genesys-api.md §4a). */
function details(c: ConvState): Record<string, unknown> {
  const start = c.legs[0].start - 2000;
  const participants: Record<string, unknown>[] = [
    { participantId: `${c.id}-cust`, purpose: "customer", sessions: [{ mediaType: c.media, segments: [{ segmentStart: iso(start), ...(c.customerEnd ? { segmentEnd: iso(c.customerEnd) } : {}), segmentType: "interact" }], metrics: [] }] },
  ];
  for (const l of c.legs) {
    const metrics: Record<string, unknown>[] = [{ name: "nOffered", value: 1, emitDate: iso(l.start) }];
    if (l.end) metrics.push({ name: "tAcd", value: l.end - l.start, emitDate: iso(l.end) });
    if (l.outcome === "abandoned") metrics.push({ name: "tAbandon", value: l.end! - l.start, emitDate: iso(l.end!) });
    if (l.outcome === "flowout") metrics.push({ name: "tFlowOut", value: l.end! - l.start, emitDate: iso(l.end!) });
    participants.push({
      participantId: l.acd,
      purpose: "acd",
      sessions: [{ mediaType: c.media, segments: [{ segmentStart: iso(l.start), ...(l.end ? { segmentEnd: iso(l.end) } : {}), segmentType: "interact", queueId: l.queueId, ...(l.outcome === "abandoned" ? { disconnectType: "peer" } : l.end ? { disconnectType: "transfer" } : {}) }], metrics }],
    });
    if (l.outcome === "answered") {
      participants.push({
        participantId: `${l.acd}-agent`,
        purpose: "agent",
        userId: "u1",
        sessions: [
          {
            mediaType: c.media,
            segments: [
              { segmentStart: iso(l.end! - 5000), segmentEnd: iso(l.end!), segmentType: "alert", queueId: l.queueId },
              { segmentStart: iso(l.end!), segmentType: "interact", queueId: l.queueId },
            ],
            metrics: [{ name: "tAnswered", value: l.end! - l.start, emitDate: iso(l.end!) }],
          },
        ],
      });
    }
  }
  return { conversationId: c.id, conversationStart: iso(start), participants };
}

const sortEvents = (es: Ev[]) => [...es].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "qm-replay-"));
  dirs.push(d);
  return d;
}

/** Runs the built CLI; resolves with its exit code and output. Bounded: killed after 60 s. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += String(d)));
    child.stderr.on("data", (d) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function memorySink(): ReplaySink & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => void lines.push(l), err: (l) => void errors.push(l) };
}

// ---- tests ----------------------------------------------------------------------------------

test("replay prints the events implied by frames (JSON lines and arrays), details responses and a single conversation", async () => {
  const dir = tmp();
  const half = Math.ceil(history.length / 2);
  const heartbeat = { topicName: "channel.metadata", eventBody: { message: "WebSocket Heartbeat" } };
  const linesFile = join(dir, "frames.jsonl");
  writeFileSync(linesFile, [heartbeat, ...history.slice(0, half).map(frame)].map((f) => JSON.stringify(f)).join("\n") + "\n");
  const arrayFile = join(dir, "frames.json");
  writeFileSync(arrayFile, JSON.stringify(history.slice(half).map(frame), null, 2));
  const detailsFile = join(dir, "details.json");
  writeFileSync(detailsFile, JSON.stringify({ conversations: finalStates.slice(0, 3).map(details), totalHits: 3 }, null, 2));
  const oneFile = join(dir, "one.json");
  writeFileSync(oneFile, JSON.stringify(details(finalStates[3]), null, 2));

  const r = await cli(["replay", linesFile, arrayFile, detailsFile, oneFile]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /:\d+: /, "nothing reported as malformed");
  const got = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Ev);
  for (const e of got) assert.deepEqual(Object.keys(e), ["kind", "queueId", "mediaType", "conversationId", "participantId", "time", "waitMs"]);
  const expected = [...history.flatMap(expectedEvents), ...finalStates.flatMap(expectedEvents)];
  assert.deepEqual(sortEvents(got), sortEvents(expected));
  // Input order is kept across files: the frames' events come before the details'.
  const framesCount = history.flatMap(expectedEvents).length;
  assert.deepEqual(sortEvents(got.slice(framesCount)), sortEvents(finalStates.flatMap(expectedEvents)));

  // --unique: each fact once (5 visits offered, 3 ended).
  const u = await cli(["replay", "--unique", linesFile, arrayFile, detailsFile, oneFile]);
  assert.equal(u.code, 0, u.stderr);
  const unique = u.stdout.trim().split("\n").map((l) => JSON.parse(l) as Ev);
  assert.deepEqual(sortEvents(unique), sortEvents(finalStates.flatMap(expectedEvents)));
});

test("replay --figures counts each visit once across frames and details, in the time zone of --config", async () => {
  const dir = tmp();
  const file = join(dir, "all.jsonl");
  writeFileSync(file, [...history.map(frame), { conversations: finalStates.map(details) }].map((d) => JSON.stringify(d)).join("\n") + "\n");
  const cfg = join(dir, "stats.yaml");
  // A business day that starts at 10:00 UTC in Tokyo (19:00 local): 09:00 UTC events fall in the day before.
  writeFileSync(cfg, "stats:\n  timeZone: Asia/Tokyo\n  dailyReset: '19:00'\n  windowsMinutes: [5, 10]\n");
  const r = await cli(["replay", "--figures", "--config", cfg, file]);
  assert.equal(r.code, 0, r.stderr);
  const body = JSON.parse(r.stdout) as { generatedAt: string; queues: { queueId: string; mediaType: string; totals: Record<string, number>; windows: Record<string, unknown>; intervals: { today: { start: string; answered: number } } }[] };
  // The latest event time is the abandon at 70 s.
  assert.equal(body.generatedAt, iso(T0 + 70_000));
  const want = new Map<string, Record<string, number>>();
  for (const e of finalStates.flatMap(expectedEvents)) {
    const k = `${e.queueId}/${e.mediaType}`;
    const t = want.get(k) ?? { offered: 0, answered: 0, abandoned: 0, flowout: 0 };
    t[e.kind]++;
    want.set(k, t);
  }
  assert.equal(body.queues.length, want.size);
  for (const q of body.queues) assert.deepEqual(q.totals, want.get(`${q.queueId}/${q.mediaType}`), `${q.queueId} ${q.mediaType}`);
  assert.deepEqual(Object.keys(body.queues[0].windows), ["5m", "10m"]);
  assert.equal(body.queues[0].intervals.today.start, "2026-03-01T10:00:00.000Z");

  const only = await cli(["replay", "--figures", "--queue", QB, file]);
  const qb = JSON.parse(only.stdout) as { queues: { queueId: string }[] };
  assert.deepEqual([...new Set(qb.queues.map((q) => q.queueId))], [QB]);
});

test("malformed input is reported as file:line and skipped; only unreadable input fails the command", async () => {
  const dir = tmp();
  const file = join(dir, "mixed.jsonl");
  const good = frame(history[4], 1); // c-ans answered
  const lines = [
    JSON.stringify(good), // 1
    "this is not json", // 2
    JSON.stringify({ hello: "world" }), // 3
    JSON.stringify({ topicName: `v2.routing.queues.${QA}.conversations`, eventBody: "nope" }), // 4: not a conversation
    "", // 5: blank, ignored
    JSON.stringify({ receivedAt: iso(T0), kind: "details", body: { conversations: [{ participants: [] }, details(finalStates[1])] } }), // 6: first conversation broken
    JSON.stringify({ receivedAt: iso(T0), kind: "telepathy", body: {} }), // 7
    JSON.stringify(frame(history[6], 2)).slice(0, 57), // 8: cut short, as by kill -9
  ];
  writeFileSync(file, lines.join("\n"));
  const r = await cli(["replay", file, join(dir, "missing.jsonl")]);
  assert.equal(r.code, 0, "a file was read");
  const reported = r.stderr.split("\n").filter((l) => l.startsWith(`${file}:`)).map((l) => Number(l.slice(file.length + 1).split(":")[0]));
  assert.deepEqual(reported, [2, 3, 4, 6, 7, 8]);
  assert.match(r.stderr, /missing\.jsonl: cannot read/);
  const got = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Ev);
  assert.deepEqual(sortEvents(got), sortEvents([...expectedEvents(history[4]), ...expectedEvents(finalStates[1])]));

  // A pretty-printed document with a syntax error: reported, not thrown.
  const broken = join(dir, "broken.json");
  writeFileSync(broken, '{\n  "conversations": [\n    {"conversationId": "x",\n  ]\n}\n');
  const b = await cli(["replay", broken]);
  assert.equal(b.code, 0);
  assert.deepEqual(b.stderr.split("\n").filter((l) => l.startsWith(`${broken}:`)).map((l) => l.slice(broken.length).split(":")[1]), ["4"], "one report, where the parser stopped");

  const none = await cli(["replay", join(dir, "missing.jsonl")]);
  assert.equal(none.code, 1, "nothing could be read");
});

test("--figures keeps the first reading of a visit and reports a conflicting one with its line", async () => {
  const dir = tmp();
  const file = join(dir, "conflict.jsonl");
  // The details say c-ab flowed out, after the frames said it was abandoned.
  const other: ConvState = { ...finalStates.find((c) => c.id === "c-ab")!, customerEnd: undefined };
  other.legs = [{ ...other.legs[0], outcome: "flowout" }];
  writeFileSync(file, [frame(history[6], 1), { conversations: [details(other)] }].map((d) => JSON.stringify(d)).join("\n") + "\n");
  const sink = memorySink();
  const replay = new Replay({ figures: true }, sink);
  assert.equal(await replay.file(file), true);
  assert.equal(replay.counts.conflicts, 1);
  assert.equal(sink.errors.length, 1);
  assert.match(sink.errors[0], new RegExp(`:2: conflict: conversation c-ab .* counted abandoned, now reads flowout`));
  const q = replay.figures().queues.find((s) => s.queueId === QA)!;
  assert.deepEqual(q.totals, { offered: 1, answered: 0, abandoned: 1, flowout: 0 });
});

test("the recorder appends whole lines, isolates a line cut by a crash, and logs write errors without throwing", () => {
  const dir = tmp();
  const file = join(dir, "rec.jsonl");
  const clock = new ManualClock(T0);
  const r1 = new Recorder(file, clock, silentLogger);
  r1.frame(JSON.stringify({ topicName: "channel.metadata", eventBody: { message: "WebSocket Heartbeat" } }));
  clock.advance(1000);
  r1.details({ conversations: [] });
  r1.close();
  appendFileSync(file, '{"receivedAt":"2026-03-02T09:00:02.000Z","kind":"fr'); // a kill -9 mid-line
  const r2 = new Recorder(file, clock, silentLogger);
  r2.frame(JSON.stringify({ topicName: "x", eventBody: {} }));
  // A frame nested 200,000 deep: no serializer takes it back, so it is recorded as received.
  const deep = `{"topicName":"x","eventBody":${"[".repeat(200_000)}${"]".repeat(200_000)}}`;
  r2.frame(deep);
  r2.frame('{"topicName":"x",\n "eventBody":{}}');
  r2.close();
  const lines = readFileSync(file, "utf8").split("\n");
  assert.deepEqual(JSON.parse(lines[0]), { receivedAt: iso(T0), kind: "frame", body: { topicName: "channel.metadata", eventBody: { message: "WebSocket Heartbeat" } } });
  assert.deepEqual(JSON.parse(lines[1]), { receivedAt: iso(T0 + 1000), kind: "details", body: { conversations: [] } });
  assert.throws(() => JSON.parse(lines[2]));
  assert.deepEqual(JSON.parse(lines[3]).body, { topicName: "x", eventBody: {} });
  assert.equal(lines[4], `{"receivedAt":"${iso(T0 + 1000)}","kind":"frame","body":${deep}}`);
  assert.deepEqual(JSON.parse(lines[5]).body, { topicName: "x", eventBody: {} }, "a frame's own line breaks do not split its line");
  assert.equal(lines[6], "");

  // /dev/full: every write fails with ENOSPC.
  const logged: string[] = [];
  const log = pino({ level: "info" }, new Writable({ write: (c, _e, cb) => (logged.push(String(c)), cb()) }));
  const full = new Recorder("/dev/full", clock, log);
  assert.doesNotThrow(() => {
    for (let i = 0; i < 3; i++) full.frame(JSON.stringify({ topicName: "x", eventBody: {} }));
  });
  assert.equal(full.written, 0);
  assert.equal(logged.length, 1, "one error logged, not one per frame");
  assert.match(logged[0], /recording write failed/);
  full.close();
});

test("a recorded monitor run replays to the totals the live monitor served", { timeout: 180_000 }, async (t) => {
  const dir = tmp();
  const emu = await startTestEmulator({ speed: 240, durationMinutes: 20, heartbeatSeconds: 0.5, ingestionDelaySeconds: 0.5 });
  t.after(() => emu.stop());
  const port = await freePort();
  const configFile = join(dir, "monitor.yaml");
  MonitorProcess.write(configFile, {
    genesys: { baseUrl: emu.url, clientId: emu.options.clientId, clientSecret: emu.options.clientSecret },
    stream: { heartbeatSeconds: 0.5, latencyAllowanceSeconds: 30, reconnectInitialSeconds: 0.2, reconnectMaxSeconds: 2 },
    backfill: { ingestionDelaySeconds: 1, overlapSeconds: 60, lookbackMinutes: 60 },
    state: { file: join(dir, "state.sqlite"), commitIntervalMs: 200 },
    clock: "emulator",
  });
  const recording = join(dir, "recording.jsonl");
  const monitor = new MonitorProcess(configFile, port, join(dir, "monitor.log"));
  // The helper starts `run` without --record; the same command line plus the flag.
  monitor.start = function () {
    this.starts++;
    this.child = spawn(process.execPath, [CLI, "run", "--config", configFile, "--listen", `127.0.0.1:${port}`, "--record", recording], { stdio: ["ignore", "ignore", "pipe"] });
    this.child.stderr!.on("data", (d) => appendFileSync(this.logFile, d));
  };
  t.after(() => monitor.stop());
  monitor.start();
  await waitUntil(async () => (await monitor.get("/readyz"))?.ready, 20_000, "monitor ready");
  // A kill -9 and a restart appending to the same recording: calls that came and went while the
  // monitor was down (8 virtual minutes) exist only in details pages, so both kinds must replay.
  await new Promise((r) => setTimeout(r, 1500));
  await monitor.kill9();
  await new Promise((r) => setTimeout(r, 2000));
  monitor.start();
  await waitUntil(async () => (await monitor.get("/readyz"))?.ready, 20_000, "monitor ready again");
  await waitUntil(() => emu.sim.settled, 60_000, "the simulation to settle");

  const truth = emu.groundTruth() as { queues: { queueId: string; mediaType: string; counts: Record<string, number> }[] };
  const key = (q: string, m: string) => `${q}/${m}`;
  const truthTotals = new Map(truth.queues.map((g) => [key(g.queueId, g.mediaType), g.counts]));
  const totalsOf = (body: { queues?: { queueId: string; mediaType: string; totals: Record<string, number> }[] } | undefined) => new Map((body?.queues ?? []).map((s) => [key(s.queueId, s.mediaType), s.totals]));
  const live = await waitUntil(async () => {
    const body = await monitor.get("/api/queues");
    const got = totalsOf(body);
    return got.size === truthTotals.size && [...truthTotals].every(([k, v]) => JSON.stringify(got.get(k)) === JSON.stringify(v)) ? got : false;
  }, 30_000, "live totals to equal the ground truth");
  await monitor.stop();

  const text = readFileSync(recording, "utf8");
  const items = text.trim().split("\n").map((l) => JSON.parse(l) as { kind: string; receivedAt: string; body: { conversations?: unknown[] } });
  assert.ok(items.some((i) => i.kind === "frame"), "frames recorded");
  assert.ok(items.some((i) => i.kind === "details" && (i.body.conversations?.length ?? 0) > 0), "details pages with conversations recorded");
  assert.ok(items.every((i) => Number.isFinite(Date.parse(i.receivedAt))));
  assert.ok(!text.includes(emu.options.clientSecret), "no client secret in the recording");
  for (const tok of (emu.auth as unknown as { tokens: Map<string, unknown> }).tokens.keys()) assert.ok(!text.includes(tok), "no access token in the recording");

  const r = await cli(["replay", "--figures", recording]);
  assert.equal(r.code, 0, r.stderr);
  const replayed = totalsOf(JSON.parse(r.stdout));
  assert.equal(replayed.size, live.size);
  for (const [k, v] of live) assert.deepEqual(replayed.get(k), v, k);
  assert.ok([...live.values()].some((v) => v.offered > 10), "traffic was recorded");
});
