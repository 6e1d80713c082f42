-- POST /api/v1/leads with a phone and email no lead has: every request creates a lead (201).
-- Phones are +916 NNN T CCCCC: N = a nonce run.py passes per wrk run, T = the thread, C = a
-- counter; the seeded leads' numbers start with 7, 8 or 9.
dofile("bench/wrk/common.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local nonce, counter = 0, 0
local cities = {"Pune", "Mumbai", "Jaipur", "Kochi", "Indore", "Surat"}

function init(args)
   nonce = tonumber(args[1] or "0") % 1000
end

function request()
   counter = counter + 1
   local serial = string.format("%03d%d%05d", nonce, id % 10, counter % 100000)
   local body = string.format(
      '{"name":"Bench Lead %s","phone":"+916%s","email":"bench.%s@example.com",' ..
      '"source":"Website","status":"New","priority":"High","city":"%s",' ..
      '"tags":["bench","website-form"],"deal_value":25000}',
      serial, serial, serial, cities[counter % #cities + 1])
   return wrk.format(nil, nil, nil, body)
end
