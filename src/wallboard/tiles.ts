/**
 * What the wallboard shows, from the engine's snapshot: one tile per queue x media, the banner
 * when the stream is down or catching up, and which configured windows the tiles and the chart
 * read (the closest to 15 minutes for the tiles, the shortest for the chart), named as they are;
 * who is there to answer, the next caller's predicted wait, and each tile's colour. Pure.
 */
import type { SeriesSnapshot } from "../aggregate/series.js";
import type { TileColours } from "../http/config.js";
import { tileAlert, type TileAlertState, type WallboardAlert } from "./alerts.js";

export interface Tile {
  key: string;
  queueId: string;
  queueName: string;
  mediaType: string;
  waiting: number;
  longestWaitingSeconds: number | null;
  serviceLevel: number | null;
  serviceLevelTarget: { percentage: number; thresholdSeconds: number };
  p50: number | null;
  p90: number | null;
  p95: number | null;
  offered: number;
  answered: number;
  abandoned: number;
  interval: { start: string; end: string };
  alert: TileAlertState;
  alertRules: string[];
  /** Who is there to answer (null: unknown). busy = interacting + communicating. */
  agents: { onQueue: number | null; idle: number | null; busy: number | null; notResponding: number | null };
  /** The wait the next caller is told, and the predictor behind it. */
  predictedWaitSeconds: number | null;
  predictor: string | null;
  /** The tile's colour, from the queue's own service-level goal and server.wallboard; the reasons say why. */
  status: TileStatus;
  statusReasons: string[];
}

export type TileStatus = "ok" | "warn" | "breach" | "quiet";

/** Red beats amber beats green; a tile with nothing to judge (no calls, nobody waiting) is "quiet". */
export function tileStatus(s: SeriesSnapshot, c: TileColours): { status: TileStatus; reasons: string[] } {
  const breach: string[] = [];
  const warn: string[] = [];
  const { percentage, thresholdSeconds } = s.serviceLevelTarget;
  const sl = s.intervals.current.serviceLevel;
  if (sl !== null && sl < percentage) breach.push(`service level ${Math.round(sl * 100)}% below its ${Math.round(percentage * 100)}% target`);
  else if (sl !== null && sl < percentage + c.serviceLevelWarnPoints / 100) warn.push(`service level ${Math.round(sl * 100)}% near its ${Math.round(percentage * 100)}% target`);
  const longest = s.now.longestWaitingSeconds;
  if (longest !== null && longest >= c.longestWaitingBreachRatio * thresholdSeconds) breach.push(`a caller has waited ${Math.round(longest)} s (threshold ${thresholdSeconds} s)`);
  else if (longest !== null && longest >= c.longestWaitingWarnRatio * thresholdSeconds) warn.push(`a caller has waited ${Math.round(longest)} s`);
  const w = s.now.waiting;
  if (c.waitingBreach !== undefined && w >= c.waitingBreach) breach.push(`${w} waiting`);
  else if (c.waitingWarn !== undefined && w >= c.waitingWarn) warn.push(`${w} waiting`);
  const p = s.predicted.waitSeconds;
  if (p !== null && p > c.predictedWaitWarnRatio * thresholdSeconds) warn.push(`next caller predicted to wait ${Math.round(p)} s`);
  if (breach.length > 0) return { status: "breach", reasons: [...breach, ...warn] };
  if (warn.length > 0) return { status: "warn", reasons: warn };
  return { status: sl === null && w === 0 ? "quiet" : "ok", reasons: [] };
}

export interface Banner {
  kind: "disconnected" | "catching-up";
  text: string;
}

export interface WallboardState {
  generatedAt: string;
  /** The window the tiles' percentiles are over, e.g. "15m". */
  window: string;
  /** The window of the chart's p90 line, e.g. "5m". */
  chartWindow: string;
  banner: Banner | null;
  tiles: Tile[];
}

export interface BoardWindows {
  tile: string;
  chart: string;
}

/** The tile window (the configured one closest to 15 minutes, shorter on a tie) and the chart's (the shortest). */
export function boardWindows(windowsMinutes: number[]): BoardWindows {
  const sorted = [...windowsMinutes].sort((a, b) => a - b);
  let tile = sorted[0];
  for (const w of sorted) if (Math.abs(w - 15) < Math.abs(tile - 15)) tile = w;
  return { tile: `${tile}m`, chart: `${sorted[0]}m` };
}

export const tileKey = (queueId: string, mediaType: string) => `${queueId}|${mediaType}`;

export function toTile(s: SeriesSnapshot, alerts: WallboardAlert[], window: string, colours: TileColours): Tile {
  const w = s.windows[window];
  const ag = s.now.agents;
  const st = tileStatus(s, colours);
  const cur = s.intervals.current;
  const a = tileAlert(alerts, s.queueId, s.mediaType);
  return {
    key: tileKey(s.queueId, s.mediaType),
    queueId: s.queueId,
    queueName: s.queueName,
    mediaType: s.mediaType,
    waiting: s.now.waiting,
    longestWaitingSeconds: s.now.longestWaitingSeconds,
    serviceLevel: cur.serviceLevel,
    serviceLevelTarget: s.serviceLevelTarget,
    p50: w?.answeredWaitSeconds.p50 ?? null,
    p90: w?.answeredWaitSeconds.p90 ?? null,
    p95: w?.answeredWaitSeconds.p95 ?? null,
    offered: cur.offered,
    answered: cur.answered,
    abandoned: cur.abandoned,
    interval: { start: cur.start, end: cur.end },
    alert: a.state,
    alertRules: a.rules,
    agents: { onQueue: ag.onQueue, idle: ag.idle, busy: ag.interacting, notResponding: ag.notResponding },
    predictedWaitSeconds: s.predicted.waitSeconds,
    predictor: s.predicted.predictor,
    status: st.status,
    statusReasons: st.reasons,
  };
}

export function boardState(
  snapshot: SeriesSnapshot[],
  alerts: WallboardAlert[],
  health: { connected: boolean; caughtUp: boolean; reasons: string[] },
  now: number,
  windows: BoardWindows,
  colours: TileColours,
): WallboardState {
  const tiles = snapshot.map((s) => toTile(s, alerts, windows.tile, colours)).sort((a, b) => a.queueName.localeCompare(b.queueName) || a.mediaType.localeCompare(b.mediaType));
  let banner: Banner | null = null;
  if (!health.connected) banner = { kind: "disconnected", text: `Not connected to Genesys Cloud: figures may be stale (${health.reasons.join("; ") || "connecting"})` };
  else if (!health.caughtUp) banner = { kind: "catching-up", text: "Catching up: recovering missed events from Genesys Cloud" };
  return { generatedAt: new Date(now).toISOString(), window: windows.tile, chartWindow: windows.chart, banner, tiles };
}
