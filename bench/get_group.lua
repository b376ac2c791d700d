-- GET one group by a random id of the seeded tree.
dofile("bench/common.lua")

function init(args) seed_random() end

function request()
  return wrk.format("GET", "/api/v1/groups/" .. math.random(1, LAST_ID), headers)
end
