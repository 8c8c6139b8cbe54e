-- One showtime's hall layout (cfg.path), anonymous, the same request over
-- and over (cfg.headers may ask for gzip). No response(): wrk then skips
-- keeping the bodies, and counts anything but 2xx/3xx as a status error.
local lib = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "lib.lua")
setup, init, done = lib.setup, lib.init, lib.done
