-- POST /api/v1/leads with the phone of an existing lead (a merge, 200), cycling through the
-- leads listed in the data file run.py writes (phone<TAB>name a line). Each request changes
-- the notes, so every merge writes the lead as well as its event.
dofile("bench/wrk/common.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local targets, counter = {}, 0

function init(args)
   targets = read_records(args[1])
   counter = id * 7919
end

function request()
   counter = counter + 1
   local target = targets[counter % #targets + 1]
   local body = string.format(
      '{"name":%s,"phone":"%s","notes":"Called back via IVR (%d/%d).","tags":["ivr-callback"]}',
      json_string(target[2]), target[1], id, counter)
   return wrk.format(nil, nil, nil, body)
end
