/** Starts an in-process emulator on a free loopback port and speaks to it over real HTTP. */
import { Emulator, emulatorDefaults, type EmulatorOptions } from "../../src/emulator/server.js";
import { loadScenario } from "../../src/emulator/simulator/load-scenario.js";
import { silentLogger } from "../../src/util/log.js";
import WebSocket from "ws";

export async function startTestEmulator(over: Partial<EmulatorOptions> & { scenarioName?: string } = {}): Promise<Emulator> {
  const emu = new Emulator({
    ...emulatorDefaults,
    port: 0,
    scenario: loadScenario(over.scenarioName ?? "steady"),
    log: silentLogger,
    ...over,
  });
  await emu.start();
  return emu;
}

export async function token(emu: Emulator, id = emu.options.clientId, secret = emu.options.clientSecret): Promise<Response> {
  return fetch(`${emu.url}/oauth/token`, {
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials",
  });
}

export async function bearer(emu: Emulator): Promise<string> {
  const res = await token(emu);
  return ((await res.json()) as { access_token: string }).access_token;
}

export async function api(emu: Emulator, tok: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${tok}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** A socket that records every frame, with a helper to wait for one matching a predicate. */
export class RecordingSocket {
  /** Parsed frames; a frame that is not JSON is kept as `{ unparsed: text }`. */
  readonly frames: any[] = [];
  /** Every frame's text and arrival time (real ms), in order. */
  readonly raw: { text: string; at: number }[] = [];
  closed?: { code: number; reason: string };
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  private waiters: (() => void)[] = [];

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("error", reject);
    });
    this.ws.on("message", (d) => {
      const text = String(d);
      this.raw.push({ text, at: Date.now() });
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = { unparsed: text };
      }
      this.frames.push(parsed ?? { unparsed: text });
      this.notify();
    });
    this.ws.on("close", (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.notify();
    });
    this.ws.on("error", () => {});
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async waitFor<T>(pred: () => T | undefined | false, timeoutMs = 5000, what = "condition"): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = pred();
      if (v) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  frame(topicPrefix: string, after = 0): any {
    return this.frames.slice(after).find((f) => typeof f.topicName === "string" && f.topicName.startsWith(topicPrefix));
  }
}

export async function waitUntil<T>(pred: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
