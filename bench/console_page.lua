-- A console page, as a signed-in browser asks for it: TENANTRY_BENCH_PAGE is the path and query,
-- the session rides in the console's cookie (the same session store as the API's tokens).
local token = os.getenv("TENANTRY_BENCH_TOKEN") or "bench-token"
local path = os.getenv("TENANTRY_BENCH_PAGE") or "/customers"
local headers = { ["Cookie"] = "tenantry_session=" .. token }

function request()
  return wrk.format("GET", path, headers)
end
