"""bench/soak.sh's report from its samples.tsv: a table over time (written to the file named second)
and, on stdout, a summary per instance and measure: the mean of the first minute, the mean of the
last minute, and the slope per minute after the first minute (least squares), which is where a
leak shows; the first minute holds the start-up (JIT, pools filling, the cache filling)."""
import sys
from collections import defaultdict

samples, table_path = sys.argv[1], sys.argv[2]
MEASURES = [
    ("rss_kib", "Rss (MiB)", 1 / 1024),
    ("rss_anon_kib", "Rss anonymous (MiB)", 1 / 1024),
    ("rss_file_kib", "Rss files (MiB)", 1 / 1024),
    ("rss_shmem_kib", "Rss shared memory (MiB)", 1 / 1024),
    ("fds", "open fds", 1),
    ("threads", "threads", 1),
    ("gc_heap_bytes", "GC heap (MiB)", 1 / 1048576),
    ("gc_after_gc_bytes", "GC heap after last GC (MiB)", 1 / 1048576),
    ("gc_committed_bytes", "GC committed (MiB)", 1 / 1048576),
]

lines = [line.rstrip("\n").split("\t") for line in open(samples)]
rows = [dict(zip(lines[0], line)) for line in lines[1:]]
by = defaultdict(list)
for r in rows:
    by[r["instance"]].append(r)


def value(r, key, scale):
    # Samples from before a column was added (an older samples.tsv) have none.
    return None if r.get(key, "NA") in ("", "NA") else float(r[key]) * scale


with open(table_path, "w") as table:
    names = sorted(by)
    table.write("| s | " + " | ".join(f"{n}: {label}" for n in names for _, label, _ in MEASURES) + " |\n")
    table.write("|---" * (1 + len(names) * len(MEASURES)) + "|\n")
    for i in range(min(len(by[n]) for n in names)):
        cells = [by[names[0]][i]["seconds"]]
        for n in names:
            for key, _, scale in MEASURES:
                v = value(by[n][i], key, scale)
                cells.append("-" if v is None else f"{v:.1f}" if scale != 1 else f"{v:.0f}")
        table.write("| " + " | ".join(cells) + " |\n")

last_second = max(float(r["seconds"]) for r in rows)
print(f"Soak of {last_second:.0f} s, {len(rows)} samples; per instance: first minute mean, last minute mean, slope per minute after the first minute")
print()
print("| instance | measure | first minute | last minute | change | slope / min (after 1st min) |")
print("|---|---|---|---|---|---|")
for n in sorted(by):
    for key, label, scale in MEASURES:
        points = [(float(r["seconds"]), value(r, key, scale)) for r in by[n]]
        points = [(t, v) for t, v in points if v is not None]
        if not points:
            continue
        first = [v for t, v in points if t < 60]
        last = [v for t, v in points if t > last_second - 60]
        later = [(t / 60, v) for t, v in points if t >= 60]
        slope = float("nan")
        if len(later) >= 2:
            mt = sum(t for t, _ in later) / len(later)
            mv = sum(v for _, v in later) / len(later)
            den = sum((t - mt) ** 2 for t, _ in later)
            slope = sum((t - mt) * (v - mv) for t, v in later) / den if den else float("nan")
        f = sum(first) / len(first) if first else float("nan")
        l = sum(last) / len(last) if last else float("nan")
        print(f"| {n} | {label} | {f:.1f} | {l:.1f} | {l - f:+.1f} | {slope:+.2f} |")
