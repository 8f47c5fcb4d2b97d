// Portico dashboard: reads /api/stats/stream (one JSON snapshot a second) and draws it.
// No libraries: charts are drawn on canvas so the page loads nothing from the internet.
"use strict";

const token = new URLSearchParams(location.search).get("token");
const withToken = (url) => token ? `${url}${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}` : url;
const authHeaders = () => token ? { Authorization: `Bearer ${token}` } : {};
const $ = (id) => document.getElementById(id);

// The time range: the last five minutes by second, or the last hour by minute (the admin API keeps both in memory).
const ranges = {
  "5m": { query: "seconds=300", label: "-5 min" },
  "1h": { query: "seconds=60&minutes=60", label: "-1 h" },
};
let range = "5m";

function formatMs(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const ms = seconds * 1000;
  return ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

function drawChart(canvas, series, colors, startLabel) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  canvas.width = width * ratio; canvas.height = height * ratio;
  const g = canvas.getContext("2d");
  g.scale(ratio, ratio);
  g.clearRect(0, 0, width, height);
  canvas.dataset.points = series[0].length;
  const left = 44, bottom = 18, top = 8, right = 8;
  const values = series.flat().filter((v) => v !== null);
  const max = Math.max(1, ...values) * 1.1;
  g.strokeStyle = css("--line"); g.fillStyle = css("--muted"); g.font = "11px system-ui"; g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = top + (height - top - bottom) * (1 - i / 4);
    g.beginPath(); g.moveTo(left, y); g.lineTo(width - right, y); g.stroke();
    const label = max * i / 4;
    g.fillText(label >= 100 ? label.toFixed(0) : label.toFixed(label >= 10 ? 1 : 2), 4, y + 4);
  }
  g.fillText(startLabel, left, height - 4);
  g.fillText("now", width - right - 22, height - 4);
  series.forEach((points, s) => {
    g.strokeStyle = colors[s]; g.lineWidth = 2; g.beginPath();
    let drawing = false;
    points.forEach((v, i) => {
      if (v === null) { drawing = false; return; }
      const x = left + (width - left - right) * (i / Math.max(1, points.length - 1));
      const y = top + (height - top - bottom) * (1 - v / max);
      if (drawing) g.lineTo(x, y); else g.moveTo(x, y);
      // A point with traffic between two without is a point, not a line: mark it.
      if (!drawing && (i + 1 >= points.length || points[i + 1] === null)) { g.fillStyle = colors[s]; g.fillRect(x - 1.5, y - 1.5, 3, 3); }
      drawing = true;
    });
    g.stroke();
  });
}

function cell(row, text) { const td = document.createElement("td"); td.textContent = text; row.appendChild(td); return td; }

function fillTable(id, rows) {
  const body = $(id).querySelector("tbody");
  body.replaceChildren(...rows);
}

// A control in a table the page redraws every second keeps the keyboard focus: the redrawn
// control with the same data-key takes it back.
function keepFocus(draw) {
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : undefined;
  draw();
  if (focused) document.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
}

function button(text, key, label, onClick) {
  const b = document.createElement("button"); b.type = "button"; b.textContent = text; b.dataset.key = key;
  if (label) b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}

async function post(url) {
  await fetch(withToken(url), { method: "POST", headers: authHeaders() });
  await refresh();
}

const drain = (cluster, destination, action) => post(`/api/clusters/${encodeURIComponent(cluster)}/destinations/${encodeURIComponent(destination)}/${action}`);
const maintain = (route, on) => post(`/api/routes/${encodeURIComponent(route)}/maintenance?enabled=${on}`);

// Each route's auth schemes ("open" without auth), rule and fast-path verdict, read from /api/routes once per config revision.
let routeAuth = {};
let routeInfo = {};
let routeAuthRevision = null;
let listenerInfo = null;
async function loadRouteAuth(revision) {
  if (revision === routeAuthRevision) return;
  routeAuthRevision = revision;
  const response = await fetch(withToken("/api/routes"), { headers: authHeaders() });
  if (!response.ok) { routeAuthRevision = null; return; }
  const routes = await response.json();
  routeAuth = Object.fromEntries(Object.entries(routes).map(([id, r]) => [id, r.auth ? r.auth.schemes.join(", ") : "open"]));
  routeInfo = routes;
  const [config, certificates] = await Promise.all(["/api/config", "/api/certificates"].map(async (url) => {
    const r = await fetch(withToken(url), { headers: authHeaders() });
    return r.ok ? r.json() : null;
  }));
  if (config && certificates) listenerInfo = { listeners: config.listeners, certificates };
}

function acmeText(a) {
  if (!a) return "";
  const next = a.nextAttempt ? `next ${a.failures > 0 ? "try" : "renewal check"} ${new Date(a.nextAttempt).toISOString().replace(".000", "")}` : "not looked at yet";
  return ` · ACME ${a.state}, ${next}${a.lockHolder ? ` · order lock: ${a.lockHolder}` : ""}${a.lastError ? ` · last error: ${a.lastError}` : ""}`;
}

// Listeners: address, protocols, open connections, and each certificate's names, issuer, days left (a warning under 14) and ACME state.
function renderListeners(open) {
  if (!listenerInfo) return;
  const { listeners, certificates } = listenerInfo;
  fillTable("listeners", Object.entries(listeners).sort().map(([name, l]) => {
    const tr = document.createElement("tr"); tr.dataset.listener = name;
    cell(tr, name); cell(tr, l.address); cell(tr, l.protocols.join(", "));
    cell(tr, ((open && open[name]) ? open[name].openConnections : 0).toLocaleString()).className = "connections";
    const certs = cell(tr, l.tls ? "" : "plain HTTP"); certs.className = "certificates";
    for (const c of certificates.filter((x) => x.listener === name)) {
      const line = document.createElement("div"); line.className = c.expiresSoon ? "certificate expiring" : "certificate";
      const issuer = /CN=([^,]+)/.exec(c.issuer)?.[1] ?? c.issuer;
      line.textContent = `${c.names.join(", ")} · ${issuer} · ${c.daysToExpiry} days left${c.expiresSoon ? " (renew!)" : ""}${c.source === "file" ? " · file" : acmeText(c.acme)}`;
      certs.appendChild(line);
    }
    return tr;
  }));
}

// A route's rule in one line: hosts, path, methods.
function ruleOf(r) {
  if (!r) return "";
  const m = r.match;
  const path = m.path ?? (m.pathPrefix ? `${m.pathPrefix}*` : m.pathRegex ? `~${m.pathRegex}` : "*");
  return [m.hosts && m.hosts.length ? m.hosts.join(",") : "", path, m.methods && m.methods.length ? m.methods.join(",") : ""].filter((x) => x).join(" ");
}

// The stages a route goes through, from its config: what an operator asks first of a route.
function stagesOf(r) {
  if (!r) return "";
  const stages = [];
  if (r.redirects && r.redirects.length) stages.push("redirects");
  if (r.normalize) stages.push("normalize");
  if (r.rewrite) stages.push("rewrite");
  if (r.cache) stages.push("cache");
  if (r.compression) stages.push("compression");
  if (r.waf && r.waf.mode !== "off") stages.push(`waf:${r.waf.mode}`);
  if (r.auth) stages.push("auth");
  if (r.rateLimit) stages.push("rate limit");
  if (r.bodyRewrite) stages.push("body rewrite");
  return stages.join(", ");
}

const percentiles = (t) => [t.p50Ms, t.p95Ms, t.p99Ms].map((v) => v === null || v === undefined ? "–" : formatMs(v / 1000)).join(" / ");
const percent = (ratio) => ratio === null || ratio === undefined ? "–" : `${(ratio * 100).toFixed(1)}%`;

function bytes(n) {
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : n < 1073741824 ? `${(n / 1048576).toFixed(1)} MiB` : `${(n / 1073741824).toFixed(2)} GiB`;
}

function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

const ago = (iso) => duration((Date.now() - new Date(iso).getTime()) / 1000);

// A backend's last probe: "ok 200 in 1 ms, 3 s ago" (the time is absent when the probe was never sent).
function lastCheck(c) {
  if (!c) return "no checks";
  const took = c.latencyMs === null || c.latencyMs === undefined ? "" : ` in ${formatMs(c.latencyMs / 1000)}`;
  return `${c.passed ? "ok" : "failed"} ${c.result}${took}, ${ago(c.at)} ago`;
}

// The search box: rows of routes, clusters and backends whose text does not contain it are hidden.
function applyFilter() {
  const needle = $("search").value.trim().toLowerCase();
  for (const row of document.querySelectorAll("#routes tbody tr, #clusters tbody tr, #backends tbody tr")) {
    row.hidden = needle !== "" && !(row.dataset.search ?? row.textContent).toLowerCase().includes(needle);
  }
}

// The charts' points: each second of the last five minutes, or each minute of the last hour as rates per second.
function chartPoints(stats) {
  if (range === "1h" && stats.history) {
    return stats.history.map((m) => ({ requests: m.requests / m.seconds, errors: m.status[4] / m.seconds, p50: m.p50, p95: m.p95, p99: m.p99 }));
  }
  return stats.series.map((p) => ({ requests: p.requests, errors: p.status[4], p50: p.p50, p95: p.p95, p99: p.p99 }));
}

function renderCache(cache) {
  const o = cache.outcomes;
  $("cache-ratio-now").textContent = o ? percent(o.hitRatio) : "–";
  fillTable("cache", fieldRows([
    ["hit ratio", o ? percent(o.hitRatio) : "–"],
    ["hits / stale / misses", o ? `${o.hits.toLocaleString()} / ${o.stale.toLocaleString()} / ${o.misses.toLocaleString()}` : "–"],
    ["revalidated / collapsed / bypass", o ? `${o.revalidated.toLocaleString()} / ${o.collapsed.toLocaleString()} / ${o.bypass.toLocaleString()}` : "–"],
    ["served from cache", o ? bytes(o.bytesServed) : "–"],
    ["stored", `${cache.entries.toLocaleString()} entries, ${bytes(cache.bytes)} in memory`],
  ]));
  fillTable("cache-tiers", Object.entries(cache.tiers).map(([tier, t]) => {
    const tr = document.createElement("tr"); tr.dataset.tier = tier; cell(tr, tier); cell(tr, t.entries.toLocaleString()); cell(tr, bytes(t.bytes)); return tr;
  }));
  fillTable("top-urls", cache.topUrls.map((u) => {
    const tr = document.createElement("tr"); tr.dataset.url = u.url; cell(tr, u.url).className = "url"; cell(tr, u.hits.toLocaleString()); return tr;
  }));
}

function renderRoutes(stats) {
  const routeIds = [...new Set([...Object.keys(stats.routes), ...Object.keys(routeAuth)])].sort();
  fillTable("routes", routeIds.map((route) => {
    const t = stats.routes[route] || { requests: 0, errors5xx: 0, meanMs: 0, status: [0, 0, 0, 0, 0], p50Ms: null, p95Ms: null, p99Ms: null };
    const r = routeInfo[route];
    const tr = document.createElement("tr"); tr.dataset.route = route;
    const name = cell(tr, route);
    tr.dataset.search = [route, r && r.cluster, r && r.split ? r.split.arms.map((a) => a.cluster).join(" ") : ""].join(" ");
    if (r && r.cluster) {
      // To the route's backends: the cluster's rows in the backends table.
      const link = document.createElement("a"); link.href = `#backends-${r.cluster}`; link.textContent = `→ ${r.cluster}`;
      link.className = "to-cluster"; link.dataset.key = `route-link-${route}`; link.title = `the backends of cluster ${r.cluster}`;
      name.append(" ", link);
    }
    cell(tr, ruleOf(r)).className = "rule";
    cell(tr, t.requests.toLocaleString());
    cell(tr, t.status.slice(1).map((n) => n.toLocaleString()).join(" / ")).className = "classes";
    cell(tr, percentiles(t)).className = "latency";
    const c = t.cache;
    const cache = cell(tr, c ? `${percent(c.hitRatio)} (${c.hits} / ${c.stale} / ${c.misses})` : ""); cache.className = "cache";
    if (c) cache.title = `hits / stale / misses; ${bytes(c.bytesServed)} served from cache`;
    cell(tr, t.refusals ? `${t.refusals.waf} / ${t.refusals.rateLimit}` : "0 / 0").className = "refusals";
    cell(tr, stagesOf(r)).className = "stages";
    cell(tr, r ? (r.fastPath === "yes" ? "fast" : r.fastPath === "fresh_cache_hits" ? "fast (fresh hits)" : `full: ${r.fastPath}`) : "").className = "path";
    cell(tr, routeAuth[route] ?? "").className = "auth";
    // Only routes with a maintenance section can be switched; the others show nothing.
    const maintenance = stats.maintenance ? stats.maintenance[route] : undefined;
    const m = cell(tr, ""); m.className = maintenance ? "maintenance on" : "maintenance";
    if (maintenance !== undefined) {
      const state = document.createElement("span"); state.className = "state"; state.textContent = maintenance ? "on" : "off";
      m.append(state, " ", button(maintenance ? "end" : "start", `maintenance-${route}`, `${maintenance ? "end" : "start"} maintenance of route ${route}`, () => maintain(route, !maintenance)));
    }
    return tr;
  }));
}

function renderBackends(stats) {
  // One body per cluster, the target of the routes' links.
  const table = $("backends");
  const bodies = Object.entries(stats.destinations).sort().map(([cluster, c]) => {
    const body = document.createElement("tbody"); body.id = `backends-${cluster}`; body.tabIndex = -1;
    for (const d of c.destinations) {
      const tr = document.createElement("tr"); tr.dataset.destination = `${cluster}/${d.name}`;
      cell(tr, cluster); cell(tr, d.name);
      const state = cell(tr, ""); const badge = document.createElement("span");
      badge.className = `badge state ${d.state}`; badge.textContent = d.state; state.appendChild(badge);
      cell(tr, ago(d.since)).className = "since";
      cell(tr, duration(d.downtimeSeconds)).className = "downtime";
      cell(tr, d.requests.toLocaleString()).className = "requests";
      const e = d.errors;
      const errors = cell(tr, `${e.connect} / ${e.reset} / ${e.timeout} / ${e.status5xx}`); errors.className = "errors";
      errors.title = `recent: ${d.recent.failed} of the last ${d.recent.of} failed`;
      cell(tr, d.retries.toLocaleString()).className = "retries";
      cell(tr, percentiles({ p50Ms: d.latencyMs.p50, p95Ms: d.latencyMs.p95, p99Ms: d.latencyMs.p99 })).className = "latency";
      cell(tr, lastCheck(d.lastCheck)).className = "check";
      cell(tr, d.weight.toString()).className = "weight";
      cell(tr, d.inFlight.toString());
      const action = d.drained ? "enable" : "drain";
      cell(tr, "").appendChild(button(action, `drain-${cluster}/${d.name}`, `${action} ${d.name} in cluster ${cluster}`, () => drain(cluster, d.name, action)));
      body.appendChild(tr);
    }
    return body;
  });
  table.querySelectorAll("tbody").forEach((b) => b.remove());
  table.append(...bodies);
}

function render(stats) {
  const series = stats.series;
  const last = series[series.length - 1] || { requests: 0 };
  const lastMinute = series.slice(-60);
  $("rps-now").textContent = last.requests.toLocaleString();
  $("p50-now").textContent = formatMs(last.p50);
  $("p99-now").textContent = formatMs(last.p99);
  $("errors-now").textContent = lastMinute.reduce((n, p) => n + p.status[4], 0).toLocaleString();
  $("local-now").textContent = lastMinute.reduce((n, p) => n + p.local, 0).toLocaleString();
  $("source").textContent = `${stats.status.source} · revision ${stats.status.servingRevision} · v${stats.status.version}`;

  // 5xx on a chart of its own: on the request-rate axis a few errors a second lie flat at zero.
  const points = chartPoints(stats);
  const start = ranges[range].label;
  document.querySelectorAll(".range-label").forEach((e) => { e.textContent = range === "1h" ? "(each minute's mean)" : ""; });
  drawChart($("rps-chart"), [points.map((p) => p.requests)], [css("--total")], start);
  drawChart($("errors-chart"), [points.map((p) => p.errors)], [css("--err")], start);
  const ms = (v) => v === null ? null : v * 1000;
  drawChart($("latency-chart"), [points.map((p) => ms(p.p50)), points.map((p) => ms(p.p95)), points.map((p) => ms(p.p99))], [css("--p50"), css("--p95"), css("--p99")], start);

  const classes = ["1xx", "2xx", "3xx", "4xx", "5xx"];
  const counts = classes.map((_, i) => lastMinute.reduce((n, p) => n + p.status[i], 0));
  const most = Math.max(1, ...counts);
  $("status-bars").replaceChildren(...classes.map((name, i) => {
    const bar = document.createElement("div"); bar.className = `bar s${name}`; bar.dataset.status = name;
    const label = document.createElement("span"); label.textContent = name;
    const track = document.createElement("div"); const fill = document.createElement("div"); fill.className = "fill";
    fill.style.width = `${(100 * counts[i] / most).toFixed(1)}%`; track.appendChild(fill);
    const n = document.createElement("span"); n.className = "count"; n.textContent = counts[i].toLocaleString();
    bar.append(label, track, n); return bar;
  }));

  fillTable("reasons", Object.entries(stats.localReasons).map(([reason, n]) => {
    const tr = document.createElement("tr"); cell(tr, reason); cell(tr, n.toLocaleString()); return tr;
  }));

  loadRouteAuth(stats.status.servingRevision);
  keepFocus(() => {
    renderRoutes(stats);
    fillTable("clusters", Object.entries(stats.destinations).sort().map(([cluster, c]) => {
      const t = stats.clusters[cluster] || { requests: 0, errors5xx: 0, meanMs: 0 };
      const tr = document.createElement("tr"); tr.dataset.cluster = cluster;
      cell(tr, cluster); cell(tr, t.requests.toLocaleString()); cell(tr, t.errors5xx.toLocaleString()); cell(tr, `${t.meanMs.toFixed(1)} ms`);
      cell(tr, `${c.available} of ${c.destinations.length}`);
      return tr;
    }));
    renderBackends(stats);
  });
  applyFilter();
  renderCache(stats.cache);
  renderListeners(stats.listeners);

  const p = stats.status.process;
  const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
  fillTable("process", fieldRows([
    ["uptime", ago(p.startedAt)], ["memory (working set)", mib(p.workingSetBytes)], ["GC heap", mib(p.gcHeapBytes)],
    ["GC collections (gen 0/1/2)", p.gcCollections.join(" / ")], ["threads (pool)", `${p.threads} (${p.threadPoolThreads})`],
    ["open connections", p.openConnections.toLocaleString()], ["requests in flight", p.inFlightRequests.toLocaleString()],
    ["config revision", `${stats.status.servingRevision}`],
  ]));

  renderRedis(stats.status.redis);

  const reload = stats.status.lastReload;
  const box = $("reload");
  box.replaceChildren();
  if (reload) {
    const line = document.createElement("div");
    line.className = reload.revision > 0 ? "ok" : "refused";
    line.textContent = `${reload.revision > 0 ? `revision ${reload.revision} applied` : "refused"} at ${new Date(reload.at).toLocaleTimeString()} from ${reload.source}`;
    box.appendChild(line);
    if (reload.errors.length) { const pre = document.createElement("pre"); pre.textContent = reload.errors.join("\n"); box.appendChild(pre); }
  }
}

function fieldRows(fields) {
  return fields.map(([name, value]) => { const tr = document.createElement("tr"); tr.dataset.field = name; const th = document.createElement("th"); th.scope = "row"; th.textContent = name; tr.appendChild(th); cell(tr, value); return tr; });
}

// The shared Redis connection (/api/redis, carried in the snapshot's status); no panel without a redis section.
function renderRedis(r) {
  $("redis-panel").hidden = !r || !r.configured;
  if (!r || !r.configured) return;
  fillTable("redis", fieldRows([
    ["state", r.state], ["endpoint", r.endpoints.join(", ")],
    ["latency", r.latencyMs == null ? "–" : `${r.latencyMs.toFixed(1)} ms`], ["breaker", r.breaker],
    ["live instances", r.instances.toLocaleString()],
    ["mode", r.mode === "shared" ? "shared" : `fallback: each instance alone, rate limits ÷ ${r.instances}`],
    ["this instance", r.instance],
  ]));
}

// A snapshot now (the first paint, a changed range, the answer to an action).
async function refresh() {
  const response = await fetch(withToken(`/api/stats?${ranges[range].query}`), { headers: authHeaders() });
  if (response.ok) {
    const snapshot = await response.json();
    await loadRouteAuth(snapshot.status.servingRevision);
    render(snapshot);
  }
}

// The first paint draws a snapshot fetched before the stream opens, so the page never shows
// empty panels while the event stream connects.
let events = null;
async function connect() {
  try {
    await refresh();
  } catch {
    // The stream below reconnects and shows the state; the snapshot was only a head start.
  }
  events?.close();
  events = new EventSource(withToken(`/api/stats/stream?${ranges[range].query}`));
  events.onopen = () => { const c = $("connection"); c.textContent = "live"; c.className = "badge up"; };
  events.onmessage = (e) => render(JSON.parse(e.data));
  events.onerror = () => { const c = $("connection"); c.textContent = "reconnecting…"; c.className = "badge down"; };
}

// Light or dark: the system's choice until the button sets one, kept for the next visit.
function applyTheme(theme) {
  if (theme) document.documentElement.dataset.theme = theme; else delete document.documentElement.dataset.theme;
  const dark = theme ? theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  const b = $("theme"); b.textContent = "dark theme"; b.setAttribute("aria-pressed", String(dark));
}

$("theme").addEventListener("click", () => {
  const dark = $("theme").getAttribute("aria-pressed") !== "true";
  try { localStorage.setItem("portico-theme", dark ? "dark" : "light"); } catch { /* private mode: this visit only */ }
  applyTheme(dark ? "dark" : "light");
  refresh();
});
let savedTheme = null;
try { savedTheme = localStorage.getItem("portico-theme"); } catch { /* no storage */ }
applyTheme(savedTheme);
$("search").addEventListener("input", applyFilter);
$("range").addEventListener("change", () => { range = $("range").value; connect(); });

connect();
