-- bench/soak.sh's keep-alive mix through the front: mostly cache hits (/cached/1k), a cache
-- miss with a key never seen before one request in five (the cache fills to cache.maxSize and
-- evicts, as it does in service), and one in ten of 100 KiB uncached. Each connection pauses
-- SOAK_PACE_MS after every response, so the offered load is steady and well below saturation:
-- a soak looks for growth over time, not for throughput. With SOAK_PATH every request is for
-- that path instead (the new-connection and rate-limited parts of the mix), paced the same.
local pause = tonumber(os.getenv("SOAK_PACE_MS") or "20")
local only = os.getenv("SOAK_PATH")
if only == "" then only = nil end
local n = 0
-- Unique per thread and per wrk round: the time it started and its own Lua state's address.
local prefix = os.time() .. tostring({}):gsub("table: ", "")

request = function()
  n = n + 1
  local path
  if only then
    path = only
  elseif n % 10 == 0 then
    path = "/100k"
  elseif n % 5 == 0 then
    path = "/cached/1k?miss=" .. prefix .. "-" .. n
  else
    path = "/cached/1k"
  end
  return wrk.format(nil, path)
end

delay = function()
  return pause
end
