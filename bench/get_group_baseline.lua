-- GET one group by a random id, through the bench-baseline build's unauthenticated twin of
-- GET /api/v1/groups/{id}: the same work without authentication and authorization.
dofile("bench/common.lua")

function init(args) seed_random() end

function request()
  return wrk.format("GET", "/bench/groups/" .. math.random(1, LAST_ID))
end
