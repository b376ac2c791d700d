-- One page of 100 descendants of the root distributor (111,110 below it), starting at a random
-- place: the cursor is the hex of a random sub-distributor's path, as the API hands them out.
dofile("bench/common.lua")

local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end

function init(args) seed_random() end

function request()
  local sub = math.random(2, 11)
  local digits = tostring(sub)
  local path = "/a1/" .. string.char(96 + #digits) .. digits .. "/"
  return wrk.format("GET", "/api/v1/groups/1/descendants?limit=100&cursor=" .. hex(path), headers)
end
