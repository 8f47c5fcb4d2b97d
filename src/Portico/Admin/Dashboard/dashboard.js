// Portico dashboard: reads /api/stats/stream (one JSON snapshot a second) and draws it.
// No libraries: charts are drawn on canvas so the page loads nothing from the internet.
"use strict";

const token = new URLSearchParams(location.search).get("token");
const withToken = (url) => token ? `${url}${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}` : url;
const $ = (id) => document.getElementById(id);

function formatMs(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const ms = seconds * 1000;
  return ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function drawChart(canvas, series, colors) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  canvas.width = width * ratio; canvas.height = height * ratio;
  const g = canvas.getContext("2d");
  g.scale(ratio, ratio);
  g.clearRect(0, 0, width, height);
  const left = 44, bottom = 18, top = 8, right = 8;
  const values = series.flat().filter((v) => v !== null);
  const max = Math.max(1, ...values) * 1.1;
  g.strokeStyle = "#dde1e6"; g.fillStyle = "#6b7480"; g.font = "11px system-ui"; g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = top + (height - top - bottom) * (1 - i / 4);
    g.beginPath(); g.moveTo(left, y); g.lineTo(width - right, y); g.stroke();
    const label = max * i / 4;
    g.fillText(label >= 100 ? label.toFixed(0) : label.toFixed(label >= 10 ? 1 : 2), 4, y + 4);
  }
  g.fillText("-2 min", left, height - 4);
  g.fillText("now", width - right - 22, height - 4);
  series.forEach((points, s) => {
    g.strokeStyle = colors[s]; g.lineWidth = 2; g.beginPath();
    let drawing = false;
    points.forEach((v, i) => {
      if (v === null) { drawing = false; return; }
      const x = left + (width - left - right) * (i / Math.max(1, points.length - 1));
      const y = top + (height - top - bottom) * (1 - v / max);
      if (drawing) g.lineTo(x, y); else g.moveTo(x, y);
      // A second with traffic between two without is a point, not a line: mark it.
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

async function act(cluster, destination, action) {
  const url = withToken(`/api/clusters/${encodeURIComponent(cluster)}/destinations/${encodeURIComponent(destination)}/${action}`);
  await fetch(url, { method: "POST", headers: token ? { Authorization: `Bearer ${token}` } : {} });
}

// Each route's auth schemes ("open" without auth), rule and fast-path verdict, read from /api/routes once per config revision.
let routeAuth = {};
let routeInfo = {};
let routeAuthRevision = null;
async function loadRouteAuth(revision) {
  if (revision === routeAuthRevision) return;
  routeAuthRevision = revision;
  const response = await fetch(withToken("/api/routes"), { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!response.ok) { routeAuthRevision = null; return; }
  const routes = await response.json();
  routeAuth = Object.fromEntries(Object.entries(routes).map(([id, r]) => [id, r.auth ? r.auth.schemes.join(", ") : "open"]));
  routeInfo = routes;
  const [config, certificates] = await Promise.all(["/api/config", "/api/certificates"].map(async (url) => {
    const r = await fetch(withToken(url), { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    return r.ok ? r.json() : null;
  }));
  if (config && certificates) renderListeners(config.listeners, certificates);
}

// Listeners: address, protocols, and each certificate's names, issuer and days left (a warning under 14).
function renderListeners(listeners, certificates) {
  fillTable("listeners", Object.entries(listeners).sort().map(([name, l]) => {
    const tr = document.createElement("tr"); tr.dataset.listener = name;
    cell(tr, name); cell(tr, l.address); cell(tr, l.protocols.join(", "));
    const certs = cell(tr, l.tls ? "" : "plain HTTP"); certs.className = "certificates";
    for (const c of certificates.filter((x) => x.listener === name)) {
      const line = document.createElement("div"); line.className = c.expiresSoon ? "certificate expiring" : "certificate";
      const issuer = /CN=([^,]+)/.exec(c.issuer)?.[1] ?? c.issuer;
      line.textContent = `${c.names.join(", ")} · ${issuer} · ${c.daysToExpiry} days left${c.expiresSoon ? " (renew!)" : ""}`;
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
  if (r.cache) stages.push("cache");
  if (r.compression) stages.push("compression");
  if (r.waf && r.waf.mode !== "off") stages.push(`waf:${r.waf.mode}`);
  if (r.auth) stages.push("auth");
  if (r.rateLimit) stages.push("rate limit");
  if (r.bodyRewrite) stages.push("body rewrite");
  return stages.join(", ");
}

const percentiles = (t) => [t.p50Ms, t.p95Ms, t.p99Ms].map((v) => v === null || v === undefined ? "–" : formatMs(v / 1000)).join(" / ");

function ago(iso) {
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
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
  drawChart($("rps-chart"), [series.map((p) => p.requests)], ["#2563eb"]);
  drawChart($("errors-chart"), [series.map((p) => p.status[4])], ["#c0392b"]);
  const ms = (v) => v === null ? null : v * 1000;
  drawChart($("latency-chart"), [series.map((p) => ms(p.p50)), series.map((p) => ms(p.p95)), series.map((p) => ms(p.p99))], ["#0e9f6e", "#d97706", "#9333ea"]);

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
  const routeIds = [...new Set([...Object.keys(stats.routes), ...Object.keys(routeAuth)])].sort();
  fillTable("routes", routeIds.map((route) => {
    const t = stats.routes[route] || { requests: 0, errors5xx: 0, meanMs: 0, status: [0, 0, 0, 0, 0], p50Ms: null, p95Ms: null, p99Ms: null };
    const r = routeInfo[route];
    const tr = document.createElement("tr"); tr.dataset.route = route;
    cell(tr, route); cell(tr, ruleOf(r)).className = "rule";
    cell(tr, t.requests.toLocaleString());
    cell(tr, t.status.slice(1).map((n) => n.toLocaleString()).join(" / ")).className = "classes";
    cell(tr, percentiles(t)).className = "latency";
    cell(tr, stagesOf(r)).className = "stages";
    cell(tr, r ? (r.fastPath === "yes" ? "fast" : r.fastPath === "fresh_cache_hits" ? "fast (fresh hits)" : `full: ${r.fastPath}`) : "").className = "path";
    cell(tr, routeAuth[route] ?? "").className = "auth";
    // Only routes with a maintenance section can be switched; the others show nothing.
    const maintenance = stats.maintenance ? stats.maintenance[route] : undefined;
    cell(tr, maintenance === undefined ? "" : maintenance ? "on" : "off").className = maintenance ? "maintenance on" : "maintenance";
    return tr;
  }));

  fillTable("clusters", Object.entries(stats.destinations).sort().map(([cluster, c]) => {
    const t = stats.clusters[cluster] || { requests: 0, errors5xx: 0, meanMs: 0 };
    const tr = document.createElement("tr"); tr.dataset.cluster = cluster;
    cell(tr, cluster); cell(tr, t.requests.toLocaleString()); cell(tr, t.errors5xx.toLocaleString()); cell(tr, `${t.meanMs.toFixed(1)} ms`);
    cell(tr, `${c.available} of ${c.destinations.length}`);
    return tr;
  }));

  const rows = [];
  for (const [cluster, c] of Object.entries(stats.destinations)) {
    for (const d of c.destinations) {
      const tr = document.createElement("tr"); tr.dataset.destination = `${cluster}/${d.name}`;
      cell(tr, cluster); cell(tr, d.name);
      const state = cell(tr, ""); const badge = document.createElement("span");
      badge.className = `badge state ${d.state}`; badge.textContent = d.state; state.appendChild(badge);
      cell(tr, ago(d.since)).className = "since";
      cell(tr, d.requests.toLocaleString()).className = "requests";
      const e = d.errors;
      const errors = cell(tr, `${e.connect} / ${e.reset} / ${e.timeout} / ${e.status5xx}`); errors.className = "errors";
      errors.title = `recent: ${d.recent.failed} of the last ${d.recent.of} failed`;
      cell(tr, d.retries.toLocaleString()).className = "retries";
      cell(tr, percentiles({ p50Ms: d.latencyMs.p50, p95Ms: d.latencyMs.p95, p99Ms: d.latencyMs.p99 })).className = "latency";
      cell(tr, d.lastCheck ? `${d.lastCheck.passed ? "ok" : "failed"} ${d.lastCheck.result}, ${ago(d.lastCheck.at)} ago` : "no checks").className = "check";
      cell(tr, d.weight.toString()).className = "weight";
      cell(tr, d.inFlight.toString());
      const buttons = cell(tr, ""); const button = document.createElement("button");
      const action = d.drained ? "enable" : "drain"; button.textContent = action;
      button.addEventListener("click", () => act(cluster, d.name, action)); buttons.appendChild(button);
      rows.push(tr);
    }
  }
  fillTable("backends", rows);

  const p = stats.status.process;
  const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
  fillTable("process", [
    ["uptime", ago(p.startedAt)], ["memory (working set)", mib(p.workingSetBytes)], ["GC heap", mib(p.gcHeapBytes)],
    ["GC collections (gen 0/1/2)", p.gcCollections.join(" / ")], ["threads (pool)", `${p.threads} (${p.threadPoolThreads})`],
    ["open connections", p.openConnections.toLocaleString()], ["requests in flight", p.inFlightRequests.toLocaleString()],
  ].map(([name, value]) => { const tr = document.createElement("tr"); tr.dataset.field = name; cell(tr, name); cell(tr, value); return tr; }));

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

// The first paint draws a snapshot fetched before the stream opens, so the page never shows
// empty panels while the event stream connects.
async function connect() {
  try {
    const first = await fetch(withToken("/api/stats?seconds=120"), { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    if (first.ok) {
      const snapshot = await first.json();
      await loadRouteAuth(snapshot.status.servingRevision);
      render(snapshot);
    }
  } catch {
    // The stream below reconnects and shows the state; the snapshot was only a head start.
  }
  const events = new EventSource(withToken("/api/stats/stream?seconds=120"));
  events.onopen = () => { const c = $("connection"); c.textContent = "live"; c.className = "badge up"; };
  events.onmessage = (e) => render(JSON.parse(e.data));
  events.onerror = () => { const c = $("connection"); c.textContent = "reconnecting…"; c.className = "badge down"; };
}

connect();
