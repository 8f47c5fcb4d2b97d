#!/usr/bin/env python3
"""Turns one h2load run into the same one-line summary that lib/summary.lua prints for wrk.

h2load itself prints only min/max/mean/sd latencies, not percentiles, so run.sh asks it for a
per-request log (--log-file: start time in µs since the epoch, HTTP status, µs until the end of
the response) and the percentiles are computed here from every request of the run.

usage: h2load_summary.py H2LOAD_STDOUT_FILE H2LOAD_LOG_FILE
prints: BENCH requests=N duration_us=N p50_us=N p99_us=N errors=N
"""
import math
import re
import sys


def percentile(sorted_values, pct):
    """Nearest-rank percentile: the smallest value with at least pct% of values at or below it."""
    if not sorted_values:
        return 0
    rank = max(1, math.ceil(pct / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def main():
    stdout_path, log_path = sys.argv[1], sys.argv[2]
    text = open(stdout_path, encoding="utf-8", errors="replace").read()

    # "finished in 10.00s, 12345.67 req/s, 15.20MB/s" gives the measured duration.
    m = re.search(r"finished in ([0-9.]+)(ms|s),", text)
    if not m:
        sys.exit(f"h2load_summary: no 'finished in' line in {stdout_path}")
    duration_s = float(m.group(1)) / (1000.0 if m.group(2) == "ms" else 1.0)

    # "requests: T total, S started, D done, OK succeeded, F failed, E errored, X timeout"
    m = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, "
                  r"(\d+) errored, (\d+) timeout", text)
    if not m:
        sys.exit(f"h2load_summary: no 'requests:' line in {stdout_path}")
    failed = int(m.group(2)) + int(m.group(3)) + int(m.group(4))

    latencies = []
    bad_status = 0
    with open(log_path, encoding="utf-8", errors="replace") as log:
        for line in log:
            cols = line.split("\t")
            if len(cols) < 3:
                continue
            status = int(cols[1])
            if 200 <= status < 400:
                latencies.append(int(cols[2]))
            elif status != -1:  # -1 is a failed stream, already counted in 'failed' above
                bad_status += 1
    latencies.sort()

    # Requests completed = responses received (any status), matching what wrk counts.
    requests = len(latencies) + bad_status
    print(f"BENCH requests={requests} duration_us={int(duration_s * 1e6)} "
          f"p50_us={percentile(latencies, 50)} p99_us={percentile(latencies, 99)} "
          f"errors={failed + bad_status}")


if __name__ == "__main__":
    main()
