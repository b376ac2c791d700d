-- PATCH: rename a random end-customer (every rename also reaches the CRM plugin's hook, which
-- records an activity). Names are unique per thread and request.
dofile("bench/common.lua")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("prefix", "renamed " .. os.time() .. " " .. threads)
end

local n = 0
function init(args) seed_random() end

function request()
  n = n + 1
  local id = math.random(FIRST_END_CUSTOMER, LAST_END_CUSTOMER)
  local body = string.format('{"name":"%s %d"}', prefix, n)
  return wrk.format("PATCH", "/api/v1/groups/" .. id, headers, body)
end
