-- Scenario (p): every connection waits a fixed pause after each response before its next
-- request, so the offered load is about connections × 1000 / (pause ms + latency ms) for every
-- server alike, well below what any of them can serve; latency is then compared at the same
-- load rather than at each server's own saturation point. BENCH_PACE_MS sets the pause.
local pause = tonumber(os.getenv("BENCH_PACE_MS") or "5")

delay = function()
  return pause
end

dofile(os.getenv("BENCH_LIB") .. "/summary.lua")
