-- wrk script for the mixed load of scripts/load-mix: about 60% reads, 30% intake (a third of
-- the reports carry a photo, uploaded first) and 10% workflow steps.
-- Environment: GRIDLINE_TOKEN (a citizen), GRIDLINE_STAFF_TOKEN (a dispatcher of the demo
-- district), GRIDLINE_LAT/GRIDLINE_LON (a point in the grid), GRIDLINE_PHOTO (a JPEG file),
-- GRIDLINE_DELAY_MS (optional pause per connection between requests, to hold a fixed rate).
--
-- Reads: a case's detail (staff), the staff case list, the categories, routing of a point.
-- Intake: a JSON report; in a third of the intake slots with no photo waiting, a photo upload
-- (multipart) whose id the next intake slot of the thread puts in its report. So a quarter of
-- the intake requests are uploads and a third of the reports carry a photo.
-- Workflow: the dispatcher registers a case this thread filed (each case once), with an
-- Idempotency-Key as the phone's outbox sends it; with none waiting, the slot is a read.
-- Answers are told apart by their body (a photo receipt has "sha256", an intake receipt is
-- "reported" and, unlike a case read, lists no "available_actions").

local token = os.getenv("GRIDLINE_TOKEN")
local staff = os.getenv("GRIDLINE_STAFF_TOKEN")
local lat = os.getenv("GRIDLINE_LAT")
local lon = os.getenv("GRIDLINE_LON")
local pause = tonumber(os.getenv("GRIDLINE_DELAY_MS") or "0")
local counter = 0
local created_threads = 0
local photo_body = nil
local boundary = "gridlineloadmixboundary"
local photos = {}
local filed = {}
local known = {}

-- thread_id is a global set by setup in each thread's own Lua state (a `local` here would
-- shadow it, leaving every thread the same id, seed and so the same Idempotency-Keys).
function setup(thread)
  created_threads = created_threads + 1
  thread:set("thread_id", created_threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + thread_id)
  local f = assert(io.open(os.getenv("GRIDLINE_PHOTO"), "rb"))
  local jpeg = f:read("*a")
  f:close()
  photo_body = "--" .. boundary .. "\r\n" ..
    'Content-Disposition: form-data; name="photo"; filename="photo.jpg"\r\n' ..
    "Content-Type: image/jpeg\r\n\r\n" .. jpeg .. "\r\n--" .. boundary .. "--\r\n"
end

local function key()
  counter = counter + 1
  return string.format("%08x-%04x-4%03x-%04x-%04x%08x",
    math.random(0, 0x7fffffff), thread_id, math.random(0, 0xfff),
    0x8000 + math.random(0, 0x3fff), thread_id, counter)
end

local function report(photo_id)
  local photo_ids = photo_id and ('"' .. photo_id .. '"') or ""
  local body = string.format(
    '{"category":"E0101","description":"Overflowing rubbish bin next to the bus stop",' ..
    '"position":{"lat":%s,"lon":%s,"crs":"wgs84","accuracy_m":8},"photo_ids":[%s]}', lat, lon, photo_ids)
  return wrk.format("POST", "/api/v1/reports", {
    ["content-type"] = "application/json",
    ["authorization"] = "Bearer " .. token,
    ["idempotency-key"] = key(),
  }, body)
end

local function read()
  local r = math.random(4)
  local auth = { ["authorization"] = "Bearer " .. staff }
  if r == 1 and #known > 0 then
    return wrk.format("GET", "/api/v1/cases/" .. known[math.random(#known)], auth)
  elseif r == 2 then
    return wrk.format("GET", "/api/v1/cases?limit=20", auth)
  elseif r == 3 then
    return wrk.format("GET", "/api/v1/categories")
  end
  return wrk.format("GET", "/api/v1/grids/route?lat=" .. lat .. "&lon=" .. lon)
end

function request()
  local r = math.random()
  if r < 0.6 then
    return read()
  elseif r < 0.9 then
    if #photos > 0 then
      return report(table.remove(photos))
    elseif math.random(3) == 1 then
      return wrk.format("POST", "/api/v1/photos", {
        ["content-type"] = "multipart/form-data; boundary=" .. boundary,
        ["authorization"] = "Bearer " .. token,
        ["idempotency-key"] = key(),
      }, photo_body)
    end
    return report(nil)
  end
  if #filed == 0 then
    return read()
  end
  return wrk.format("POST", "/api/v1/cases/" .. table.remove(filed, 1) .. "/actions", {
    ["content-type"] = "application/json",
    ["authorization"] = "Bearer " .. staff,
    ["idempotency-key"] = key(),
  }, '{"action":"register"}')
end

function response(status, headers, body)
  if status ~= 200 and status ~= 201 then
    return
  end
  if body:find('"sha256"', 1, true) then
    table.insert(photos, body:match('"id":"([^"]+)"'))
  elseif body:find('"state":"reported"', 1, true) and not body:find('"available_actions"', 1, true) then
    local id = body:match('"id":"([^"]+)"')
    -- Kept bounded: a long run must not grow the thread's memory without end.
    if #filed < 10000 then table.insert(filed, id) end
    if #known < 1000 then table.insert(known, id) end
  end
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
