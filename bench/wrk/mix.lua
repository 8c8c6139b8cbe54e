-- Release night: each request is, by a random draw, the layout of one of the
-- four showtimes on sale (cfg.layout_share), a hold (cfg.hold_share) or a
-- booking (the rest) of a fresh seat of those four, by the next user in turn.
--
-- Fresh seats come in groups of four showtimes: write w of thread t takes
-- seat index i = w × threads + t, showtime group ⌊i / (4 × seats)⌋, and the
-- four showtimes of a group take turns; once a group is sold, the next four
-- are on sale (and their layouts are the ones read).
local lib = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "lib.lua")
setup, init, done = lib.setup, lib.init, lib.done

local w = 0

local function fresh_seat(i)
  i = lib.use_index(i)
  local per_group = 4 * cfg.seats_per_show
  local group, within = math.floor(i / per_group), i % per_group
  return cfg.first_show + 4 * group + within % 4, cfg.first_seat + math.floor(within / 4)
end

local function write(endpoint, kind)
  local show, seat = fresh_seat(w * cfg.threads + thread_index)
  local req = lib.post_seat(endpoint, w, show, seat)
  w = w + 1
  lib.count("sent:" .. kind)
  return req
end

function request()
  local draw = math.random()
  if draw < cfg.layout_share then
    local group = math.floor(((w * cfg.threads + thread_index) % cfg.capacity) / (4 * cfg.seats_per_show))
    lib.count("sent:layout")
    return wrk.format("GET", string.format("/api/hall-layout/%d/", cfg.first_show + 4 * group + math.random(0, 3)))
  elseif draw < cfg.layout_share + cfg.hold_share then
    return write("/api/hold-seat/", "hold")
  end
  return write("/api/book-seat/", "book")
end

-- Which kind an answer was, from the answer alone: a booking is 201 (200 only
-- for a retry, and its body names a reference), a layout is the long body.
function response(status, headers, body)
  local kind
  if status == 201 or (status == 200 and #body < 2000 and body:find('"reference"', 1, true)) then
    kind = "book"
  elseif status == 200 then
    kind = #body < 2000 and "hold" or "layout"
  else
    kind = "other"
  end
  lib.count(kind .. ":" .. status)
end
