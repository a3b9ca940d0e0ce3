-- POST /rpc resident.get for ID numbers read from ids.txt (one per line), in turn.
local ids = {}
local token = os.getenv("TOKEN")
for line in io.lines(os.getenv("IDS") or "ids.txt") do ids[#ids + 1] = line end
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
request = function()
  n = n + 1
  local id = ids[(n % #ids) + 1]
  return wrk.format(nil, "/rpc", nil, '{"jsonrpc":"2.0","id":' .. n .. ',"method":"resident.get","params":{"idNumber":"' .. id .. '"}}')
end
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, '"result"', 1, true) then errors_seen = (errors_seen or 0) + 1 end
end
