-- POST a new site under a random end-customer; names are unique per thread and request.
dofile("bench/common.lua")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("prefix", "bench " .. os.time() .. " " .. threads)
end

local n = 0
function init(args) seed_random() end

function request()
  n = n + 1
  local parent = math.random(FIRST_END_CUSTOMER, LAST_END_CUSTOMER)
  local body = string.format('{"name":"%s %d","parent_id":%d,"level":"site","state":"production"}', prefix, n, parent)
  return wrk.format("POST", "/api/v1/groups", headers, body)
end
