-- wrk script for JSON intake: every request is a new report with its own Idempotency-Key.
-- Environment: GRIDLINE_TOKEN (bearer token), GRIDLINE_LAT/GRIDLINE_LON (a point in the grid),
-- GRIDLINE_DELAY_MS (optional pause per connection between requests, to hold a fixed rate),
-- GRIDLINE_KEYS (optional): `random` (the default) sends keys with no order, as a third-party
-- client may; `time` sends keys that grow with time like the UUIDv7 the phone's outbox mints
-- (the seconds, then the thread and a counter), so each lands beside the last in the key index.

local token = os.getenv("GRIDLINE_TOKEN")
local lat = os.getenv("GRIDLINE_LAT") or "31.1504"
local lon = os.getenv("GRIDLINE_LON") or "121.4010"
local pause = tonumber(os.getenv("GRIDLINE_DELAY_MS") or "0")
local keys_by_time = os.getenv("GRIDLINE_KEYS") == "time"
local counter = 0
-- thread_id is set per thread by setup() (thread:set writes the thread's global); a local of the
-- same name here would hide it, give every thread the same seed and so the same keys.
local created_threads = 0

function setup(thread)
  created_threads = created_threads + 1
  thread:set("thread_id", created_threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + thread_id)
  wrk.method = "POST"
  wrk.headers["content-type"] = "application/json"
  wrk.headers["authorization"] = "Bearer " .. token
  wrk.body = string.format(
    '{"category":"E0101","description":"Overflowing rubbish bin next to the bus stop",' ..
    '"position":{"lat":%s,"lon":%s,"crs":"wgs84","accuracy_m":8}}', lat, lon)
end

function request()
  counter = counter + 1
  local key
  if keys_by_time then
    local now = os.time()
    key = string.format("%08x-%04x-7%03x-%04x-%04x%08x",
      math.floor(now / 0x10000), now % 0x10000, thread_id % 0x1000,
      0x8000 + math.random(0, 0x3fff), thread_id, counter)
  else
    key = string.format("%08x-%04x-4%03x-%04x-%04x%08x",
      math.random(0, 0x7fffffff), thread_id, math.random(0, 0xfff),
      0x8000 + math.random(0, 0x3fff), thread_id, counter)
  end
  wrk.headers["idempotency-key"] = key
  return wrk.format(nil, "/api/v1/reports")
end

function delay()
  return pause
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("RESULT requests=%d duration_s=%.2f rate=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
