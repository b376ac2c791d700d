-- The first page (50) of a subtree device listing: TENANTRY_BENCH_LIST is the path and query,
-- e.g. /api/v1/groups/1/devices?descendants=true for the whole installation.
dofile("bench/common.lua")

local path = os.getenv("TENANTRY_BENCH_LIST") or "/api/v1/groups/1/devices?descendants=true"

function request()
  return wrk.format("GET", path, headers)
end
