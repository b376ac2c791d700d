-- Shared by the load scripts: the session token run.sh logged in for, JSON headers.
token = os.getenv("TENANTRY_BENCH_TOKEN") or "bench-token"
headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }

-- The seeded tree's ids (tenantry-server seed --shape 10,10,10,110 on a fresh database):
-- 1 root, 2-11 sub-distributors, 12-111 resellers, 112-1111 end-customers, 1112-111111 sites.
LAST_ID = 111111
FIRST_END_CUSTOMER, LAST_END_CUSTOMER = 112, 1111

function seed_random()
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end
