-- Removal, with the create it needs: each thread creates a site under a random end-customer,
-- then removes a site it created, alternately. Every request counts.
dofile("bench/common.lua")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("prefix", "doomed " .. os.time() .. " " .. threads)
end

local n = 0
local created = {}
function init(args) seed_random() end

function request()
  if #created > 0 then
    return wrk.format("DELETE", "/api/v1/groups/" .. table.remove(created), headers)
  end
  n = n + 1
  local parent = math.random(FIRST_END_CUSTOMER, LAST_END_CUSTOMER)
  local body = string.format('{"name":"%s %d","parent_id":%d,"level":"site","state":"production"}', prefix, n, parent)
  return wrk.format("POST", "/api/v1/groups", headers, body)
end

function response(status, headers, body)
  if status == 201 then
    local id = body:match('"id":(%d+)')
    if id then table.insert(created, id) end
  end
end
