-- POST /api/v1/devices/{id}/sessions as a random seeded device with its own credential: the
-- lines "<id> <credential>" that `tenantry-server seed --credentials FILE` wrote, the file named
-- by TENANTRY_BENCH_CREDENTIALS. Each session ended just now and ran for an hour.
dofile("bench/common.lua")

local devices = {}
for line in io.lines(os.getenv("TENANTRY_BENCH_CREDENTIALS")) do
  local id, secret = line:match("^(%d+) (%S+)$")
  devices[#devices + 1] = { id = id, auth = "Bearer " .. secret }
end

function init(args) seed_random() end

function request()
  local device = devices[math.random(#devices)]
  local now = os.time()
  local body = string.format(
    '{"started_at":"%s","ended_at":"%s","status":"completed","selected_bytes":%d,"used_bytes":%d,"files":%d,"errors":0}',
    os.date("!%Y-%m-%dT%H:%M:%SZ", now - 3600), os.date("!%Y-%m-%dT%H:%M:%SZ", now),
    math.random(1000000000, 2000000000), math.random(400000000, 900000000), math.random(1000, 90000))
  return wrk.format("POST", "/api/v1/devices/" .. device.id .. "/sessions",
    { ["Authorization"] = device.auth, ["Content-Type"] = "application/json" }, body)
end
