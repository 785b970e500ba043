/**
 * Reads exported figures back through each server's own query API and turns /api/queues into
 * the values they must equal. Keys: metric name + the identifying labels, so every source
 * compares the same way.
 */
export const KEY_LABELS = ["queue_id", "queue_name", "media_type", "window", "quantile", "le", "status"];

export function key(name: string, labels: Record<string, string | null | undefined>): string {
  return `${name}${JSON.stringify(KEY_LABELS.filter((k) => labels[k] !== undefined && labels[k] !== null && labels[k] !== "").map((k) => [k, labels[k]]))}`;
}

/** /api/queues -> expected samples, written from the API's documented shape (not from the exporter). */
export function expectedFromApi(queues: any[]): Map<string, number> {
  const m = new Map<string, number>();
  const put = (name: string, labels: Record<string, string>, v: number | null | undefined) => {
    if (v !== null && v !== undefined) m.set(key(`genesys_queue_${name}`, labels), v);
  };
  for (const q of queues) {
    const base = { queue_id: q.queueId, queue_name: q.queueName, media_type: String(q.mediaType).toLowerCase() };
    for (const k of ["offered", "answered", "abandoned", "flowout"]) put(`${k}_total`, base, q.totals[k]);
    for (const [window, f] of Object.entries<any>(q.windows)) {
      const wl = { ...base, window };
      for (const [quantile, p] of [["0.5", "p50"], ["0.9", "p90"], ["0.95", "p95"], ["0.99", "p99"]]) put("answered_wait_seconds", { ...wl, quantile }, f.answeredWaitSeconds[p]);
      put("service_level_ratio", wl, f.serviceLevel);
      put("abandon_ratio", wl, f.abandonRate);
      put("asa_seconds", wl, f.asaSeconds);
    }
    put("waiting", base, q.now.waiting);
    put("longest_waiting_seconds", base, q.now.longestWaitingSeconds);
    put("interacting", base, q.now.interacting);
    const agents: Record<string, string> = { members: "members", on_queue: "onQueue", idle: "idle", interacting: "interacting", not_responding: "notResponding", off_queue: "offQueue" };
    for (const [status, field] of Object.entries(agents)) put("agents", { ...base, status }, q.now.agents[field]);
    put("predicted_wait_seconds", base, q.predicted.waitSeconds);
    put("forecast_service_level_ratio", base, q.forecast.intervalServiceLevel);
    put("forecast_answered_wait_p90_seconds", base, q.forecast.answeredWaitP90In15m);
  }
  return m;
}

/** The figures /api/queues describes: everything but the histogram series and health. */
export function isApiFigure(name: string): boolean {
  return name.startsWith("genesys_queue_") && !/_(bucket|sum|count)$/.test(name);
}

export function assertSameFigures(source: string, actual: Map<string, number>, expected: Map<string, number>): void {
  const a = new Map([...actual].filter(([k]) => isApiFigure(k.slice(0, k.indexOf("[")))));
  const missing = [...expected.keys()].filter((k) => !a.has(k));
  const extra = [...a.keys()].filter((k) => !expected.has(k));
  const wrong = [...expected].filter(([k, v]) => a.has(k) && Math.abs(a.get(k)! - v) > 1e-9 * Math.max(1, Math.abs(v)));
  if (missing.length || extra.length || wrong.length) {
    throw new Error(
      `${source}: ${missing.length} missing, ${extra.length} extra, ${wrong.length} different of ${expected.size}\n` +
        `missing: ${missing.slice(0, 5).join("\n  ")}\nextra: ${extra.slice(0, 5).join("\n  ")}\n` +
        `different: ${wrong
          .slice(0, 5)
          .map(([k, v]) => `${k}: expected ${v}, got ${a.get(k)}`)
          .join("\n  ")}`,
    );
  }
}

function unescapeLabel(v: string): string {
  return v.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
}

/** Parses Prometheus text exposition samples (comments skipped). */
export function parseExposition(text: string): { name: string; labels: Record<string, string>; value: number; timestamp?: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number; timestamp?: number }[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (\d+))?$/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = unescapeLabel(l[2]);
    out.push({ name: m[1], labels, value: Number(m[3]), ...(m[4] ? { timestamp: Number(m[4]) } : {}) });
  }
  return out;
}

export async function getJson(url: string, init?: RequestInit): Promise<any> {
  const r = await fetch(url, init);
  const text = await r.text();
  if (!r.ok) throw new Error(`${url} answered ${r.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** VictoriaMetrics /api/v1/export: every stored sample of the matching series. */
export async function vmExport(url: string, match: string, fromMs = 0, toMs = Date.now() + 30 * 86_400_000): Promise<{ metric: Record<string, string>; values: number[]; timestamps: number[] }[]> {
  await fetch(`${url}/internal/force_flush`).then((r) => r.arrayBuffer());
  // Explicit range: the emulator's clock may run ahead of real time, and export ends at "now" by default.
  const r = await fetch(`${url}/api/v1/export`, { method: "POST", body: new URLSearchParams({ "match[]": match, start: String(fromMs / 1000), end: String(toMs / 1000) }) });
  const text = await r.text();
  if (!r.ok) throw new Error(`victoria-metrics export answered ${r.status}: ${text}`);
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Prometheus instant query at a time (ms). */
export async function promQuery(url: string, query: string, atMs: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const body = await getJson(`${url}/api/v1/query?${new URLSearchParams({ query, time: String(atMs / 1000) })}`);
  return body.data.result;
}

/** InfluxDB 1.x: every point of the measurements matching a regex, times in ms. */
export async function influxSelect(url: string, db: string, measurements: string, where = ""): Promise<{ name: string; tags: Record<string, string>; time: number; value: number }[]> {
  const body = await getJson(`${url}/query?${new URLSearchParams({ db, epoch: "ms", q: `SELECT * FROM /${measurements}/ ${where}` })}`);
  const out: { name: string; tags: Record<string, string>; time: number; value: number }[] = [];
  for (const s of body.results?.[0]?.series ?? []) {
    const cols: string[] = s.columns;
    for (const row of s.values as unknown[][]) {
      const tags: Record<string, string> = {};
      cols.forEach((c, i) => {
        if (c !== "time" && c !== "value" && row[i] !== null) tags[c] = String(row[i]);
      });
      out.push({ name: s.name, tags, time: Number(row[cols.indexOf("time")]), value: Number(row[cols.indexOf("value")]) });
    }
  }
  return out;
}
