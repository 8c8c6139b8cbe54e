-- Hold or book (cfg.path: /api/hold-seat/ or /api/book-seat/) a seat nobody
-- has touched: the k-th request of thread t takes seat index k × threads + t
-- of the run's showtimes, as one of the thread's users in turn.
local lib = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "lib.lua")
setup, init, done, response = lib.setup, lib.init, lib.done, lib.count_status

local k = 0

function request()
  local show, seat = lib.seat(k * cfg.threads + thread_index)
  local req = lib.post_seat(cfg.endpoint, k, show, seat)
  k = k + 1
  lib.count("sent")
  return req
end
