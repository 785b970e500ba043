/* The wallboard page: one tile per queue x media type, fed by Server-Sent Events (no polling). */
/* global document, window, EventSource, localStorage, uPlot, setTimeout, clearTimeout */
"use strict";
(function () {
  const HOUR_MS = 3600 * 1000;
  const tilesEl = document.getElementById("tiles");
  const bannerEl = document.getElementById("banner");
  const emptyEl = document.getElementById("empty");
  const clockEl = document.getElementById("clock");
  const filterEl = document.getElementById("filter");
  const sortEl = document.getElementById("sort");
  const tiles = new Map(); // key -> {el, chart, data, fields}
  let history = {}; // key -> [[t, p90, waiting], ...]
  let last = null;
  let monitorDown = false;

  const stored = (k, d) => { try { return localStorage.getItem(k) || d; } catch { return d; } };
  const store = (k, v) => { try { localStorage.setItem(k, v); } catch { /* private mode */ } };
  filterEl.value = stored("qm.filter", "");
  sortEl.value = stored("qm.sort", "name");
  filterEl.addEventListener("input", () => { store("qm.filter", filterEl.value); arrange(); });
  sortEl.addEventListener("change", () => { store("qm.sort", sortEl.value); arrange(); });

  const secs = (v) => {
    if (v === null || v === undefined) return "–";
    const s = Math.round(v);
    return s < 60 ? s + "s" : Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  };
  const pct = (v) => (v === null || v === undefined ? "–" : Math.round(v * 100) + "%");
  const hhmm = (iso) => new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC" }).format(new Date(iso));

  function make(t) {
    const el = document.createElement("article");
    el.className = "tile";
    el.dataset.queueId = t.queueId;
    el.dataset.mediaType = t.mediaType;
    el.innerHTML =
      '<header><h2 class="name"></h2><span class="media"></span></header>' +
      '<div class="alert-note" data-field="alertRules"></div>' +
      '<div class="big">' +
      '<div><span class="v" data-field="waiting"></span><label>waiting</label></div>' +
      '<div><span class="v" data-field="longest"></span><label>longest</label></div>' +
      '<div><span class="v" data-field="sl"></span><label data-field="slLabel"></label></div>' +
      "</div>" +
      '<div class="row">' +
      '<div><span class="v" data-field="p50"></span><label>p50 wait</label></div>' +
      '<div><span class="v" data-field="p90"></span><label>p90 wait</label></div>' +
      '<div><span class="v" data-field="p95"></span><label>p95 wait</label></div>' +
      "</div>" +
      '<div class="row agents">' +
      '<div><span class="v" data-field="onQueue"></span><label>on queue</label></div>' +
      '<div><span class="v" data-field="idle"></span><label>idle</label></div>' +
      '<div><span class="v" data-field="busy"></span><label>busy</label></div>' +
      '<div><span class="v" data-field="notResponding"></span><label>not resp.</label></div>' +
      "</div>" +
      '<div class="next"><label>next caller waits</label> <span class="v" data-field="predicted"></span> <span class="why" data-field="predictor"></span></div>' +
      '<div class="row">' +
      '<div><span class="v" data-field="offered"></span><label>offered</label></div>' +
      '<div><span class="v" data-field="answered"></span><label>answered</label></div>' +
      '<div><span class="v" data-field="abandoned"></span><label>abandoned</label></div>' +
      "</div>" +
      '<div class="interval" data-field="interval"></div>' +
      '<div class="chart"></div>';
    el.querySelector(".name").textContent = t.queueName;
    el.querySelector(".name").title = t.queueName;
    el.querySelector(".media").textContent = t.mediaType;
    const fields = {};
    for (const f of el.querySelectorAll("[data-field]")) fields[f.dataset.field] = f;
    const entry = { el, fields, chart: null, data: [[], [], []] };
    tiles.set(t.key, entry);
    return entry;
  }

  function chartFor(entry) {
    if (entry.chart || typeof uPlot !== "function") return;
    const box = entry.el.querySelector(".chart");
    const width = Math.max(120, box.clientWidth || 300);
    entry.chart = new uPlot(
      {
        width, height: 120, legend: { show: false }, cursor: { show: false },
        scales: { x: { time: true }, s: { auto: true, range: (u, min, max) => [0, Math.max(10, max)] }, n: { auto: true, range: (u, min, max) => [0, Math.max(2, max)] } },
        // A scale a reader can read: seconds of p90 wait on the left, callers waiting on the right, the time below.
        axes: [
          { stroke: "#8b949e", size: 22, space: 60, font: "11px system-ui", grid: { show: false }, ticks: { size: 3 } },
          { scale: "s", stroke: "#58a6ff", size: 34, space: 25, font: "11px system-ui", values: (u, vals) => vals.map((v) => v + "s"), grid: { stroke: "#30363d", width: 1 }, ticks: { size: 3 } },
          { scale: "n", side: 1, stroke: "#d29922", size: 26, space: 25, font: "11px system-ui", grid: { show: false }, ticks: { size: 3 } },
        ],
        series: [{}, { label: "p90 wait (s)", scale: "s", stroke: "#58a6ff", width: 2, spanGaps: true, points: { show: false } }, { label: "waiting", scale: "n", stroke: "#d29922", fill: "rgba(210,153,34,.18)", width: 1, points: { show: false } }],
      },
      entry.data,
      box,
    );
  }

  function setHistory(key, points) {
    const entry = tiles.get(key);
    if (!entry) return;
    entry.data = [points.map((p) => p[0] / 1000), points.map((p) => p[1]), points.map((p) => p[2])];
    chartFor(entry);
    if (entry.chart) entry.chart.setData(entry.data);
  }

  function update(t) {
    const entry = tiles.get(t.key) || make(t);
    const { el, fields } = entry;
    el.dataset.alert = t.alert === "none" ? "" : t.alert;
    if (t.alert === "none") delete el.dataset.alert;
    el.dataset.waiting = String(t.waiting);
    el.dataset.status = t.status;
    el.title = t.statusReasons.join("\n");
    el.dataset.offered = String(t.offered);
    el.dataset.answered = String(t.answered);
    el.dataset.abandoned = String(t.abandoned);
    el.dataset.name = t.queueName.toLowerCase();
    // A queue renamed while the page is open shows its new name.
    const nameEl = el.querySelector(".name");
    if (nameEl.textContent !== t.queueName) {
      nameEl.textContent = t.queueName;
      nameEl.title = t.queueName;
    }
    fields.waiting.textContent = String(t.waiting);
    fields.longest.textContent = secs(t.longestWaitingSeconds);
    fields.sl.textContent = pct(t.serviceLevel);
    fields.sl.className = "v " + (t.serviceLevel === null ? "" : t.serviceLevel >= t.serviceLevelTarget.percentage ? "sl-ok" : "sl-low");
    fields.slLabel.textContent = "SL (" + Math.round(t.serviceLevelTarget.percentage * 100) + "% in " + t.serviceLevelTarget.thresholdSeconds + "s)";
    fields.p50.textContent = secs(t.p50);
    fields.p90.textContent = secs(t.p90);
    fields.p95.textContent = secs(t.p95);
    const count = (v) => (v === null || v === undefined ? "–" : String(v));
    fields.onQueue.textContent = count(t.agents.onQueue);
    fields.idle.textContent = count(t.agents.idle);
    fields.busy.textContent = count(t.agents.busy);
    fields.notResponding.textContent = count(t.agents.notResponding);
    fields.predicted.textContent = t.predictedWaitSeconds === null ? "–" : "~" + secs(t.predictedWaitSeconds);
    fields.predictor.textContent = t.predictor ? "(" + t.predictor + ")" : "";
    fields.offered.textContent = String(t.offered);
    fields.answered.textContent = String(t.answered);
    fields.abandoned.textContent = String(t.abandoned);
    fields.interval.textContent = "interval " + hhmm(t.interval.start) + "–" + hhmm(t.interval.end) + " UTC";
    fields.alertRules.textContent = t.alertRules.length ? (t.alert === "firing" ? "ALERT: " : "pending: ") + t.alertRules.join(", ") : "";
    return entry;
  }

  const rank = { firing: 0, pending: 1 };
  function arrange() {
    if (!last) return;
    const q = filterEl.value.trim().toLowerCase();
    const by = sortEl.value;
    const list = last.tiles.slice();
    list.sort((a, b) => {
      if (by === "alert") return (rank[a.alert] ?? 2) - (rank[b.alert] ?? 2) || a.queueName.localeCompare(b.queueName);
      if (by === "waiting") return b.waiting - a.waiting || a.queueName.localeCompare(b.queueName);
      if (by === "longest") return (b.longestWaitingSeconds ?? -1) - (a.longestWaitingSeconds ?? -1) || a.queueName.localeCompare(b.queueName);
      return a.queueName.localeCompare(b.queueName) || a.mediaType.localeCompare(b.mediaType);
    });
    let shown = 0;
    list.forEach((t, i) => {
      const entry = tiles.get(t.key);
      if (!entry) return;
      const visible = !q || t.queueName.toLowerCase().includes(q);
      entry.el.hidden = !visible;
      if (visible) shown++;
      // Moving only misplaced nodes keeps the page calm (no full re-render per update).
      if (tilesEl.children[i] !== entry.el) tilesEl.insertBefore(entry.el, tilesEl.children[i] || null);
    });
    emptyEl.hidden = shown > 0 || list.length === 0;
    for (const entry of tiles.values()) chartFor(entry);
  }

  function showBanner() {
    const b = monitorDown ? { kind: "monitor", text: "Lost the connection to the monitor: reconnecting…" } : last && last.banner;
    bannerEl.hidden = !b;
    if (b) {
      bannerEl.dataset.kind = b.kind;
      bannerEl.textContent = b.text;
    }
  }

  function apply(state, full) {
    last = state;
    document.getElementById("window").textContent = state.window;
    if (state.chartWindow) document.getElementById("chartWindow").textContent = state.chartWindow;
    clockEl.textContent = new Date(state.generatedAt).toISOString().replace("T", " ").slice(0, 19) + " UTC";
    const keys = new Set(state.tiles.map((t) => t.key));
    for (const [key, entry] of tiles) {
      if (keys.has(key)) continue;
      if (entry.chart) entry.chart.destroy();
      entry.el.remove();
      tiles.delete(key);
    }
    for (const t of state.tiles) update(t);
    arrange();
    if (full) {
      history = state.history || {};
      for (const key of keys) setHistory(key, history[key] || []);
    } else {
      for (const [key, p] of Object.entries(state.points || {})) {
        const h = (history[key] = history[key] || []);
        h.push(p);
        while (h.length && h[0][0] < p[0] - HOUR_MS) h.shift();
        setHistory(key, h);
      }
    }
    showBanner();
    document.body.dataset.ready = "true";
  }

  const events = new EventSource("api/wallboard/events");
  events.addEventListener("hello", (e) => { monitorDown = false; apply(JSON.parse(e.data), true); });
  events.addEventListener("update", (e) => { monitorDown = false; apply(JSON.parse(e.data), false); });
  events.addEventListener("error", () => { monitorDown = true; showBanner(); });

  let resizing = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => {
      for (const entry of tiles.values()) {
        const box = entry.el.querySelector(".chart");
        if (entry.chart && box.clientWidth) entry.chart.setSize({ width: box.clientWidth, height: 90 });
      }
    }, 150);
  });
})();
