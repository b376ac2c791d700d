-- Move reseller 12 (1 + 10 end-customers + 1,100 sites = 1,111 groups) back and forth between
-- sub-distributors 2 and 3: every request rewrites 1,111 paths and re-checks their levels.
dofile("bench/common.lua")

local n = 0
function request()
  n = n + 1
  local parent = (n % 2 == 1) and 3 or 2
  return wrk.format("PATCH", "/api/v1/groups/12", headers, '{"parent_id":' .. parent .. '}')
end
