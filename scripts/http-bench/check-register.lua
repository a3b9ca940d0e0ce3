-- Counts answers that are not results (refusals), printed at the end.
local failures = 0
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, '"result"', 1, true) then failures = failures + 1 end
end
