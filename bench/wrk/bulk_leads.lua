-- POST /api/v1/leads/bulk with 100 leads no lead has (new phone, new email): every request
-- answers 200 with each item created (201). Phones are +916 NNN T CCCCC as in create_lead.lua:
-- N = a nonce run.py passes per wrk run (create_lead.lua's runs get others), T = the thread,
-- C = a counter over the thread's leads. A 200 whose summary is not "100 created, 0 merged,
-- 0 failed" counts as a bad body, which the report flags like an unexpected status.
dofile("bench/wrk/common.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local BATCH = 100
local nonce, counter = 0, 0
local cities = {"Pune", "Mumbai", "Jaipur", "Kochi", "Indore", "Surat"}
local sources = {"Website", "Facebook Ads", "Google Ads", "IndiaMART"}
local summary = string.format('"summary":{"created":%d,"merged":0,"failed":0}}', BATCH)

function init(args)
   nonce = tonumber(args[1] or "0") % 1000
end

function request()
   local items = {}
   for i = 1, BATCH do
      counter = counter + 1
      local serial = string.format("%03d%d%05d", nonce, id % 10, counter % 100000)
      items[i] = string.format(
         '{"name":"Bench Bulk %s","phone":"+916%s","email":"bench.bulk.%s@example.com",' ..
         '"source":"%s","status":"New","priority":"Medium","city":"%s",' ..
         '"tags":["bench","backlog"],"deal_value":25000}',
         serial, serial, serial, sources[counter % #sources + 1], cities[counter % #cities + 1])
   end
   return wrk.format(nil, nil, nil, '{"leads":[' .. table.concat(items, ",") .. ']}')
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   -- The summary closes the body (orjson keeps the view's key order): look at the tail only.
   if status == 200 and not body:find(summary, math.max(1, #body - #summary - 16), true) then
      bad_bodies = bad_bodies + 1
   end
end
