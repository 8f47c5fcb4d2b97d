#!/usr/bin/env python3
"""Builds the markdown report from the raw measurements run.sh collected in one run directory.

Inputs (all in RUN_DIR, written by run.sh):
  env.md         the header: date, machine, versions, settings (copied as is)
  scenarios.tsv  id <TAB> title, in the order they ran
  runs.tsv       one line per measured load run (header line first), see COLUMNS
  skips.tsv      scenario <TAB> proxy <TAB> reason, for proxies that could not take part
  idle.tsv       one line per proxy for the idle-connections memory scenario
  notes.md       free-form notes gathered during the run (warnings, effective worker counts)

usage: report.py RUN_DIR CLK_TCK NCPU
"""
import csv
import os
import statistics
import sys

PROXIES = ["portico", "portico-waf", "nginx", "haproxy", "varnish", "direct"]


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def fmt(value, digits=1, suffix=""):
    if value is None:
        return "—"
    return f"{value:,.{digits}f}{suffix}"


def ratio(value, base):
    if value is None or base is None or base == 0:
        return "—"
    return f"{value / base:.2f}×"


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(rows, clk_tck, ncpu):
    """Per-proxy figures for one scenario: medians over rounds (max for peak RSS)."""
    tick_us = 1e6 / clk_tck
    out = {}
    for proxy in PROXIES:
        mine = [r for r in rows if r["proxy"] == proxy]
        if not mine:
            continue
        rps, p50, p99, proxy_cpu, origin_cpu, cpu_ratio, hwm, other = [], [], [], [], [], [], [], []
        user_cpu, kernel_cpu = [], []
        errors = 0
        for r in mine:
            requests = int(r["requests"])
            seconds = int(r["duration_us"]) / 1e6
            rps.append(requests / seconds if seconds else 0.0)
            p50.append(int(r["p50_us"]) / 1000.0)
            p99.append(int(r["p99_us"]) / 1000.0)
            errors += int(r["errors"])
            # CPU used by other processes during the run, as a share of the whole machine.
            other.append(100.0 * int(r["other_ticks"]) / (seconds * ncpu * clk_tck) if seconds else None)
            o_us = int(r["origin_ticks"]) * tick_us / requests if requests else None
            origin_cpu.append(o_us)
            if r["proxy_ticks"] != "-":
                p_us = int(r["proxy_ticks"]) * tick_us / requests if requests else None
                proxy_cpu.append(p_us)
                cpu_ratio.append(p_us / o_us if p_us is not None and o_us else None)
                if r.get("proxy_user_ticks") not in (None, "", "-") and p_us is not None:
                    u_us = int(r["proxy_user_ticks"]) * tick_us / requests
                    user_cpu.append(u_us)
                    kernel_cpu.append(p_us - u_us)
                hwm.append(int(r["proxy_hwm_kb"]))
            else:
                # "direct" has no proxy: its memory column shows the origin's own peak.
                hwm.append(int(r["origin_hwm_kb"]))
        out[proxy] = {
            "rps": median_or_none(rps),
            "rps_rounds": rps,
            "p50": median_or_none(p50),
            "p99": median_or_none(p99),
            "proxy_cpu": median_or_none(proxy_cpu),
            "origin_cpu": median_or_none(origin_cpu),
            "cpu_ratio": median_or_none(cpu_ratio),
            "user_cpu": median_or_none(user_cpu),
            "kernel_cpu": median_or_none(kernel_cpu),
            "hwm_mib": max(hwm) / 1024.0 if hwm else None,
            "errors": errors,
            "other": median_or_none(other),
        }
    return out


def scenario_table(title, figures, skips):
    lines = [f"### {title}", "",
             "| proxy | req/s | p50 ms | p99 ms | proxy CPU µs/req | origin CPU µs/req "
             "| proxy/origin CPU | peak RSS MiB | CPU/req vs nginx | p99 vs nginx | req/s vs nginx | errors | other load |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    base = figures.get("nginx", {})
    for proxy in PROXIES:
        if proxy in skips:
            lines.append(f"| {proxy} | skipped: {skips[proxy]} ||||||||||||")
            continue
        f = figures.get(proxy)
        if f is None:
            continue
        is_direct = proxy == "direct"
        name = "direct (origin, the ceiling)" if is_direct else proxy
        hwm = fmt(f["hwm_mib"]) + (" (origin)" if is_direct else "")
        lines.append(
            f"| {name} | {fmt(f['rps'], 0)} | {fmt(f['p50'], 2)} | {fmt(f['p99'], 2)} "
            f"| {fmt(f['proxy_cpu'])} | {fmt(f['origin_cpu'])} | {fmt(f['cpu_ratio'], 2)} | {hwm} "
            f"| {'—' if is_direct else ratio(f['proxy_cpu'], base.get('proxy_cpu'))} "
            f"| {ratio(f['p99'], base.get('p99'))} | {ratio(f['rps'], base.get('rps'))} "
            f"| {f['errors']} | {fmt(f['other'], 0, '%')} |")
    return lines


def cpu_split_table(summaries, titles):
    """User space and kernel (utime and stime) of each proxy's CPU per request, per scenario."""
    proxies = [p for p in PROXIES if p != "direct"
               and any(p in figures and figures[p]["user_cpu"] is not None for figures, _ in summaries.values())]
    if not proxies:
        return []
    lines = ["## Where each proxy's CPU goes", "",
             "Median µs per request in user space + in the kernel (utime and stime of the server's processes, "
             "same runs as above): what the server's own code costs, and what the kernel spends on its behalf.", "",
             "| scenario | " + " | ".join(proxies) + " |",
             "|---|" + "--:|" * len(proxies)]
    for sid, (figures, _) in summaries.items():
        cells = []
        for p in proxies:
            f = figures.get(p)
            if f is None or f["user_cpu"] is None:
                cells.append("—")
            else:
                cells.append(f"{f['user_cpu']:,.1f} + {f['kernel_cpu']:,.1f}")
        lines.append(f"| {titles[sid].split(' ')[0]} | " + " | ".join(cells) + " |")
    return lines


def waf_cost(figures):
    """Scenario (w): what the WAF adds to the same request on the same route."""
    plain, waf = figures["portico"], figures["portico-waf"]
    if plain["proxy_cpu"] is None or waf["proxy_cpu"] is None:
        return []
    return [f"**WAF cost per request: {waf['proxy_cpu'] - plain['proxy_cpu']:,.1f} µs of Portico's CPU** "
            f"({plain['proxy_cpu']:,.1f} → {waf['proxy_cpu']:,.1f} µs, {waf['proxy_cpu'] / plain['proxy_cpu']:.2f}×); "
            f"p99 {fmt(plain['p99'], 2)} → {fmt(waf['p99'], 2)} ms; req/s {fmt(plain['rps'], 0)} → {fmt(waf['rps'], 0)}. "
            "Both rows are the same config and request; portico-waf adds `waf: block` on the route."]


def idle_table(rows, count_wanted):
    lines = ["### (f) Memory with idle keep-alive connections", "",
             f"{count_wanted:,} connections opened one by one, one keep-alive GET /1k each, then held idle. "
             "RSS is VmRSS summed over all processes of the server; growth = highest RSS while holding − RSS before.",
             "",
             "| proxy | held | failed | RSS before MiB | RSS holding MiB | growth MiB | KiB per connection | RSS after close MiB |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for r in rows:
        held = int(r["opened"])
        before, holding, after = int(r["before_kb"]), int(r["holding_kb"]), int(r["after_close_kb"])
        growth = holding - before
        per_conn = growth / held if held else None
        name = "direct (origin)" if r["proxy"] == "direct" else r["proxy"]
        lines.append(f"| {name} | {held:,} | {r['failed']} | {fmt(before / 1024)} | {fmt(holding / 1024)} "
                     f"| {fmt(growth / 1024)} | {fmt(per_conn, 2)} | {fmt(after / 1024)} |")
    return lines


def compression_table(h, i, body_bytes):
    """Compression cost per MiB: proxy CPU per request with compression (h) minus without (i), per MiB of body."""
    mib = body_bytes / 1048576.0
    lines = ["### Compression cost per MiB", "",
             f"(proxy CPU µs/req in (h) − in (i)) ÷ {mib:.4f} MiB of uncompressed body: the CPU each proxy spends "
             "compressing one MiB, on top of proxying it (medians over the rounds; \"direct\" does not compress).", "",
             "| proxy | CPU µs/req compressed | CPU µs/req plain | compression CPU ms per MiB | vs nginx |",
             "|---|--:|--:|--:|--:|"]
    cost = {}
    for proxy in PROXIES:
        if proxy == "direct" or proxy not in h or proxy not in i:
            continue
        a, b = h[proxy]["proxy_cpu"], i[proxy]["proxy_cpu"]
        cost[proxy] = (a - b) / mib / 1000.0 if a is not None and b is not None else None
    for proxy, c in cost.items():
        lines.append(f"| {proxy} | {fmt(h[proxy]['proxy_cpu'])} | {fmt(i[proxy]['proxy_cpu'])} | {fmt(c, 2)} "
                     f"| {ratio(c, cost.get('nginx'))} |")
    return lines


def main():
    run_dir, clk_tck, ncpu = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    out = []
    with open(os.path.join(run_dir, "env.md")) as f:
        out.append(f.read().rstrip("\n"))
    out.append("")

    scenarios = read_tsv(os.path.join(run_dir, "scenarios.tsv"))
    runs = read_tsv(os.path.join(run_dir, "runs.tsv"))
    skips = read_tsv(os.path.join(run_dir, "skips.tsv"))
    idle = read_tsv(os.path.join(run_dir, "idle.tsv"))

    out += ["## Results", "",
            "req/s, p50, p99 and CPU per request are medians over the rounds; peak RSS is the highest "
            "VmHWM (reset before each run) over the rounds. CPU per request = (utime+stime of every "
            "process of that server, after − before the run) ÷ requests completed. "
            "\"vs nginx\" columns divide by the nginx row (CPU/req and p99: lower is better; req/s: higher is better). "
            "\"other load\" is the CPU the machine spent during the run on anything but the servers under test and "
            "the load generator (e.g. a build or test suite running at the same time), as a share of all cores; "
            "anything above a few percent makes that row's req/s and latency less trustworthy (CPU per request suffers least).",
            ""]
    # How much of the run was disturbed by other work on the machine.
    noisy = 0
    for r in runs:
        seconds = int(r["duration_us"]) / 1e6
        if seconds and 100.0 * int(r["other_ticks"]) / (seconds * ncpu * clk_tck) > 10:
            noisy += 1
    if runs:
        out += [f"Runs during which other work took more than 10% of the machine: **{noisy} of {len(runs)}**.", ""]
    summaries = {}
    per_round = ["## Requests/s of each round", "", "To judge the noise: the same figure, round by round.", ""]
    for sc in scenarios:
        sid, title = sc["id"], sc["title"]
        if sid == "f":
            wanted = int(sc.get("count") or 0)
            out += idle_table(idle, wanted) + [""]
            continue
        rows = [r for r in runs if r["scenario"] == sid]
        sk = {s["proxy"]: s["reason"] for s in skips if s["scenario"] == sid}
        figures = summarize(rows, clk_tck, ncpu)
        summaries[sid] = (figures, int(sc.get("count") or 0))
        out += scenario_table(title, figures, sk) + [""]
        if "portico" in figures and "portico-waf" in figures:
            out += waf_cost(figures) + [""]
        if sid in ("h", "i") and "h" in summaries and "i" in summaries:
            out += compression_table(summaries["h"][0], summaries["i"][0], summaries["h"][1]) + [""]
        per_round.append(f"- {title}: " + "; ".join(
            f"{p} " + " / ".join(f"{v:,.0f}" for v in figures[p]["rps_rounds"])
            for p in PROXIES if p in figures))
    out += cpu_split_table(summaries, {sc["id"]: sc["title"] for sc in scenarios}) + [""]
    out += per_round + [""]

    notes_path = os.path.join(run_dir, "notes.md")
    if os.path.exists(notes_path):
        with open(notes_path) as f:
            notes = f.read().strip()
        if notes:
            out += ["## Notes from this run", "", notes, ""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
