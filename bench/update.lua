-- PATCH: change a random end-customer's properties (customer reference and service type); the
-- update hooks are dispatched, and no plugin has anything to record for such a change.
dofile("bench/common.lua")

local services = { "all_inclusive", "software_only" }
function init(args) seed_random() end

function request()
  local id = math.random(FIRST_END_CUSTOMER, LAST_END_CUSTOMER)
  local body = string.format('{"customer_reference":"REF-%d","service_type":"%s"}',
    math.random(1, 1000000), services[math.random(1, 2)])
  return wrk.format("PATCH", "/api/v1/groups/" .. id, headers, body)
end
