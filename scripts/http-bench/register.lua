-- POST /rpc resident.register of distinct new people (valid ID numbers made here) into
-- rental units read from units.txt. Each wrk thread numbers its own people.
local units = {}
local token = os.getenv("TOKEN")
for line in io.lines(os.getenv("UNITS") or "units.txt") do units[#units + 1] = line end
local weights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
local checks = {"1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"}
local counter = 0
local thread_id = 0
setup = function(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end
local prefix = os.getenv("ID_PREFIX") or "110101"
local function id_number(k)
  -- ID_PREFIX (a Beijing division code, another each run), birth 1960 to 1999, sequence from k.
  local year = 1960 + (k % 40)
  local day = 1 + (math.floor(k / 40) % 28)
  local seq = math.floor(k / 1120) % 1000
  local body = string.format("%s%04d01%02d%03d", prefix, year, day, seq)
  -- Distinct for k below 1,120,000 per thread; the thread's digit goes in the month.
  body = string.sub(body, 1, 10) .. string.format("%02d", tid) .. string.sub(body, 13)
  local sum = 0
  for i = 1, 17 do sum = sum + tonumber(string.sub(body, i, i)) * weights[i] end
  return body .. checks[(sum % 11) + 1]
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
request = function()
  counter = counter + 1
  local unit = units[(counter * 7919 % #units) + 1]
  return wrk.format(nil, "/rpc", nil, '{"jsonrpc":"2.0","id":' .. counter .. ',"method":"resident.register","params":{"idNumber":"' ..
    id_number(counter) .. '","name":"压测","unitId":"' .. unit .. '","movedIn":"2026-11-01"}}')
end
