-- POST /api/v1/call-logs against existing leads (201), cycling through the lead ids in the data
-- file run.py writes (one a line).
dofile("bench/wrk/common.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local leads, counter = {}, 0
local kinds = {"Inbound", "Outbound", "Outbound"}

function init(args)
   leads = read_records(args[1])
   counter = id * 104729
end

function request()
   counter = counter + 1
   local duration = (counter * 37) % 900
   local body = string.format(
      '{"lead_id":"%s","call_type":"%s","duration_seconds":%d,"notes":"Bench call %d"}',
      leads[counter % #leads + 1][1], kinds[counter % #kinds + 1], duration, counter)
   return wrk.format(nil, nil, nil, body)
end
