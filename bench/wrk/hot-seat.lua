-- Everybody on one seat at a time: each thread sends users_per_thread
-- requests (one per user of its half) for a seat, then moves to the next
-- seat; both threads walk the same seats, so every seat gets one request from
-- each bench user, and the requests in flight fight over one or two seats.
-- One per seat wins (200), the rest get 409 "Seat currently held by another user.".
local lib = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "lib.lua")
setup, init, done, response = lib.setup, lib.init, lib.done, lib.count_status

local k = 0

function request()
  local show, seat = lib.seat(math.floor(k / cfg.users_per_thread))
  local req = lib.post_seat(cfg.endpoint, k, show, seat)
  k = k + 1
  lib.count("sent")
  return req
end
