-- What every scenario script shares (wrk 4, LuaJIT). A script does:
--
--   local lib = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "lib.lua")
--   setup, init, done = lib.setup, lib.init, lib.done
--
-- and defines its own request() (and response() = lib.count_status when it
-- needs each answer's status: wrk then keeps every body, which costs the
-- generator CPU, so the layout scripts leave it out).
--
-- The bench passes one argument after "--": a Lua file that returns the run's
-- settings (cfg below). Each thread knows its index (0, 1, …) from setup().
-- done() prints one line, "BENCH_RESULT {json}", that bench/wrk.ts reads.

local lib = {}

local threads = {}

-- Main state: before each thread's init().
function lib.setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

-- Thread state: the run's settings, and this thread's tallies.
function lib.init(args)
  cfg = dofile(args[1])
  tally = {}
  highest = -1
  math.randomseed(1000 + thread_index * 7919)
  if cfg.path then
    wrk.path = cfg.path
  end
  for name, value in pairs(cfg.headers or {}) do
    wrk.headers[name] = value
  end
end

function lib.count(key)
  tally[key] = (tally[key] or 0) + 1
end

-- Thread state: one answer more with this status.
function lib.count_status(status)
  lib.count("status:" .. status)
end

-- The bench user a request is sent as: each thread has its own half of the
-- users and takes them in turn, so no two requests in flight share a user
-- (each user's per-show lock is then never what is measured).
function lib.user_token(k)
  return cfg.tokens[thread_index * cfg.users_per_thread + (k % cfg.users_per_thread) + 1]
end

-- Seat index i (0, 1, …) of the run's fresh seats is about to be used: the
-- highest one tells the bench whether the run stayed within its seats. Past
-- them an index wraps around (to seats already taken), and the bench's checks
-- fail the run, saying it ran out of seats.
function lib.use_index(i)
  if i > highest then
    highest = i
  end
  return i % cfg.capacity
end

-- Seat index i: showtime first_show + i div seats, seat first_seat + i mod seats.
function lib.seat(i)
  i = lib.use_index(i)
  return cfg.first_show + math.floor(i / cfg.seats_per_show), cfg.first_seat + i % cfg.seats_per_show
end

function lib.post_seat(path, k, show, seat)
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. lib.user_token(k),
  }, string.format('{"show_id":%d,"seat_id":%d}', show, seat))
end

local function json(value)
  if type(value) == "table" then
    local parts = {}
    for key, item in pairs(value) do
      table.insert(parts, string.format("%q:%s", tostring(key), json(item)))
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  if type(value) == "number" and (value ~= value or value == math.huge or value == -math.huge) then
    return "null"
  end
  return tostring(value)
end

-- Main state, after the run: totals, latency percentiles (µs) and every thread's tallies.
function lib.done(summary, latency, requests)
  local tallies, highest_index = {}, -1
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("tally") or {}) do
      tallies[key] = (tallies[key] or 0) + count
    end
    highest_index = math.max(highest_index, thread:get("highest") or -1)
  end
  io.write("BENCH_RESULT ", json({
    requests = summary.requests,
    duration_us = summary.duration,
    errors = summary.errors,
    latency_us = {
      p50 = latency:percentile(50),
      p90 = latency:percentile(90),
      p99 = latency:percentile(99),
      max = latency.max,
      mean = latency.mean,
    },
    tally = tallies,
    highest_index = highest_index,
  }), "\n")
end

return lib
