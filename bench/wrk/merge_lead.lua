-- POST /api/v1/leads with the phone of an existing lead (a merge, 200), cycling through the
-- leads listed in the data file run.py writes (phone<TAB>name a line). Each request changes
-- the notes (a nonce run.py passes per wrk run keeps them new across runs), so every merge
-- writes the lead as well as its event (and, with a webhook subscription, a message).
dofile("bench/wrk/common.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local targets, counter, nonce = {}, 0, 0

function init(args)
   targets = read_records(args[1])
   nonce = tonumber(args[2] or "0")
   counter = id * 7919
end

function request()
   counter = counter + 1
   local target = targets[counter % #targets + 1]
   local body = string.format(
      '{"name":%s,"phone":"%s","notes":"Called back via IVR (%d/%d/%d).","tags":["ivr-callback"]}',
      json_string(target[2]), target[1], nonce, id, counter)
   return wrk.format(nil, nil, nil, body)
end
