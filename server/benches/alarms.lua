-- wrk script for sensor alarm intake: every request is a batch of GRIDLINE_BATCH alarms (default
-- 100) with ids never sent before, from devices picked at random among GRIDLINE_DEVICES devices
-- named g0, g1, ... of kind water_level (imported by scripts/bench-sensors). Environment:
-- GRIDLINE_SENSOR_KEY (the system's key), GRIDLINE_DELAY_MS (optional pause per connection
-- between requests, to hold a lower rate).

local key = os.getenv("GRIDLINE_SENSOR_KEY")
local devices = tonumber(os.getenv("GRIDLINE_DEVICES") or "10000")
local batch = tonumber(os.getenv("GRIDLINE_BATCH") or "100")
local pause = tonumber(os.getenv("GRIDLINE_DELAY_MS") or "0")
local counter = 0
local created_threads = 0

function setup(thread)
  created_threads = created_threads + 1
  thread:set("thread_id", created_threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + thread_id)
  wrk.method = "POST"
  wrk.headers["content-type"] = "application/json"
  wrk.headers["authorization"] = "Bearer " .. key
end

function request()
  counter = counter + 1
  local parts = {}
  for i = 1, batch do
    parts[i] = string.format(
      '{"id":"t%d-%d-%d-%d","alertSource":"g%d","category":"water_level","severity":"high",' ..
      '"dateIssued":"2026-12-03T08:00:00Z","value":0.3,"unit":"m"}',
      thread_id, os.time(), counter, i, math.random(0, devices - 1))
  end
  return wrk.format(nil, "/api/v1/sensors/alarms", nil, '{"alarms":[' .. table.concat(parts, ",") .. ']}')
end

function delay()
  return pause
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.2f batches_per_s=%.1f alarms_per_s=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    summary.requests * batch / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
