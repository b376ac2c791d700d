-- POST a login of the root's SuperUser, again and again (each one an Argon2 verification).
local body = '{"group":"My Company","username":"admin@bench.example","password":"bench root password"}'
function request()
  return wrk.format("POST", "/api/v1/auth/login", {["Content-Type"] = "application/json"}, body)
end
