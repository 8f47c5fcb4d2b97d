-- wrk calls done() once at the end of a run. We print one machine-readable line so run.sh
-- does not have to parse wrk's human-formatted numbers ("1.23ms", "4.56k"), whose units vary.
-- Latencies from wrk's histogram are in microseconds; summary.duration is in microseconds too.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
